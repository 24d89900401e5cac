"""/import and CSV files: a preview of what would be scheduled, then Import (all valid rows in
one transaction, once) or Cancel."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from core.actions import Action
from core.approval_ports import waits
from core.commands import Command, ascii_number
from core.errors import DomainError
from core.handlers import MAX_POST_ID, Actor, Upload, refuse
from core.import_ports import ImportState, PendingImport, PlannedPost
from core.metrics import PostTags
from core.model import MessageRef, Network, Post, Profile, Target
from core.policy import Policy
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.replies import Button, Reply, code
from core.roles import Capability, allows
from core.states import TargetState
from core.transfer.caps import within_limits
from core.transfer.rows import RowCheck, RowError
from core.transfer.table import EXAMPLE, MAX_ROWS, decode, describe, read_table
from core.views import clip
from core.when import format_local
from core.wording import plural

# How long a preview's Import button works: long enough to read it, short enough that what
# it was checked against (connections, the plan, the time) has not moved on.
PREVIEW_TTL = timedelta(minutes=30)
SHOWN_ERRORS = 20  # a preview lists this many rows' errors, then counts the rest
SHOWN_ROWS = 3
HOW = (
    "Import scheduled posts from a table: send me a CSV file, or paste it after /import on "
    f"the next lines. The first line names the columns: {code(EXAMPLE)}. time is "
    f"{code('2026-12-24 09:00')} in your time zone, or with a zone: "
    f"{code('2026-12-24T09:00+01:00')}, {code('2026-12-24 09:00 Europe/Berlin')}; networks "
    f"and media links are separated by spaces or commas. At most {MAX_ROWS:,} rows, 1 MB."
)
GONE = "This import is no longer available. Send the file again for a new preview."

Unavailable = Callable[[Profile], Mapping[Network, str]]


class ImportCommands:
    """/import, the upload handler and the preview's buttons (plugged into Postroom)."""

    def __init__(
        self, uow: UnitOfWorkFactory, policy: Policy, clock: Clock, unavailable: Unavailable
    ) -> None:
        self._uow = uow
        self._policy = policy
        self._clock = clock
        self._unavailable = unavailable

    async def command(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        if not cmd.args.strip():
            return Reply(HOW)
        return await self._preview(actor, profile, cmd.args.encode())

    async def upload(self, actor: Actor, profile: Profile, upload: Upload) -> Reply:
        return await self._preview(actor, profile, upload.data)

    async def _preview(self, actor: Actor, profile: Profile, data: bytes) -> Reply:
        table = read_table(decode(data))
        now = self._clock.now()
        check = RowCheck(profile, self._policy, self._unavailable(profile), now)
        errors = [RowError(number, "", why) for number, why in table.problems]
        planned: list[PlannedPost] = []
        for row in table.rows:
            result = check.check(row)
            if isinstance(result, PlannedPost):
                planned.append(result)
            else:
                errors.extend(result)
        pending: PendingImport | None = None
        async with self._uow() as uow:
            await _no_approval_needed(uow, actor, profile)
            fits, over = await within_limits(uow, profile, self._policy, planned)
            errors.extend(over)
            if fits:
                pending = await uow.imports.add(
                    PendingImport(0, profile.id, actor.chat, now, now + PREVIEW_TTL, tuple(fits))
                )
                await uow.commit()
        errors.sort(key=lambda e: e.row)
        total = len(table.rows) + len(table.problems)
        return _preview_reply(pending, errors, total, describe(table), table.ignored, profile)

    async def tap(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        raw_id, _, choice = arg.partition(":")
        import_id = ascii_number(raw_id)
        if import_id is None or import_id > MAX_POST_ID or choice not in ("y", "n"):
            return refuse("This button is broken. Send the file again.")
        async with self._uow() as uow:
            pending = await uow.imports.get(import_id)
        if pending is None or pending.profile_id != profile.id:
            return refuse(GONE)
        # A stale button says why in a toast; the message keeps showing how it ended.
        if pending.state is ImportState.DONE:
            return refuse(f"Already imported: {plural(pending.imported, 'post')}. See /posts.")
        if pending.state is ImportState.CANCELLED:
            return refuse("This import was cancelled; nothing was imported.")
        now = self._clock.now()
        if choice == "n":
            async with self._uow() as uow:
                await uow.imports.finish(import_id, ImportState.CANCELLED, imported=0, now=now)
                await uow.commit()
            return Reply("Import cancelled; nothing was imported.", edit=True, toast="Cancelled")
        if pending.expires_at <= now:
            minutes = int(PREVIEW_TTL.total_seconds() // 60)
            return Reply(
                f"This preview expired (an Import button works for {minutes} minutes). Send "
                "the file again for a fresh one. Nothing was imported.",
                edit=True,
                toast="Expired",
            )
        return await self._import(actor, profile, pending, now)

    async def _import(
        self, actor: Actor, profile: Profile, pending: PendingImport, now: datetime
    ) -> Reply:
        """Every row of `pending` as a scheduled post, in one transaction, after checking
        again what may have changed since the preview; all or nothing."""
        check = RowCheck(profile, self._policy, self._unavailable(profile), now)
        posts = pending.posts
        async with self._uow() as uow:
            await _no_approval_needed(uow, actor, profile)  # the tapper's role decides
            # First, under the import's row lock: a second Import (a double tap, another
            # process) waits here, then finds it done and imports nothing.
            done = ImportState.DONE
            if not await uow.imports.finish(pending.id, done, imported=len(posts), now=now):
                return refuse("Already imported. See /posts.")
            changed = [e for post in posts for e in check.recheck(post)]
            if not changed:
                changed = (await within_limits(uow, profile, self._policy, posts))[1]
            if changed:
                # Closing the unit of work uncommitted undoes `finish` too.
                return Reply(_changed(changed), edit=True, toast="Nothing imported")
            made = [self._post(profile, pending, planned, now) for planned in posts]
            ids = await uow.posts.add_many(made)
            await uow.analytics.tag_new(
                {
                    post_id: PostTags(planned.campaign)
                    for post_id, planned in zip(ids, posts, strict=True)
                    if planned.campaign is not None
                }
            )
            await uow.commit()
        first, last = min(p.due for p in posts), max(p.due for p in posts)
        tz = profile.timezone
        span = (
            format_local(first, tz)
            if first == last
            else (f"{format_local(first, tz)} to {format_local(last, tz)}")
        )
        return Reply(
            f"✅ Imported {plural(len(posts), 'scheduled post')}: {span}. /posts lists them.",
            edit=True,
            toast="Imported",
        )

    def _post(
        self, profile: Profile, pending: PendingImport, planned: PlannedPost, now: datetime
    ) -> Post:
        targets = {n: Target(n, self._policy.route(profile.tier, n)) for n in planned.networks}
        for target in targets.values():
            target.move_to(TargetState.SCHEDULED, planned.due)
        return Post(
            id=0,
            profile_id=profile.id,
            text=planned.text,
            media=planned.media,
            created_at=now,
            origin=pending.origin,
            scheduled_at=planned.due,
            targets=targets,
        )


async def _no_approval_needed(uow: UnitOfWork, actor: Actor, profile: Profile) -> None:
    """Refuse an import by a team member whose posts wait for an approver (core.chat.submit's
    rule): an import schedules its posts at once, with no card per post to decide on."""
    if actor.team is None:
        return
    setting = await uow.approvals.setting(profile.id)
    if not waits(setting, may_approve=allows(actor.role, Capability.APPROVE)):
        return
    raise DomainError(
        f"{actor.team.name} requires approval before posts go out, and an import schedules "
        "its posts at once. Ask an approver to import the file, or compose the posts with "
        "/post so each can be approved. Nothing was imported."
    )


def _preview_reply(
    pending: PendingImport | None,
    errors: Sequence[RowError],
    total: int,
    read_as: str,
    ignored: Sequence[str],
    profile: Profile,
) -> Reply:
    fits = pending.posts if pending is not None else ()
    lines: list[str] = []
    if pending is None and total == 0:
        # Only a header (or nothing readable): say what a table looks like, not "0 rows".
        lines.append(
            "📥 Nothing to import: the table has no rows. Send a CSV file or paste rows after "
            f"/import (header: {code(EXAMPLE)}, then one post a line)."
        )
    elif pending is None:
        lines.append(
            f"📥 Nothing to import: none of the {plural(total, 'row')} can be scheduled "
            f"({read_as})."
        )
    else:
        lines.append(
            f"📥 Import preview: {len(fits):,} of {plural(total, 'row')} can be scheduled "
            f"({read_as}; a time without a zone is in {profile.timezone})."
        )
        lines += [_shown(p, profile.timezone) for p in fits[:SHOWN_ROWS]]
        if len(fits) > SHOWN_ROWS:
            lines.append(f"… and {len(fits) - SHOWN_ROWS:,} more.")
    if ignored:
        lines.append("Columns I don't read, ignored: " + ", ".join(clip(n, 30) for n in ignored))
    if errors:
        rows = sorted({e.row for e in errors})
        skipped = " and will be skipped" if pending is not None else ""
        lines.append(f"⚠️ {plural(len(rows), 'row')} with errors{skipped}:")
        shown_rows = set(rows[:SHOWN_ERRORS])
        lines += [_error(e) for e in errors if e.row in shown_rows]
        if len(rows) > SHOWN_ERRORS:
            lines.append(f"… and {len(rows) - SHOWN_ERRORS:,} more rows with errors.")
    if pending is None:
        if total:
            lines.append("Fix the file and send it again.")
        return Reply("\n".join(lines))
    minutes = int(PREVIEW_TTL.total_seconds() // 60)
    lines.append(f"Nothing is scheduled until you tap Import (within {minutes} minutes).")
    buttons = (
        Button(f"📥 Import {plural(len(fits), 'post')}", Action.IMPORT, f"{pending.id}:y"),
        Button("Cancel", Action.IMPORT, f"{pending.id}:n"),
    )
    return Reply("\n".join(lines), buttons=(buttons,))


def _shown(post: PlannedPost, tz: str) -> str:
    nets = ", ".join(n.label for n in post.networks)
    campaign = f" · #{post.campaign}" if post.campaign else ""
    text = clip(post.text, 40) if post.text else f"{plural(len(post.media), 'media')} only"
    return f"row {post.row} · {format_local(post.due, tz)} · {nets}{campaign} · “{text}”"


def _error(error: RowError) -> str:
    column = f" · {error.column}" if error.column else ""
    return f"row {error.row}{column}: {clip(error.reason, 200)}"


def _changed(errors: Sequence[RowError]) -> str:
    rows = sorted({e.row for e in errors})
    listed = [_error(e) for e in errors if e.row in set(rows[:SHOWN_ERRORS])]
    more = [f"… and {len(rows) - SHOWN_ERRORS:,} more rows."] if len(rows) > SHOWN_ERRORS else []
    return "\n".join(
        [
            "Things changed since the preview, so nothing was imported:",
            *listed,
            *more,
            "Send the file again for a fresh preview.",
        ]
    )
