"""The `postroom` command: run, console, db upgrade, admin and keys."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path

from pydantic import ValidationError

from adapters.console.chat import ConsoleChat
from adapters.db.cipher import SecretError, generate_key_spec
from adapters.db.migrate import current_revision, upgrade
from adapters.db.rotate import rotate_secrets
from adapters.db.uow import SqlUnitOfWorkFactory
from bot.bootstrap import bootstrap
from bot.logs import configure_logging
from bot.runtime import SchemaOutOfDate, run
from bot.schema import DatabaseUnavailable
from bot.settings import Settings
from bot.wiring import MissingSecretKeys, load_keyring
from core.billing.lifecycle import Change
from core.billing.operator import Operator
from core.errors import DomainError
from core.model import ChatPlatform, Identity, Tier

log = logging.getLogger("postroom")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as e:
        # Named by variable, without the value given: it may be a secret.
        for error in e.errors(include_input=False, include_url=False):
            name = "POSTROOM_" + "_".join(str(part) for part in error["loc"]).upper()
            print(f"postroom: {name}: {error['msg']}", file=sys.stderr)
        return 2
    configure_logging(settings, console=_in_console(args))
    try:
        return int(asyncio.run(args.handler(settings, args)) or 0)
    except (SchemaOutOfDate, DatabaseUnavailable, MissingSecretKeys, SecretError, ValueError) as e:
        print(f"postroom: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _in_console(args: argparse.Namespace) -> bool:
    """Whether the terminal is a chat (then logs go to a file, out of its way)."""
    if args.command == "console":
        return True
    return args.command == "run" and not args.no_console and sys.stdin.isatty()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="postroom", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the bot (console chat when no chat token is set)")
    p.add_argument("--no-console", action="store_true", help="don't read chat from stdin")
    p.set_defaults(handler=_run)

    p = sub.add_parser("console", help="chat in the terminal, or replay a script")
    p.add_argument("--script", type=Path, help="one user action per line; prints the transcript")
    p.add_argument("--as", dest="user", default="you", help="act as this user (default: you)")
    p.add_argument(
        "--keep-data",
        action="store_true",
        help="script against the configured database instead of a fresh temporary one",
    )
    p.set_defaults(handler=_console)

    p = sub.add_parser(
        "doctor", help="check configuration, database and upstream credentials (no secrets shown)"
    )
    p.set_defaults(handler=_doctor)

    p = sub.add_parser("db", help="database schema")
    db = p.add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=_db_upgrade)
    db.add_parser("current", help="show the schema revision").set_defaults(handler=_db_current)

    p = sub.add_parser("admin", help="operator commands")
    admin = p.add_subparsers(dest="admin_command", required=True)
    who = "e.g. telegram:12345, slack:T012/U345, console:you"
    grant = admin.add_parser("grant", help="give a profile a tier (an operator grant)")
    grant.add_argument("identity", help=who)
    grant.add_argument("tier", choices=[t.value for t in Tier if t is not Tier.FREE])
    grant.add_argument("--days", type=int, help="for this many days (default: until revoked)")
    grant.set_defaults(handler=_admin_grant)
    revoke = admin.add_parser("revoke", help="end a profile's operator grants now")
    revoke.add_argument("identity", help=who)
    revoke.set_defaults(handler=_admin_revoke)
    show = admin.add_parser("show", help="a profile's plan, provider, period end and usage")
    show.add_argument("identity", help=who)
    show.set_defaults(handler=_admin_show)
    # The older form: pro is an unlimited grant, free revokes the grants.
    tier = admin.add_parser("tier", help="pro: grant until revoked; free: revoke")
    tier.add_argument("identity", help=who)
    tier.add_argument("tier", choices=[t.value for t in Tier])
    tier.set_defaults(handler=_admin_tier)
    refund = admin.add_parser(
        "refund", help="refund a profile's latest Telegram Stars payment and take its Pro back"
    )
    refund.add_argument("identity", help="the payer, e.g. telegram:12345")
    refund.set_defaults(handler=_admin_refund)

    p = sub.add_parser("keys", help="secret encryption keys")
    keys = p.add_subparsers(dest="keys_command", required=True)
    gen = keys.add_parser("generate", help="print a new key for POSTROOM_SECRET_KEYS")
    gen.add_argument("--id", default="k1", help="key id (default k1)")
    gen.set_defaults(handler=_keys_generate)
    keys.add_parser("rotate", help="re-encrypt every secret with the first key").set_defaults(
        handler=_keys_rotate
    )
    return parser


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    await run(settings, console=False if args.no_console else None)
    return 0


async def _console(settings: Settings, args: argparse.Namespace) -> int:
    if args.script is None:
        await run(settings, console=True)
        return 0
    try:
        # Bytes: a line that is not UTF-8 is refused by the console, the rest still runs.
        lines = args.script.read_bytes().splitlines()
    except OSError as e:
        print(f"postroom: cannot read {args.script}: {e.strerror}", file=sys.stderr)
        return 2
    try:
        settings = _script_settings(settings, [line.decode("utf-8", "replace") for line in lines])
    except ValueError as e:
        print(f"postroom: {args.script}: {e}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="postroom-") as tmp:
        if not args.keep_data:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'script.db'}"
            settings = settings.model_copy(update={"database_url": url})
        services = bootstrap(
            settings,
            chats={
                ChatPlatform.CONSOLE: partial(
                    ConsoleChat, user=args.user, files=settings.var_dir / "exports"
                )
            },
        )
        chat = services.messengers[ChatPlatform.CONSOLE]
        assert isinstance(chat, ConsoleChat)
        try:
            if not args.keep_data:
                await upgrade(services.engine)
            # Scripts are deterministic: after each action, publish everything now due.
            chat.after_update = services.pipeline.run_until_idle
            await chat.run_lines(lines)
        finally:
            await services.aclose()
    return 0


SCRIPT_SETTINGS = frozenset({"sandbox_fail", "default_tier", "default_timezone"})


def _script_settings(settings: Settings, lines: Sequence[str]) -> Settings:
    """Apply `#!set name=value` lines, so a demo script carries its own sandbox setup."""
    updates: dict[str, str] = {}
    for line in lines:
        if not line.startswith("#!set "):
            continue
        name, sep, value = line.removeprefix("#!set ").partition("=")
        name = name.strip()
        if not sep or name not in SCRIPT_SETTINGS:
            allowed = ", ".join(sorted(SCRIPT_SETTINGS))
            raise ValueError(f"bad line {line!r}: use #!set NAME=VALUE with NAME one of {allowed}")
        updates[name] = value.strip()
    if not updates:
        return settings
    return Settings.model_validate({**settings.model_dump(), **updates})


async def _doctor(settings: Settings, args: argparse.Namespace) -> int:
    from bot.doctor import doctor

    return await doctor(settings)


async def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.db.engine import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        await upgrade(engine)
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


async def _db_current(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.db.engine import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        print(await current_revision(engine) or "empty")
    finally:
        await engine.dispose()
    return 0


async def _admin(settings: Settings, act: Callable[[Operator], Awaitable[str]]) -> int:
    services = bootstrap(settings)
    try:
        assert services.billing is not None
        operator = Operator(services.billing, services.uow, services.clock)
        print(await act(operator))
    except DomainError as e:
        print(f"postroom: {e}", file=sys.stderr)
        return 1
    finally:
        await services.aclose()
    return 0


def _changed(identity: Identity, change: Change) -> str:
    standing = change.standing
    until = standing.ends_at or standing.renews_at
    text = f"profile {change.profile_id} ({identity}) is now {change.tier.label}"
    if until is not None:
        text += f" until {until.isoformat(timespec='minutes')}"
    if change.held:
        text += "; held: " + ", ".join(f"#{p.id}" for p in change.held)
    released = change.released.scheduled + change.released.late
    if released:
        text += "; released: " + ", ".join(f"#{p.id}" for p in released)
    return text


async def _admin_grant(settings: Settings, args: argparse.Namespace) -> int:
    identity = Identity.parse(args.identity)
    days: int | None = args.days

    async def act(operator: Operator) -> str:
        return _changed(identity, await operator.grant(identity, Tier(args.tier), days=days))

    return await _admin(settings, act)


async def _admin_revoke(settings: Settings, args: argparse.Namespace) -> int:
    identity = Identity.parse(args.identity)

    async def act(operator: Operator) -> str:
        return _changed(identity, await operator.revoke(identity))

    return await _admin(settings, act)


async def _admin_show(settings: Settings, args: argparse.Namespace) -> int:
    identity = Identity.parse(args.identity)

    async def act(operator: Operator) -> str:
        summary = await operator.show(identity)
        return "\n".join(f"{label}: {value}" for label, value in summary.lines)

    return await _admin(settings, act)


async def _admin_tier(settings: Settings, args: argparse.Namespace) -> int:
    identity = Identity.parse(args.identity)

    async def act(operator: Operator) -> str:
        if Tier(args.tier) is Tier.FREE:
            return _changed(identity, await operator.revoke(identity))
        return _changed(identity, await operator.grant(identity, Tier(args.tier), days=None))

    return await _admin(settings, act)


async def _admin_refund(settings: Settings, args: argparse.Namespace) -> int:
    """`postroom admin refund IDENTITY`: Telegram returns the Stars of the profile's latest
    payment, its renewal stops, the Pro it bought is taken back and the user is told."""
    identity = Identity.parse(args.identity)
    services = bootstrap(settings)
    try:
        if services.stars is None or services.telegram is None:
            print(
                "postroom: Pro is not sold for Stars here: set POSTROOM_TELEGRAM_TOKEN and "
                "POSTROOM_PRO_STARS_PRICE",
                file=sys.stderr,
            )
            return 2
        assert services.billing is not None
        profile = await Operator(services.billing, services.uow, services.clock).find(identity)
        async with services.telegram.application.bot:  # getMe first, as PTB requires
            print(f"{identity}: {await services.stars.refund(profile)}")
    except DomainError as e:
        print(f"postroom: {e}", file=sys.stderr)
        return 1
    finally:
        await services.aclose()
    return 0


async def _keys_generate(settings: Settings, args: argparse.Namespace) -> int:
    print(generate_key_spec(args.id))
    return 0


async def _keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    services = bootstrap(settings)
    try:
        assert isinstance(services.uow, SqlUnitOfWorkFactory)
        changed = await rotate_secrets(services.uow, load_keyring(settings))
        print(f"re-encrypted {changed} secret(s) with key {services.keyring.primary_key_id}")
    finally:
        await services.aclose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
