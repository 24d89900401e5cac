"""Button seals: the longest button and the largest owner still fit Telegram's 64 bytes, and
malformed seals read as none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.actions import Action
from core.handlers import MAX_POST_ID
from core.replies import MAX_CALLBACK_BYTES, SEAL_BYTES, Button, Reply, Seal, seal, unseal

FAR = datetime(4400, 1, 1, tzinfo=UTC)


def test_the_longest_button_with_the_largest_seal_fits() -> None:
    body = f"{Action.RETRY}:" + "9" * (MAX_CALLBACK_BYTES - SEAL_BYTES - 3)
    sealed = seal(Reply("x", buttons=((Button("B", Action.RETRY, body[3:]),),)), MAX_POST_ID, FAR)
    (button,) = sealed.buttons[0]
    assert len(button.callback_data.encode()) <= MAX_CALLBACK_BYTES
    assert unseal(button.callback_data) == (body, Seal(MAX_POST_ID, int(FAR.timestamp())))
    with pytest.raises(ValueError):
        Button("B", Action.RETRY, body[3:] + "9")


def test_url_buttons_stay_as_they_are() -> None:
    link = Button("Docs ↗", url="https://example.com")
    sealed = seal(Reply("x", buttons=((link, Button("Open", Action.OPEN, "1")),)), 7, FAR)
    assert sealed.buttons[0][0] is link
    assert unseal(sealed.buttons[0][1].callback_data)[1] == Seal(7, int(FAR.timestamp()))


@pytest.mark.parametrize(
    "data",
    [Action.OPEN.data(1) + tail for tail in ("", "~", "~7", "~7.", "~A.b", "~7.b~", "~٧.1")]
    + ["~"],
)
def test_malformed_seals_read_as_none(data: str) -> None:
    assert unseal(data) == (data, None)
