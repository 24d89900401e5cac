"""In-memory channel link codes and links with the SQL adapter's semantics (tests, sandbox)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from adapters.memory.analytics import Transaction
from core.errors import Conflict
from core.link_model import ChatLink, LinkCode
from core.model import Identity


@dataclass
class LinkTables:
    """The committed link rows of one in-memory store."""

    codes: dict[str, LinkCode] = field(default_factory=dict)
    links: dict[int, ChatLink] = field(default_factory=dict)
    link_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def __deepcopy__(self, memo: dict[int, object]) -> LinkTables:
        # Rows are immutable; the id counter is shared so ids are never reused.
        return LinkTables(dict(self.codes), dict(self.links), self.link_ids)


def _usable(code: LinkCode | None, now: datetime) -> bool:
    return code is not None and code.used_at is None and code.expires_at > now


class InMemoryLinkRepository:
    """Writes are replayed onto the committed rows at commit: a code another unit of work
    used meanwhile, or a channel it linked meanwhile, makes the commit raise Conflict."""

    def __init__(self, tx: Transaction[LinkTables]) -> None:
        self._tx = tx

    async def add_code(self, code: LinkCode) -> None:
        def op(t: LinkTables) -> None:
            for key, old in list(t.codes.items()):
                if old.expires_at <= code.created_at:
                    del t.codes[key]
            if code.digest in t.codes:
                raise Conflict("that code exists already")
            t.codes[code.digest] = code

        self._tx.write(op)

    async def code(self, code_digest: str) -> LinkCode | None:
        return self._tx.view.codes.get(code_digest)

    async def use_code(self, code_digest: str, now: datetime) -> bool:
        if not _usable(self._tx.view.codes.get(code_digest), now):
            return False

        def op(t: LinkTables) -> None:
            found = t.codes.get(code_digest)
            if found is None or not _usable(found, now):
                raise Conflict("that code was used meanwhile")
            t.codes[code_digest] = replace(found, used_at=now)

        self._tx.write(op)
        return True

    async def link_of(self, identity: Identity) -> ChatLink | None:
        return next((x for x in self._tx.view.links.values() if x.identity == identity), None)

    async def get(self, link_id: int) -> ChatLink | None:
        return self._tx.view.links.get(link_id)

    async def for_profile(self, profile_id: int) -> Sequence[ChatLink]:
        links = self._tx.view.links.values()
        return sorted((x for x in links if x.profile_id == profile_id), key=lambda x: x.id)

    async def add(self, link: ChatLink) -> ChatLink:
        added = replace(link, id=next(self._tx.view.link_ids))

        def op(t: LinkTables) -> None:
            if any(x.identity == added.identity for x in t.links.values()):
                raise Conflict(f"{added.identity} is linked already")
            t.links[added.id] = added

        self._tx.write(op)
        return added

    async def remove(self, link_id: int) -> None:
        def op(t: LinkTables) -> None:
            t.links.pop(link_id, None)

        self._tx.write(op)
