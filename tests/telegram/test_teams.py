"""A team of three in a Telegram group over the fake Bot API, on SQL: the group admin makes the
team (asked with getChatMember), roles decide every command and tap, the last admin stays."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from adapters.telegram.messenger import chat_ref
from core.model import ChatPlatform, Identity, Network
from core.states import PostState
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import ANA, BEN, GROUP, JSON, TelegramDriver, User

CAL = User(3333333, "Cal", "cal_c")
GROUP_ID = int(GROUP["id"])


@pytest.fixture
async def world(make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory) -> World:
    world = await make_world(uow=uow_factory)
    world.fake.admins.add((GROUP_ID, ANA.id))  # Ana administers the group
    return world


def _toast(world: World) -> str:
    return str(world.fake.calls_to("answerCallbackQuery")[-1].params.get("text", ""))


def said(tg: TelegramDriver) -> str:
    return tg.last(GROUP_ID).text


async def three(world: World) -> None:
    tg = world.tg
    await tg.say("/team create Launch crew", user=BEN, chat=GROUP)
    assert said(tg) == "Only an admin of this chat can make it a team."
    await tg.say("/team create Launch crew", chat=GROUP)
    assert said(tg).startswith("✅ Launch crew is a team profile now")
    asked = world.fake.calls_to("getChatMember")
    assert [(c.params["chat_id"], c.params["user_id"]) for c in asked][-1] == (
        GROUP_ID,
        ANA.id,
    )
    await tg.say("/team", user=BEN, chat=GROUP)
    await tg.say("/team", user=CAL, chat=GROUP)
    await tg.say("/team role @ben_b editor", chat=GROUP)
    assert said(tg) == "@ben_b is now editor of Launch crew."


async def test_a_team_of_three_shares_the_profile_and_roles_decide(world: World) -> None:
    tg = world.tg
    await three(world)
    await tg.say("/team", user=CAL, chat=GROUP)
    assert said(tg).splitlines()[:4] == [
        "👥 Launch crew — 3 member(s)",
        "• @ana_posts — admin",
        "• @ben_b — editor",
        "• @cal_c — viewer",
    ]
    await tg.say("/team create Again", chat=GROUP)
    assert said(tg).startswith("This chat already has a team profile: Launch crew.")

    await tg.say("/team role @cal_c admin", user=BEN, chat=GROUP)
    assert said(tg) == "You are an editor of Launch crew: only an admin can manage the team."
    await tg.say("/team role @ghost editor", chat=GROUP)
    assert said(tg).startswith("I don't know @ghost in Launch crew yet")
    await tg.say("/team role @ana_posts viewer", chat=GROUP)
    assert "last admin" in said(tg)

    # Ben composes for the team; Cal may look but not touch; Ana may change it too.
    await tg.say("/post Crew launch day", user=BEN, chat=GROUP)
    composer = tg.last(GROUP_ID)
    assert composer.text.startswith("✍️ New post")
    before = (composer.text, composer.edits)
    await tg.tap("Publish now", user=CAL, message=composer)
    assert _toast(world).startswith("You are a viewer of Launch crew: only an editor or admin")
    assert (composer.text, composer.edits) == before
    await tg.tap("Facebook", user=ANA, message=composer)
    assert _toast(world) == "Facebook added"
    await tg.say("/post Cal's own idea", user=CAL, chat=GROUP)
    assert said(tg).startswith("You are a viewer of Launch crew")
    await tg.say("/connect", user=BEN, chat=GROUP)
    assert said(tg) == "You are an editor of Launch crew: only an admin can connect accounts."
    await tg.say("/posts", user=CAL, chat=GROUP)
    assert "Crew launch day" in said(tg)

    # Ana connects the team's Facebook in her private chat, where /connect in the group leads.
    await tg.say("/connect", chat=GROUP)
    link = tg.last(GROUP_ID).buttons()[0]["url"]
    async with world.uow() as uow:
        team = await uow.teams.team_in_chat(chat_ref(GROUP_ID))
    assert team is not None
    assert str(link).endswith(f"?start=connect-{team.id}")
    await tg.say(f"/start connect-{team.id}", user=BEN)  # an editor connects nothing
    assert tg.last(BEN.id).text.startswith("You are an editor of Launch crew: only an admin")
    await tg.say(f"/start connect-{team.id}")
    await tg.tap("Facebook", chat_id=ANA.id)
    assert _toast(world).startswith("Facebook")
    async with world.uow() as uow:
        team_profile = await uow.profiles.get(team.profile_id)
        personal = await uow.profiles.by_identity(Identity(ChatPlatform.TELEGRAM, str(ANA.id)))
    assert team_profile is not None and team_profile.connected() == {Network.FACEBOOK}
    assert personal is not None and personal.connected() == frozenset()

    # Ben publishes it: the post is the team profile's, not Ben's.
    await tg.tap("Publish now", user=BEN, message=composer)
    async with world.uow() as uow:
        posts, _ = await uow.posts.list_for_profile(team.profile_id, offset=0, limit=5)
    assert [p.text for p in posts] == ["Crew launch day"]
    assert set(posts[0].targets) == {Network.FACEBOOK}
    assert posts[0].state in (PostState.SCHEDULED, PostState.PUBLISHED, PostState.PARTIAL)


async def test_leaving_and_removal_are_refused_clearly_afterwards(world: World) -> None:
    tg = world.tg
    await three(world)
    await tg.say("/post Crew draft", user=BEN, chat=GROUP)
    composer = tg.last(GROUP_ID)
    await tg.say("/team remove @ben_b", chat=GROUP)
    assert said(tg).startswith("@ben_b is removed from Launch crew")
    await tg.tap("Discard", user=BEN, message=composer)
    assert _toast(world).startswith("You are no longer a member of Launch crew")
    await tg.say("/post Sneaky", user=BEN, chat=GROUP)
    assert said(tg).startswith("You are no longer a member of Launch crew")
    await tg.say("/team leave", user=CAL, chat=GROUP)
    assert said(tg).startswith("You left Launch crew.")
    await tg.say("/team leave", chat=GROUP)
    assert "last admin" in said(tg)
    await tg.say("/team", chat=GROUP)
    assert said(tg).splitlines()[:2] == ["👥 Launch crew — 1 member(s)", "• @ana_posts — admin"]


async def test_a_group_that_becomes_a_supergroup_keeps_its_team(world: World) -> None:
    tg = world.tg
    old: JSON = {"id": -4098765432, "type": "group", "title": "Launch team"}
    new: JSON = {"id": -1009876543210, "type": "supergroup", "title": "Launch team"}
    world.fake.admins.add((int(old["id"]), ANA.id))
    await tg.say("/team create", chat=old)
    assert tg.last(int(old["id"])).text.startswith("✅ Launch team is a team profile now")
    await tg.say("/team", user=BEN, chat=old)
    await tg.deliver(tg.message_update("migrate_to_chat_id", chat=old))
    await tg.say("/team role @ben_b editor", chat=new)
    assert tg.last(int(new["id"])).text == "@ben_b is now editor of Launch team."
    await tg.say("/team", user=BEN, chat=new)
    assert tg.last(int(new["id"])).text.startswith("👥 Launch team — 2 member(s)")


async def test_a_composer_in_private_offers_posting_as_the_team(world: World) -> None:
    tg = world.tg
    await three(world)
    await tg.say("/post From my phone", user=BEN)
    composer = tg.last(BEN.id)
    assert composer.text.startswith("Posting as: yourself ▾")
    await tg.tap("Posting as", user=BEN, message=composer)
    assert composer.text.startswith("Posting as: Launch crew ▾")
    async with world.uow() as uow:
        team = await uow.teams.team_in_chat(chat_ref(GROUP_ID))
        assert team is not None
        posts, _ = await uow.posts.list_for_profile(team.profile_id, offset=0, limit=5)
    assert [p.text for p in posts] == ["From my phone"]
