"""/mediakit: the card in the chat, and the owner's controls of their kits' public pages."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace

from core.actions import Action
from core.commands import Command, ascii_number
from core.errors import DomainError
from core.handlers import Actor, profile_wide
from core.mediakit.blocks import blocks_reply, rearranged
from core.mediakit.facts import read_facts
from core.mediakit.model import (
    MAX_CONTACT,
    MAX_KITS,
    MAX_TEXT,
    BlockKind,
    Kit,
    check_slug,
    parse_theme,
    slug_from,
)
from core.mediakit.ports import CardRenderer, KitChanged, KitStore, SlugTaken
from core.metrics import format_count, format_rate
from core.model import MessageRef, Profile
from core.ports import Clock, UnitOfWorkFactory
from core.replies import Button, Reply, code
from core.when import format_short

__all__ = ["HELP_LINE", "KIT_PATH", "MediaKitCommands"]

HELP_LINE = "/mediakit [publish | blocks | theme | slug | text | contact | new] — your media kit"
KIT_PATH = "/kit/"  # the public page is <POSTROOM_PUBLIC_URL>/kit/<slug>
USAGE = (
    "Media kit commands: /mediakit (the card) · /mediakit publish | unpublish · "
    "/mediakit slug <address> · /mediakit blocks · /mediakit theme #ff5500 8 · "
    "/mediakit text <words> · /mediakit contact <email or link> · /mediakit new <address> · "
    "/mediakit use <address> · /mediakit kits · /mediakit delete <address>"
)
NOT_YOURS = "That media kit isn't yours, or it no longer exists. Send /mediakit."
# Characters that would let a kit's text pretend to be something else on the page: control
# characters (newlines stay), and the bidirectional marks, overrides and isolates (Unicode
# TR #9: LRM, RLM, ALM too, which are invisible and reorder what follows them).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
CHANGED = "The kit was changed from somewhere else at the same moment; nothing was saved. "


def _clean(text: str) -> str:
    kept = "".join(
        c for c in text if c == "\n" or unicodedata.category(c) not in ("Cc", "Cs", "Co")
    )
    return re.sub(r"\n{3,}", "\n\n", _BIDI.sub("", kept)).strip()


class MediaKitCommands:
    """The /mediakit command and its buttons (plugged into Postroom with add_command/add_tap).

    `changed` is told the id of every kit whose page changed, so this process's page cache
    drops it at once (other processes see the kit's new version on their next request)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        kits: KitStore,
        cards: CardRenderer,
        clock: Clock,
        *,
        public_url: str | None = None,
        local_url: str | None = None,
        changed: Callable[[int], None] | None = None,
    ) -> None:
        self._uow = uow
        self._kits = kits
        self._cards = cards
        self._clock = clock
        self._public = public_url.rstrip("/") if public_url else None
        # Without a public URL: the web app's own address (this machine only), if it runs.
        self._local = local_url.rstrip("/") if local_url else None
        self._changed = changed or (lambda _: None)

    def url(self, kit: Kit) -> str:
        path = KIT_PATH + kit.slug
        return (self._public or self._local or "") + path

    # --- the command -------------------------------------------------------------------------

    async def command(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        profile_wide(actor, "your media kit")
        parts = cmd.args.strip().split(maxsplit=1)
        word = parts[0].lower() if parts else ""
        rest = parts[1].strip() if len(parts) > 1 else ""
        kit = await self._current(profile)
        match word:
            case "" | "card":
                return await self.card(profile, kit)
            case "publish":
                return await self._publish(kit, True)
            case "unpublish":
                return await self._publish(kit, False)
            case "slug":
                return await self._rename(kit, rest)
            case "blocks":
                return blocks_reply(kit)
            case "theme":
                theme = parse_theme(rest, kit.theme)
                kit = await self._save(kit, lambda k: replace(k, theme=theme))
                return Reply(
                    f"🎨 {kit.slug}: colour {theme.primary}, corners {theme.radius} px."
                    + self._page_note(kit)
                )
            case "text" | "contact":
                return await self._words(kit, word, rest)
            case "new":
                return await self._new(profile, rest)
            case "use":
                return await self._use(profile, rest)
            case "kits" | "list":
                return await self._list(profile)
            case "delete":
                return await self._delete(profile, kit, rest)
            case "help":
                return Reply(USAGE)
        raise DomainError(f"I don't know /mediakit {word[:20]}. {USAGE}")

    async def card(self, profile: Profile, kit: Kit) -> Reply:
        now = self._clock.now()
        async with self._uow() as uow:
            facts = await read_facts(uow, profile, now)
        image = await self._cards.render(facts)
        updated = format_short(facts.updated_at, profile.timezone) if facts.updated_at else "n/a"
        lines = [
            f"🪪 Media kit — {facts.name}",
            f"Followers {format_count(facts.followers)} · views (30 days) "
            f"{format_count(facts.views)} · engagement {format_rate(facts.rate)}",
            f"Numbers last updated: {updated}",
            self._status(kit),
            "Arrange it: /mediakit blocks · /mediakit theme #ff5500 8 · /mediakit help",
        ]
        toggle = (
            Button("🚫 Unpublish page", Action.MEDIAKIT, f"{kit.id}:-")
            if kit.published
            else Button("🌐 Publish page", Action.MEDIAKIT, f"{kit.id}:+")
        )
        arrange = Button("🧩 Blocks", Action.MEDIAKIT, f"{kit.id}:b")
        return Reply("\n".join(lines), buttons=((toggle, arrange),), image=image)

    def _status(self, kit: Kit) -> str:
        if kit.published:
            return f"🌐 Page {kit.slug}: published at {self.url(kit)}"
        return f"Page {kit.slug}: not published (/mediakit publish shares it)."

    def _page_note(self, kit: Kit) -> str:
        return f"\n{self._status(kit)}"

    # --- the kit's page ----------------------------------------------------------------------

    async def _publish(self, kit: Kit, on: bool) -> Reply:
        if kit.published == on:
            state = "already published" if on else "not published"
            return Reply(f"The page of {kit.slug} is {state}.{self._page_note(kit)}")
        kit = await self._save(kit, lambda k: replace(k, published=on))
        if on:
            note = ""
            if self._public is None and self._local is not None:
                note = (
                    "\nThis address is local only (this server has no POSTROOM_PUBLIC_URL): "
                    "it opens on this machine, not for others."
                )
            elif self._public is None:
                note = (
                    "\nThis server has no POSTROOM_PUBLIC_URL and its web app is off "
                    "(POSTROOM_HTTP_PORT=0), so nobody can open the page yet."
                )
            return Reply(
                f"🌐 Published: {self.url(kit)}\nAnyone with the link sees the blocks you put "
                f"on it; /mediakit unpublish takes it down.{note}"
            )
        return Reply(f"🚫 Unpublished: {self.url(kit)} now answers “not found”.")

    async def _rename(self, kit: Kit, raw: str) -> Reply:
        if not raw:
            raise DomainError(f"Send the new address: /mediakit slug ana-bakes (now {kit.slug}).")
        slug = check_slug(raw)
        if slug == kit.slug:
            return Reply(f"The kit's address is {slug} already.{self._page_note(kit)}")
        old = kit.slug
        kit = await self._save(kit, lambda k: replace(k, slug=slug))
        gone = f" The old address {old} no longer works." if kit.published else ""
        return Reply(f"🔗 The kit's address is now {slug}.{gone}{self._page_note(kit)}")

    async def _words(self, kit: Kit, which: str, raw: str) -> Reply:
        kind = BlockKind.TEXT if which == "text" else BlockKind.CONTACT
        limit = MAX_TEXT if kind is BlockKind.TEXT else MAX_CONTACT
        current = kit.text if kind is BlockKind.TEXT else kit.contact
        if not raw:
            shown = f"“{current}”" if current else "none yet"
            raise DomainError(
                f"{kind.label} now: {shown}. Send {code(f'/mediakit {which} <words>')} to "
                f"set it (up to {limit} characters), or /mediakit {which} clear."
            )
        words = "" if raw.lower() == "clear" else _clean(raw)
        if len(words) > limit:
            raise DomainError(
                f"That {kind.label.lower()} is {len(words):,} characters; the most is {limit}. "
                "Nothing was changed."
            )
        if raw.lower() != "clear" and not words:
            raise DomainError(f"That {kind.label.lower()} has nothing I can show.")

        def change(k: Kit) -> Kit:
            blocks = k.blocks
            if words and kind not in blocks:
                blocks = (*blocks, kind)
            if not words:
                blocks = tuple(b for b in blocks if b is not kind)
            if kind is BlockKind.TEXT:
                return replace(k, blocks=blocks, text=words)
            return replace(k, blocks=blocks, contact=words)

        kit = await self._save(kit, change)
        done = f"{kind.label} set." if words else f"{kind.label} cleared, its block removed."
        return Reply(f"✏️ {done}{self._page_note(kit)}")

    # --- several kits ------------------------------------------------------------------------

    async def _new(self, profile: Profile, raw: str) -> Reply:
        if not raw:
            raise DomainError("Send the new kit's address: /mediakit new brand-deals.")
        slug = check_slug(raw)
        kits = await self._kits.kits_of(profile.id)
        if len(kits) >= MAX_KITS:
            raise DomainError(
                f"You have {MAX_KITS} kits, the most there can be; /mediakit delete <address> "
                "makes room."
            )
        now = self._clock.now()
        try:
            kit = await self._kits.add(Kit(0, profile.id, slug, now, now), make_current=True)
        except SlugTaken:
            raise DomainError(f"The address {slug!r} is taken; pick another.") from None
        return Reply(
            f"🆕 Kit {slug} made; /mediakit commands now change it (/mediakit use switches)."
            f"{self._page_note(kit)}"
        )

    async def _use(self, profile: Profile, raw: str) -> Reply:
        kit = self._own(await self._kits.kits_of(profile.id), raw)
        await self._kits.make_current(profile.id, kit.id)
        return Reply(f"/mediakit commands now change {kit.slug}.{self._page_note(kit)}")

    async def _list(self, profile: Profile) -> Reply:
        kits = await self._kits.kits_of(profile.id)
        lines = [f"Your media kits ({len(kits)}):"]
        for kit in kits:
            marks = [m for m, on in (("default", kit.default), ("current", kit.current)) if on]
            state = f"published at {self.url(kit)}" if kit.published else "not published"
            extra = f" ({', '.join(marks)})" if marks else ""
            lines.append(f"• {kit.slug}{extra} — {state}")
        lines.append("/mediakit use <address> switches · /mediakit new <address> adds one")
        return Reply("\n".join(lines))

    async def _delete(self, profile: Profile, current: Kit, raw: str) -> Reply:
        kits = await self._kits.kits_of(profile.id)
        kit = self._own(kits, raw or current.slug)
        if kit.default:
            raise DomainError(
                f"{kit.slug} is your default kit; it stays (/mediakit unpublish takes its "
                "page down)."
            )
        await self._kits.delete(kit.id)
        self._changed(kit.id)
        if kit.current:
            default = next(k for k in kits if k.default)
            await self._kits.make_current(profile.id, default.id)
        return Reply(f"🗑 Kit {kit.slug} deleted; {self.url(kit)} now answers “not found”.")

    def _own(self, kits: Sequence[Kit], raw: str) -> Kit:
        slug = raw.strip().lower()
        for kit in kits:
            if kit.slug == slug:
                return kit
        raise DomainError(f"You have no kit {raw.strip()[:40]!r}. /mediakit kits lists yours.")

    # --- blocks ------------------------------------------------------------------------------

    async def tap(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        profile_wide(actor, "your media kit")
        head, _, op = arg.partition(":")
        kit_id = ascii_number(head)
        kit = None if kit_id is None or not op else await self._kits.get(kit_id)
        if kit is None or kit.profile_id != profile.id:
            raise DomainError(NOT_YOURS)
        if op == "b":
            return blocks_reply(kit)
        if op in ("+", "-"):
            return await self._publish(kit, op == "+")
        blocks = rearranged(kit, op)
        if isinstance(blocks, str):
            return blocks_reply(kit, edit=True, toast=blocks)
        shown, moved = kit.blocks, blocks

        def arranged(k: Kit) -> Kit:
            # The move was worked out on the blocks as shown: over others it means nothing.
            if k.blocks != shown:
                raise DomainError(CHANGED + "Send /mediakit blocks.")
            return replace(k, blocks=moved)

        kit = await self._save(kit, arranged)
        return blocks_reply(kit, edit=True, toast="Saved.")

    # --- storage -----------------------------------------------------------------------------

    async def _current(self, profile: Profile) -> Kit:
        """The kit /mediakit changes: made (unpublished, default blocks) on first use."""
        kits = await self._kits.kits_of(profile.id)
        for kit in kits:
            if kit.current:
                return kit
        if kits:
            await self._kits.make_current(profile.id, kits[0].id)
            return replace(kits[0], current=True)
        now = self._clock.now()
        slug = slug_from(profile.display_name, profile.id)
        for _ in range(3):
            try:
                kit = Kit(0, profile.id, slug, now, now, default=True)
                return await self._kits.add(kit, make_current=True)
            except SlugTaken:
                # The same /mediakit sent twice at once made it (the address is the profile's
                # own), or someone chose this address by hand: then a random tail is free.
                made = await self._kits.kits_of(profile.id)
                if made:
                    return made[0]
                slug = f"{slug[:24]}-{secrets.token_hex(3)}"
        raise DomainError("I couldn't find a free address for your kit; please try again.")

    async def _save(self, kit: Kit, change: Callable[[Kit], Kit]) -> Kit:
        """`change` applied to `kit` and stored; when another change came first, applied
        again to the kit as it is now, so neither is lost (an unpublish stays unpublished)."""
        for _ in range(3):
            try:
                saved = await self._kits.save(replace(change(kit), updated_at=self._clock.now()))
            except SlugTaken as e:
                raise DomainError(f"The address {e.slug!r} is taken; pick another.") from None
            except KitChanged:
                fresh = await self._kits.get(kit.id)
                if fresh is None:
                    raise DomainError(NOT_YOURS) from None
                kit = fresh
                continue
            self._changed(saved.id)
            return saved
        raise DomainError(CHANGED + "Please send it again.")
