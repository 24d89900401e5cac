"""Import and export in a team's chat: the posts are the team's, /import and its buttons need
a role that composes, /export one that views."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.handlers import Upload
from core.model import Connection, ConnectionStatus, Network
from tests.core.harness import START, Harness
from tests.core.teams_world import CREW, TeamHarness, member

CSV = b"text,networks,time\nCrew launch,x,2026-12-24 09:00\n"
VIEWER = "You are a viewer of Launch crew: only an editor or admin can compose or change posts."


@pytest.fixture
def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    return TeamHarness(Harness(uow=uow_factory))


async def test_an_editors_import_is_the_teams_and_a_viewer_can_neither_import_nor_tap(
    t: TeamHarness,
) -> None:
    team = await t.three()
    async with t.h.uow() as uow:
        profile = await uow.profiles.get(team.profile_id)
        assert profile is not None
        profile.connections[Network.X] = Connection(
            Network.X, ConnectionStatus.CONNECTED, "", START
        )
        await uow.profiles.save(profile)
        await uow.commit()
    refused = await t.h.app.handle_upload(member("cal"), Upload("posts.csv", CSV, "text/csv"))
    assert refused is not None and refused.text == VIEWER
    assert (await t.say("/import text,networks,time", "cal")).text == VIEWER
    preview = await t.h.app.handle_upload(member("ben"), Upload("posts.csv", CSV, "text/csv"))
    assert preview is not None and preview.text.startswith("📥 Import preview: 1 of 1 row")
    await t.h.messenger.send(CREW, preview)
    tapped = await t.tap(preview, "Import", "cal")
    assert tapped.toast == VIEWER and not tapped.text
    done = await t.tap(preview, "Import", "ana")  # the team's button: any member who composes
    assert done.text.startswith("✅ Imported 1 scheduled post")
    async with t.h.uow() as uow:
        posts, _ = await uow.posts.list_for_profile(team.profile_id, offset=0, limit=10)
    (post,) = posts
    assert post.origin == CREW and post.scheduled_at == datetime(2026, 12, 24, 9, tzinfo=UTC)
    export = await t.say("/export", "cal")  # viewing is enough to export
    assert export.document is not None
    text = export.document.data.decode("utf-8-sig")
    assert [r["text"] for r in csv.DictReader(io.StringIO(text, newline=""))] == ["Crew launch"]


async def test_a_team_that_requires_approval_takes_imports_from_approvers_only(
    t: TeamHarness,
) -> None:
    team = await t.three()
    async with t.h.uow() as uow:
        profile = await uow.profiles.get(team.profile_id)
        assert profile is not None
        profile.connections[Network.X] = Connection(
            Network.X, ConnectionStatus.CONNECTED, "", START
        )
        await uow.profiles.save(profile)
        await uow.commit()
    preview = await t.h.app.handle_upload(member("ben"), Upload("posts.csv", CSV, "text/csv"))
    assert preview is not None and preview.buttons
    await t.h.messenger.send(CREW, preview)
    turned = await t.say("/approvals on")
    assert "approv" in turned.text.lower(), turned.text
    refused = await t.h.app.handle_upload(member("ben"), Upload("posts.csv", CSV, "text/csv"))
    assert refused is not None
    assert refused.text.startswith("Launch crew requires approval before posts go out")
    # The preview Ben made before approvals were turned on: his own tap is refused now too.
    tapped = await t.tap(preview, "Import", "ben")
    assert (tapped.toast or "").startswith("Launch crew requires approval") and not tapped.text
    async with t.h.uow() as uow:
        posts, _ = await uow.posts.list_for_profile(team.profile_id, offset=0, limit=10)
    assert posts == []
    mine = await t.h.app.handle_upload(member("ana"), Upload("posts.csv", CSV, "text/csv"))
    assert mine is not None and mine.text.startswith("📥 Import preview: 1 of 1 row")
