"""The media kit in Slack: /postroom mediakit shares the card (a 1080×1350 PNG) through the
upload v2 flow (the fake checks the wire format and the bytes)."""

from __future__ import annotations

import struct

from tests.slack.conftest import System
from tests.slack.driver import ANA, CHANNEL

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_the_card_is_uploaded_as_a_png(system: System) -> None:
    fake = system.fake
    await system.slack.command("mediakit", user=ANA, channel=CHANNEL)
    (shared,) = fake.shared
    assert shared.channel == CHANNEL
    assert shared.data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", shared.data[16:24])  # the IHDR chunk
    assert (width, height) == (1080, 1350)
    (asked,) = fake.called("files.getUploadURLExternal")
    assert int(asked.args["length"]) == len(shared.data)
    assert shared.alt_txt.startswith("🪪 Media kit — ana"), shared.alt_txt
