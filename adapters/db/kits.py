"""core.mediakit's KitStore over SQL: a kit row, its blocks in order, one transaction a call."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.db.kit_tables import KitBlockRow, KitRow
from core.mediakit.model import BlockKind, Kit, Theme
from core.mediakit.ports import KitChanged, KitHead, SlugTaken

_KINDS = {k.value: k for k in BlockKind}


def _kit(row: KitRow, blocks: Sequence[KitBlockRow]) -> Kit:
    return Kit(
        id=row.id,
        profile_id=row.profile_id,
        slug=row.slug,
        created_at=row.created_at,
        updated_at=row.updated_at,
        published=row.published,
        default=row.is_default,
        current=row.is_current,
        theme=Theme(row.primary_colour, row.radius),
        # A kind this version does not know (a later one wrote it) is left off the page.
        blocks=tuple(
            _KINDS[b.kind] for b in sorted(blocks, key=lambda b: b.position) if b.kind in _KINDS
        ),
        text=row.text,
        contact=row.contact,
        version=row.version,
    )


class SqlKitStore:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def _load(self, session: AsyncSession, rows: Sequence[KitRow]) -> list[Kit]:
        ids = [r.id for r in rows]
        blocks: dict[int, list[KitBlockRow]] = {i: [] for i in ids}
        if ids:
            found = await session.scalars(select(KitBlockRow).where(KitBlockRow.kit_id.in_(ids)))
            for block in found:
                blocks[block.kit_id].append(block)
        return [_kit(r, blocks[r.id]) for r in rows]

    async def kits_of(self, profile_id: int) -> Sequence[Kit]:
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(KitRow)
                    .where(KitRow.profile_id == profile_id)
                    .order_by(KitRow.is_default.desc(), KitRow.id)
                )
            ).all()
            return await self._load(session, rows)

    async def get(self, kit_id: int) -> Kit | None:
        async with self._sessions() as session:
            row = await session.get(KitRow, kit_id)
            return None if row is None else (await self._load(session, [row]))[0]

    async def head(self, slug: str) -> KitHead | None:
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(KitRow.id, KitRow.profile_id, KitRow.version, KitRow.published).where(
                        KitRow.slug == slug
                    )
                )
            ).first()
        return None if found is None else KitHead(*found)

    async def published_slugs(self) -> frozenset[str]:
        async with self._sessions() as session:
            found = await session.scalars(select(KitRow.slug).where(KitRow.published))
            return frozenset(found)

    async def add(self, kit: Kit, *, make_current: bool) -> Kit:
        async with self._sessions() as session:
            if make_current:
                await session.execute(
                    update(KitRow)
                    .where(KitRow.profile_id == kit.profile_id)
                    .values(is_current=False)
                )
            row = KitRow(
                profile_id=kit.profile_id,
                slug=kit.slug,
                published=kit.published,
                is_default=kit.default,
                is_current=make_current,
                primary_colour=kit.theme.primary,
                radius=kit.theme.radius,
                text=kit.text,
                contact=kit.contact,
                version=1,
                created_at=kit.created_at,
                updated_at=kit.updated_at,
            )
            session.add(row)
            try:
                await session.flush()
                session.add_all(_block_rows(row.id, kit.blocks))
                await session.commit()
            except IntegrityError:
                await session.rollback()
                raise SlugTaken(kit.slug) from None
            return (await self._load(session, [row]))[0]

    async def save(self, kit: Kit) -> Kit:
        async with self._sessions() as session:
            values = {
                "slug": kit.slug,
                "published": kit.published,
                "primary_colour": kit.theme.primary,
                "radius": kit.theme.radius,
                "text": kit.text,
                "contact": kit.contact,
                "updated_at": kit.updated_at,
                "version": KitRow.version + 1,
            }
            try:
                # Only over the version that was read: a change made meanwhile (another
                # worker, another chat of the profile) is never silently written over.
                done = await session.execute(
                    update(KitRow)
                    .where(KitRow.id == kit.id, KitRow.version == kit.version)
                    .values(values)
                )
                if int(getattr(done, "rowcount", 0) or 0) != 1:
                    await session.rollback()
                    raise KitChanged(kit.id)
                await session.execute(delete(KitBlockRow).where(KitBlockRow.kit_id == kit.id))
                session.add_all(_block_rows(kit.id, kit.blocks))
                await session.commit()
            except IntegrityError:
                await session.rollback()
                raise SlugTaken(kit.slug) from None
            row = await session.get(KitRow, kit.id, populate_existing=True)
            assert row is not None
            return (await self._load(session, [row]))[0]

    async def make_current(self, profile_id: int, kit_id: int) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(KitRow)
                .where(KitRow.profile_id == profile_id)
                .values(is_current=KitRow.id == kit_id)
            )
            await session.commit()

    async def delete(self, kit_id: int) -> None:
        async with self._sessions() as session:
            await session.execute(delete(KitBlockRow).where(KitBlockRow.kit_id == kit_id))
            await session.execute(delete(KitRow).where(KitRow.id == kit_id))
            await session.commit()


def _block_rows(kit_id: int, blocks: Sequence[BlockKind]) -> list[KitBlockRow]:
    return [KitBlockRow(kit_id=kit_id, position=n, kind=k.value) for n, k in enumerate(blocks)]
