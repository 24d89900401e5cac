"""/mediakit in Telegram: the card goes out as a photo within sendPhoto's limits, with its
buttons; the fake Bot API refuses a photo over them, as Telegram does."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from adapters.db.uow import SqlUnitOfWorkFactory
from tests.fakes.telegram_api import ApiError, _check_photo
from tests.telegram.conftest import MakeWorld
from tests.telegram.driver import ANA, BEN, GROUP


async def test_the_card_is_sent_as_a_photo_with_its_buttons(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    world = await make_world(uow=uow_factory)
    tg = world.tg
    await tg.say("/mediakit")
    card = tg.last()
    assert card.photo is not None
    width, height = Image.open(io.BytesIO(card.photo)).size
    assert (width, height) == (1080, 1350)
    assert "Media kit — Ana" in card.text
    assert "Followers n/a" in card.text
    assert card.labels() == ["🌐 Publish page", "🧩 Blocks"]
    await tg.tap("Publish page", message=card)
    assert "Published: http://127.0.0.1:8080/kit/" in tg.last().text
    await tg.tap("Blocks", message=card)
    blocks = tg.last()
    assert "Blocks of" in blocks.text
    # Ben, in a group that saw the message, cannot use Ana's buttons.
    await tg.tap("+ Separator", user=BEN, message=blocks)
    assert "Separator" not in tg.last().text.split("Custom text")[0]
    await tg.tap("+ Separator", message=blocks)
    assert "4. Separator" in tg.last().text
    assert GROUP["type"] == "supergroup" and ANA.id != BEN.id


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(("width", "height"), [(9000, 1001), (2100, 100)])
def test_the_fake_bot_api_refuses_photos_over_telegrams_limits(width: int, height: int) -> None:
    with pytest.raises(ApiError, match="PHOTO_INVALID_DIMENSIONS"):
        _check_photo(_png(width, height))
    _check_photo(_png(1080, 1350))
