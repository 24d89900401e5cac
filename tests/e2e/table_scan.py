"""Every table of the metadata read whole: which rows belong to a profile, found generically."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Integer, Table, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

from adapters.db.tables import Base

Row = dict[str, Any]
Tables = dict[str, list[Row]]


async def read_all(engine: AsyncEngine) -> Tables:
    """Every row of every table the metadata knows (a table added later included)."""
    found: Tables = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(select(table))).mappings()
            found[table.name] = [dict(r) for r in rows]
    return found


def _mentions(row: Row, marks: Iterable[str]) -> bool:
    text = " ".join(str(v) for v in row.values()).lower()
    return any(mark.lower() in text for mark in marks)


def owned(tables: Tables, profile_id: int, marks: Iterable[str]) -> dict[str, list[Row]]:
    """The rows that refer to the profile: the profile itself; any row with a `profile_id` of
    it (declared as a foreign key or not); any row whose foreign key points at an owned row
    (targets of its posts, measurements of its items, …); and any row that names one of its
    identities (`marks`: user ids and chat ids, written to be unmistakable)."""
    marks = tuple(marks)
    result: dict[str, list[Row]] = {}
    values: dict[tuple[str, str], set[Any]] = {}
    referenced = {
        (fk.column.table.name, fk.column.name)
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
    }
    for table in Base.metadata.sorted_tables:
        mine: list[Row] = []
        for row in tables[table.name]:
            if (
                (table.name == "profiles" and row["id"] == profile_id)
                or row.get("profile_id") == profile_id
                or _mentions(row, marks)
                or any(
                    row[fk.parent.name] in values.get((fk.column.table.name, fk.column.name), ())
                    for fk in table.foreign_keys
                )
            ):
                mine.append(row)
        result[table.name] = mine
        for column in table.columns:
            if (table.name, column.name) in referenced:
                values[(table.name, column.name)] = {r[column.name] for r in mine}
    return result


def profile_tables() -> list[Table]:
    """The tables whose rows reach the profile through foreign keys, parents first."""
    reached = {"profiles"}
    chain: list[Table] = []
    for table in Base.metadata.sorted_tables:
        if any(fk.column.table.name in reached for fk in table.foreign_keys):
            reached.add(table.name)
            chain.append(table)
    return chain


def _value(table: Table, name: str, kind: type, mark: str, now: datetime) -> Any:
    column = table.c[name]
    if kind is str:
        length = getattr(column.type, "length", None) or 64
        return mark[:length]
    if kind is bool:
        return False
    if kind is int:
        return 1
    if kind is datetime:
        return now
    if kind is date:
        return now.date()
    if kind in (dict, list) or isinstance(column.type, JSON):
        return {}
    raise TypeError(f"{table.name}.{name}: no sample value for {kind.__name__}")


def identity_tables() -> list[Table]:
    """The tables that keep rows for a chat identity, named as `identities` names it."""
    return [
        t
        for t in Base.metadata.sorted_tables
        if all(name in t.c for name in IDENTITY) and t.name != "identities"
    ]


IDENTITY = ("platform", "workspace", "user_id")


async def add_missing_rows(
    engine: AsyncEngine,
    profile_id: int,
    identity: tuple[str, str, str],
    now: datetime,
    have: Mapping[str, int],
) -> list[str]:
    """A made-up row for each table that reaches the profile (or keeps rows for a chat
    identity) but holds none of its rows yet (`have`: owned rows per table), its foreign keys
    pointing at rows of the profile; so a table added after this test was written is filled
    and scanned too. The tables filled."""
    filled: list[str] = []
    mark = identity[2]
    async with engine.begin() as connection:
        # A table can be both (team_members: a team's, and kept for a chat identity): once.
        for table in dict.fromkeys([*profile_tables(), *identity_tables()]):
            if have.get(table.name):
                continue
            row: Row = {}
            if table in identity_tables():
                row |= dict(zip(IDENTITY, identity, strict=True))
            for column in table.columns:
                if column.name in row:
                    continue
                fk = next(iter(column.foreign_keys), None)
                if fk is not None:
                    parent = fk.column.table
                    if parent.name == "profiles":
                        row[column.name] = profile_id
                        continue
                    key = (
                        await connection.execute(
                            select(fk.column).where(_ours(parent, profile_id))
                        )
                    ).first()
                    if key is not None:
                        row[column.name] = key[0]
                        continue
                if (
                    column.primary_key
                    and column.autoincrement in (True, "auto")
                    and len(table.primary_key.columns) == 1
                    and isinstance(column.type, Integer)
                ):
                    continue  # the database numbers it
                if column.nullable or column.default is not None:
                    continue
                if column.server_default is not None:
                    continue
                kind = column.type
                if isinstance(kind, TypeDecorator):
                    kind = kind.impl_instance
                row[column.name] = _value(table, column.name, kind.python_type, mark, now)
            try:
                await connection.execute(insert(table).values(row))
            except SQLAlchemyError as e:
                raise AssertionError(
                    f"table {table.name} keeps rows of a profile, but the /forget scan could not "
                    f"make one for it ({type(e).__name__}); give it a row in the test's setup"
                ) from e
            filled.append(table.name)
    return filled


def _ours(table: Table, profile_id: int) -> Any:
    """A condition picking a table's rows of the profile, through `profile_id` or a parent."""
    if "profile_id" in table.c:
        return table.c.profile_id == profile_id
    reaching = {t.name for t in profile_tables()}
    for fk in table.foreign_keys:
        parent = fk.column.table
        if parent.name == "profiles":
            return fk.parent == profile_id
        if parent.name in reaching:
            return fk.parent.in_(select(fk.column).where(_ours(parent, profile_id)))
    raise AssertionError(f"{table.name} does not reach profiles")
