"""/forget through the real wiring: afterwards no table holds a row of the profile or its
identities (every table of the metadata scanned), the other user's rows are untouched, and the
Ayrshare user profile is deleted at the fake."""

from __future__ import annotations

import re
from datetime import timedelta

from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import insert

from adapters.db.chat_tables import SeenUpdateRow
from adapters.db.engine import make_session_factory
from adapters.db.slack_installations import SqlInstallationStore
from adapters.db.tables import IdentityRow
from adapters.db.team_tables import TeamMemberRow, TeamRow
from bot.bootstrap import Services
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, MessageRef, Provider, Tier
from core.replies import Reply
from core.tiers import Plan
from tests.e2e.conftest import BuildServices
from tests.e2e.table_scan import Tables, add_missing_rows, owned, read_all
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock

# Unmistakable ids: any row naming them is the user's, wherever it sits.
ANA, BO = "ana4forget", "bo4keeps"
YES = "Yes, delete everything"
SLACK_ANA, SLACK_BO, TEAM = "UANA4FORGET", "UBO4KEEPS", "T0POSTROOM"
# The tables a real session fills for a Pro user; the scan makes rows for any other table
# that keeps a profile's rows (one added later included), so none is scanned empty.
FILLED_BY_USE = {
    "profiles",
    "identities",
    "provider_accounts",
    "connections",
    "subscriptions",
    "billing_events",
    "grants",
    "posts",
    "targets",
    "post_tags",
    "analytics_items",
    "metric_latest",
    "metric_snapshots",
    "digest_subscriptions",
    "digest_deliveries",
    "link_codes",
    "chat_links",
    "slack_installations",
    "teams",
    "team_members",
}


# Kept by /forget, detached from the profile (adapters.db.forget.detached).
KEPT = ("billing_events", "star_charges")


def actor(user: str, kind: ChatKind = ChatKind.PRIVATE) -> Actor:
    # A channel is nobody's identity: it gets a profile of its own on first contact, and
    # acts with its owner's once linked (a name of its own, so the scan tells them apart).
    chat = user if kind is ChatKind.PRIVATE else f"-100{len(user)}{ord(user[0])}"
    name = user if kind is ChatKind.PRIVATE else "Bakery news"
    return Actor(
        Identity(ChatPlatform.CONSOLE, chat), ChatRef(ChatPlatform.CONSOLE, chat, kind=kind), name
    )


def tap_data(reply: Reply, label: str) -> str:
    for row in reply.buttons:
        for b in row:
            if label.lower() in b.label.lower():
                return b.callback_data
    raise AssertionError(f"no {label!r} in {[b.label for r in reply.buttons for b in r]}")


async def say(services: Services, line: str, user: str = ANA) -> Reply:
    reply = await services.postroom.handle_text(actor(user), line)
    assert reply is not None
    return reply


async def tap(services: Services, reply: Reply, label: str, user: str = ANA) -> Reply:
    message = MessageRef(actor(user).chat, "1")
    return await services.postroom.handle_tap(actor(user), tap_data(reply, label), message)


async def use_postroom(services: Services, fake: FakeAyrshare, user: str) -> int:
    """What a Pro user does in a week: every kind of row a profile keeps. Its profile id."""
    await say(services, "/connect", user)
    async with services.uow() as uow:
        profile = await uow.profiles.by_identity(actor(user).identity)
    assert profile is not None
    key = next(iter(profile.accounts.values())).key.value
    fake.link(key, "facebook", f"{user} on Facebook")
    fake.link(key, "linkedin", f"{user} on LinkedIn")
    await say(services, "/status", user)
    composer = await say(services, "/post Launch day!", user)
    await tap(services, composer, "Publish now", user)
    await services.pipeline.run_until_idle()
    await say(services, "/post Tomorrow's news", user)
    await say(services, "/schedule tomorrow 9:00", user)
    await say(services, "/post Only a draft", user)
    async with services.uow() as uow:
        posts, _ = await uow.posts.list_for_profile(profile.id, offset=0, limit=10)
    published = min(p.id for p in posts)
    assert "launch" in (await say(services, f"/campaign {published} launch", user)).text
    await say(services, "/track https://www.instagram.com/p/Cabc123/ launch views=120", user)
    await say(services, "/digest on", user)
    code = re.search(r"/link (\S+)", (await say(services, "/link", user)).text)
    assert code is not None
    await services.postroom.handle_text(actor(user, ChatKind.CHANNEL), f"/link {code[1]}")
    await say(services, "/link", user)  # a second code, never used
    assert services.billing is not None
    await services.billing.activate(
        profile.id,
        provider=Provider.STRIPE,
        event_id=f"evt_{user}",
        plan=Plan("pro", Tier.PRO),
        period_end=services.clock.now() + timedelta(days=30),
        customer_id=f"cus_{user}",
        subscription_id=f"sub_{user}",
    )
    await services.billing.grant(profile.id, Tier.PRO, days=30, reason=f"support for {user}")
    assert services.analytics is not None
    await services.analytics.sync.sweep()
    return profile.id


async def slack_rows(services: Services, profile_id: int, clock: FixedClock) -> None:
    """Ana also writes from Slack (a second identity) and installed the app there; Bo
    installed it in the same workspace. And a row of nobody: an update seen."""
    engine, keyring = services.sql_engine, services.sql_keyring
    assert engine is not None and keyring is not None
    async with engine.begin() as connection:
        await connection.execute(
            insert(IdentityRow).values(
                profile_id=profile_id, platform="slack", workspace=TEAM, user_id=SLACK_ANA
            )
        )
        await connection.execute(
            insert(SeenUpdateRow).values(source="telegram:1", update_id=7, seen_at=clock.now())
        )
        # A team row of the profile (as a group's profile has) with Ana as its admin: valid
        # values, which the scan's made-up rows would not have.
        team = await connection.execute(
            insert(TeamRow)
            .values(
                profile_id=profile_id,
                platform="console",
                workspace="",
                chat=f"-100{ANA}",
                name="Crew",
                created_at=clock.now(),
            )
            .returning(TeamRow.id)
        )
        await connection.execute(
            insert(TeamMemberRow).values(
                team_id=team.scalar_one(),
                platform="console",
                workspace="",
                user_id=ANA,
                role="admin",
                name="Ana",
                handle="",
                joined_at=clock.now(),
                posting=False,
            )
        )
    store = SqlInstallationStore(make_session_factory(engine), keyring, client_id="111.222")
    for user, token in ((SLACK_ANA, "xoxp-ana"), (SLACK_BO, "xoxp-bo")):
        await store.async_save(
            Installation(
                app_id="A1",
                team_id=TEAM,
                user_id=user,
                bot_token="xoxb-team",
                bot_id="B1",
                bot_user_id="U0BOT",
                user_token=token,
                installed_at=1_764_000_000.0,
            )
        )


def _key(row: dict[str, object]) -> str:
    return repr(sorted(row.items()))


def without(tables: Tables, gone: dict[str, list[dict[str, object]]]) -> dict[str, list[str]]:
    return {
        name: sorted(_key(r) for r in rows if r not in gone[name]) for name, rows in tables.items()
    }


async def test_forget_leaves_no_row_of_the_profile_in_any_table(
    make_services: BuildServices, clock: FixedClock
) -> None:
    fake = FakeAyrshare()
    services = await make_services(fake)
    ana = await use_postroom(services, fake, ANA)
    bo = await use_postroom(services, fake, BO)
    await slack_rows(services, ana, clock)
    clock.advance(timedelta(days=1))  # the digests fall due
    assert services.analytics is not None
    await services.analytics.runner.tick()
    engine = services.sql_engine
    assert engine is not None
    marks = (ANA, SLACK_ANA)
    mine = owned(await read_all(engine), ana, marks)
    assert {name for name, rows in mine.items() if rows} >= FILLED_BY_USE
    have = {n: len(r) for n, r in mine.items()}
    made = await add_missing_rows(engine, ana, ("console", "", ANA), clock.now(), have)
    before = await read_all(engine)
    mine = owned(before, ana, marks)
    empty = [name for name, rows in mine.items() if not rows]
    keys = {p.profile_key: p.title for p in fake.profiles.values()}
    (ana_key,) = [k for k, title in keys.items() if title.startswith(f"postroom-{ana}-")]

    question = await say(services, "/forget")
    assert "3 posts (1 scheduled" in question.text
    assert "Facebook, LinkedIn" in question.text
    assert "1 digest" in question.text and "1 linked channel" in question.text
    assert "Ayrshare profile" in question.text
    done = await tap(services, question, "Yes, delete everything")
    assert done.text.startswith("Done: your profile and everything")

    after = await read_all(engine)
    # Payment records stay, with no owner and no payer: a replayed event or charge is then
    # still a no-op, for any profile (the payment system's own ids are all they keep).
    for name in KEPT:
        detached = [r for r in after[name] if r["profile_id"] is None]
        ids = sorted(str(r.get("event_id") or r["charge_id"]) for r in mine[name])
        assert ids and sorted(str(r.get("event_id") or r["charge_id"]) for r in detached) == ids
        assert all(r.get("telegram_user", "") == "" for r in detached)
        after[name] = [r for r in after[name] if r not in detached]
        before[name] = [r for r in before[name] if r not in mine[name]]
        mine[name] = []
    for name, rows in after.items():
        still = [r for r in rows if r in mine[name]]
        assert not still, f"{name} still holds rows of the forgotten profile: {still}"
    assert owned(after, ana, marks) == {name: [] for name in after}
    # Everything else is exactly as it was: Bo's rows, the workspace's bot, the update seen.
    assert without(after, {n: [] for n in after}) == without(before, mine)
    assert any(r["profile_id"] == bo for r in after["posts"])
    assert [r["user_id"] for r in after["slack_installations"]] == [SLACK_BO]
    assert after["slack_bots"] and after["seen_updates"]
    assert services.sql_keyring is not None
    store = SqlInstallationStore(
        make_session_factory(engine), services.sql_keyring, client_id="111.222"
    )
    bot = await store.async_find_bot(enterprise_id=None, team_id=TEAM)
    assert bot is not None and bot.bot_token == "xoxb-team"  # the app stays installed there
    # At Ayrshare: Ana's user profile deleted with its Profile-Key, Bo's kept.
    (deleted,) = fake.requests_to("DELETE", "/profiles")
    assert deleted.headers["profile-key"] == ana_key
    assert ana_key not in fake.profiles and len(fake.profiles) == 1
    print(f"tables scanned: {len(after)}; made up for the scan: {made}; no rows: {empty}")


async def test_the_wired_ayrshare_publisher_unlinks_and_deletes_through_its_metering(
    make_services: BuildServices,
) -> None:
    """bootstrap wraps each publisher to meter it: /disconnect and /forget still reach
    Ayrshare through it (they once found no unlinker behind the wrapper)."""
    fake = FakeAyrshare()
    services = await make_services(fake)
    await say(services, "/connect")
    (key,) = fake.profiles
    fake.link(key, "linkedin", "Ana on LinkedIn")
    fake.link(key, "facebook", "Ana on Facebook")
    await say(services, "/status")
    done = await tap(services, await say(services, "/disconnect linkedin"), "Yes, disconnect")
    assert done.text == "LinkedIn disconnected."
    (unlinked,) = fake.requests_to("DELETE", "/profiles/social")
    assert unlinked.json == {"platform": "linkedin"} and set(fake.profiles[key].linked) == {
        "facebook"
    }
    assert (await tap(services, await say(services, "/forget"), YES)).text.startswith("Done:")
    assert fake.profiles == {}
