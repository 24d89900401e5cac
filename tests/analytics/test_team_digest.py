"""A team's digest: viewers read it, only admins change it (review 19 L5)."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness

ADMIN_ONLY = "You are {role} of Launch crew: only an admin can manage the team."


@pytest.fixture
async def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    team = TeamHarness(Harness(uow=uow_factory))
    await team.three()
    return team


@pytest.mark.parametrize("change", ["on", "off", "here", "time 18:30", "weekly", "daily"])
async def test_viewers_and_editors_cannot_change_the_teams_digest(
    t: TeamHarness, change: str
) -> None:
    assert (await t.say("/digest on")).text.startswith("📬 Digest on in this chat")
    for user, role in (("cal", "a viewer"), ("ben", "an editor")):
        refused = await t.say(f"/digest {change}", user)
        assert refused.text == ADMIN_ONLY.format(role=role), refused.text
    shown = await t.say("/digest", "cal")
    assert "09:00" in shown.text, shown.text  # still on, at its time


async def test_viewers_read_the_digest_and_its_buttons_refuse_changes(t: TeamHarness) -> None:
    await t.say("/digest on")
    status = await t.say("/digest", "cal")
    assert "Digest" in status.text, status.text
    now = await t.tap(status, "Now", "cal")
    assert now.text or now.image is not None
    for label in ("Off", "Weekly"):
        answer = await t.tap(status, label, "cal")
        assert answer.toast == ADMIN_ONLY.format(role="a viewer"), (label, answer)
    assert "09:00" in (await t.say("/digest", "ana")).text
