"""/templates: save the draft as a template, list, use it (placeholders filled), delete."""

from __future__ import annotations

import re
from collections.abc import Mapping

from core import limits, views
from core.actions import Action
from core.commands import Command, ascii_number
from core.errors import DomainError
from core.handlers import Actor, profile_wide, refuse, require
from core.model import MessageRef, Profile
from core.planning import placeholders
from core.planning.base import Composer
from core.planning_ports import Template
from core.ports import Clock, UnitOfWorkFactory
from core.replies import Button, Reply, code
from core.roles import Capability
from core.when import zone

MAX_TEMPLATES = 50  # per profile
MAX_LINK = 2_000  # characters of a {link} value
MAX_CAMPAIGN = 64
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}", re.ASCII)
# `link=https://… campaign="Black Friday"`: a value is one word, or quoted.
_VALUE = re.compile(r'(\S+?)=("([^"]*)"|\S*)(?=\s|$)')
USAGE = (
    f"{code('/templates save <name>')} (your draft here), {code('/templates use <name>')}, "
    f"{code('/templates delete <name>')}; {code('/templates')} lists them."
)


class TemplateCommands:
    """/templates and its buttons (plugged into Postroom with add_command and add_tap)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, composer: Composer) -> None:
        self._uow = uow
        self._clock = clock
        self._composer = composer

    async def command(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        profile_wide(actor, "your templates")
        verb, _, rest = cmd.args.strip().partition(" ")
        rest = rest.strip()
        if verb:  # saving, using and deleting change posts or templates; listing is a look
            require(actor, Capability.COMPOSE)
        match verb.lower():
            case "":
                return await self._list(profile)
            case "save":
                return await self._save(actor, profile, rest)
            case "use":
                name, _, values = rest.partition(" ")
                found = await self._named(profile, name)
                return await self._use(actor, profile, found, _values(values))
            case "delete" | "remove":
                found = await self._named(profile, rest)
                async with self._uow() as uow:
                    await uow.planning.delete_template(profile.id, found.id)
                    await uow.commit()
                return Reply(f"Template {found.name!r} deleted.")
            case _:
                raise DomainError(f"I don't know /templates {verb[:20]!r}. {USAGE}")

    async def tap(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        verb, _, raw = arg.partition(":")
        template_id = ascii_number(raw)
        found = None
        if template_id is not None and verb in ("use", "del", "dely"):
            async with self._uow() as uow:
                # Only the profile's own: a forged id of another's template finds nothing.
                found = await uow.planning.template(profile.id, template_id=template_id)
        if found is None:
            return refuse("That template no longer exists. /templates lists yours.")
        profile_wide(actor, "your templates")
        if verb == "use":
            return await self._use(actor, profile, found, {})
        if verb == "del":
            return Reply(
                f"Delete the template {found.name!r}? Drafts made from it stay.",
                buttons=((Button("🗑 Yes, delete it", Action.TEMPLATE, f"dely:{found.id}"),),),
            )
        async with self._uow() as uow:
            await uow.planning.delete_template(profile.id, found.id)
            await uow.commit()
        return Reply(f"Template {found.name!r} deleted.", edit=True, toast="Deleted")

    async def _list(self, profile: Profile) -> Reply:
        async with self._uow() as uow:
            found = await uow.planning.templates(profile.id)
        if not found:
            return Reply(f"No templates yet. {USAGE}")
        lines = ["Your templates:"]
        rows: list[tuple[Button, ...]] = []
        for t in found:
            names = placeholders.used(t.text)
            marks = f" [{', '.join(names)}]" if names else ""
            media = f" +{len(t.media)} media" if t.media else ""
            lines.append(f"• {t.name}{marks}{media} — {views.clip(t.text, 60) or '(media only)'}")
            if len(rows) < 10:
                rows.append(
                    (
                        Button(f"Use {t.name}", Action.TEMPLATE, f"use:{t.id}"),
                        Button("🗑", Action.TEMPLATE, f"del:{t.id}"),
                    )
                )
        lines.append(USAGE)
        return Reply("\n".join(lines), buttons=tuple(rows))

    async def _save(self, actor: Actor, profile: Profile, name: str) -> Reply:
        key = _name(name)
        # The draft they opened or composed here, as /edit takes it (in a team's chat never a
        # team mate's).
        draft = await self._composer.working_draft(actor, profile)
        async with self._uow() as uow:
            if draft is None:
                raise DomainError(
                    "No draft here to save: compose one with /post <text>, then send "
                    f"{code('/templates save ' + key)}."
                )
            placeholders.used(draft.text)  # an unknown placeholder is refused by name
            if len(draft.text) > limits.MAX_POST_CHARS:
                raise DomainError(
                    f"That draft has {len(draft.text):,} characters; a template holds at most "
                    f"{limits.MAX_POST_CHARS:,}."
                )
            if len(await uow.planning.templates(profile.id)) >= MAX_TEMPLATES:
                raise DomainError(
                    f"You have {MAX_TEMPLATES} templates, the most kept; delete one first "
                    "(/templates lists them)."
                )
            template = Template(0, profile.id, key, draft.text, draft.media, self._clock.now())
            saved = await uow.planning.add_template(template)
            if saved is None:
                raise DomainError(
                    f"You already have a template called {key!r}. Pick another name, or "
                    f"replace it: {code('/templates delete ' + key)}, then save again."
                )
            await uow.commit()
        names = placeholders.used(saved.text)
        filled = f" Filled in at use: {', '.join(names)}." if names else ""
        versions = ", ".join(n.label for n in draft.versions())
        dropped = (
            f" Its own texts for {versions} are not kept: a template has one text."
            if versions
            else ""
        )
        return Reply(
            f"Saved draft #{draft.id} as the template {key!r}.{filled}{dropped} "
            f"Use it with {code('/templates use ' + key)}."
        )

    async def _named(self, profile: Profile, name: str) -> Template:
        key = _name(name)
        async with self._uow() as uow:
            found = await uow.planning.template(profile.id, name=key)
        if found is None:
            raise DomainError(f"You have no template called {key!r}. /templates lists yours.")
        return found

    async def _use(
        self, actor: Actor, profile: Profile, template: Template, given: Mapping[str, str]
    ) -> Reply:
        needed = placeholders.used(template.text)
        asked = [n for n in needed if n not in placeholders.AUTOMATIC]
        extra = sorted(set(given) - set(asked))
        if extra:
            raise DomainError(
                f"The template {template.name!r} has no {{{extra[0]}}}"
                + (f"; it asks for {', '.join(asked)}." if asked else ".")
            )
        missing = [n for n in asked if not given.get(n)]
        if missing:
            example = " ".join(f"{n}={_EXAMPLES[n]}" for n in missing)
            return Reply(
                f"The template {template.name!r} needs {', '.join(missing)}. Send "
                f"{code(f'/templates use {template.name} {example}')}."
            )
        local = self._clock.now().astimezone(zone(profile.timezone))
        values = {"date": f"{local:%Y-%m-%d}", "time": f"{local:%H:%M}", **given}
        text = placeholders.fill(template.text, values)
        if len(text) > limits.MAX_POST_CHARS:
            raise DomainError(
                f"Filled in, the text has {len(text):,} characters; the longest any network "
                f"takes is {limits.MAX_POST_CHARS:,}. Use shorter values."
            )
        return await self._composer.new_draft(actor, profile, text, template.media)


_EXAMPLES = {"link": "https://example.com/launch", "campaign": "launch"}


def _name(text: str) -> str:
    key = text.strip().lower()
    if not _NAME.fullmatch(key):
        shown = text.strip()[:40] or "nothing"
        raise DomainError(
            f"A template name is 1–32 letters, digits, - or _ (e.g. weekly-tip), not {shown!r}."
        )
    return key


def _values(text: str) -> dict[str, str]:
    """`link=https://… campaign=launch` as a mapping; unknown or repeated names refused."""
    values: dict[str, str] = {}
    at = 0
    for m in _VALUE.finditer(text):
        if text[at : m.start()].strip():
            break
        name, value = m.group(1).lower(), m.group(3) if m.group(3) is not None else m.group(2)
        if name not in ("link", "campaign"):
            raise DomainError(
                f"Templates take link=… and campaign=…, not {name[:20]!r}=. "
                f"e.g. {code('/templates use promo link=https://example.com campaign=launch')}"
            )
        if name in values:
            raise DomainError(f"{name}= is given twice; give it once.")
        if name == "link" and (
            not value.startswith(("https://", "http://")) or len(value) > MAX_LINK
        ):
            raise DomainError(
                f"link= needs a web address starting with https:// (at most {MAX_LINK:,} "
                "characters)."
            )
        if name == "campaign" and (not value.strip() or len(value) > MAX_CAMPAIGN):
            raise DomainError(f"campaign= needs a name of 1–{MAX_CAMPAIGN} characters.")
        values[name] = value
        at = m.end()
    if text[at:].strip():
        raise DomainError(
            f"I can't read {text[at:].strip()[:40]!r}: give values as name=value, e.g. "
            f"{code('link=https://example.com campaign=launch')}."
        )
    return values
