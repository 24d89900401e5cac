"""Which SQL statements write: the SQLite writer's decision to begin a write transaction."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Statements that change the database (or, SAVEPOINT, open a transaction that may). Anything
# else runs as it is: reads, PRAGMAs (`foreign_keys` is a no-op inside a transaction), VACUUM
# and ATTACH (refused inside one), and transaction control itself.
_WRITES = frozenset(
    {"INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER"}
)
# What may follow a WITH clause's common tables (https://www.sqlite.org/lang_with.html).
_MAIN = frozenset({"SELECT", "VALUES", "INSERT", "UPDATE", "DELETE", "REPLACE"})
_EXPLICIT_BEGIN = re.compile(r"BEGIN\s+(IMMEDIATE|EXCLUSIVE)\b", re.I)
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9$]*")
# A comment, string literal or quoted identifier (https://www.sqlite.org/lang_keywords.html):
# nothing inside one is a keyword. Unterminated, it runs to the end.
_SKIPPED = re.compile(
    r"""--[^\n]*
    | /\*.*?(?:\*/|\Z)
    | '(?:[^']|'')*'?
    | "(?:[^"]|"")*"?
    | `[^`]*`?
    | \[[^\]]*\]?""",
    re.S | re.X,
)
_SPACE = re.compile(r"\s+")


def _words_at_depth_zero(sql: str) -> Iterator[str]:
    """The keywords and names outside parentheses, comments and quotes, upper-cased."""
    depth, pos, end = 0, 0, len(sql)
    while pos < end:
        char = sql[pos]
        skipped = _SKIPPED.match(sql, pos) if char in "-/'\"`[" else None
        if skipped is not None and skipped.end() > pos:
            pos = skipped.end()
        elif char == "(":
            depth, pos = depth + 1, pos + 1
        elif char == ")":
            depth, pos = max(depth - 1, 0), pos + 1
        elif (word := _WORD.match(sql, pos)) is not None:
            if depth == 0:
                yield word.group().upper()
            pos = word.end()
        else:
            pos += 1


def _first_word(sql: str) -> tuple[str, int] | None:
    """The statement's first keyword after leading whitespace and comments."""
    pos = 0
    while True:
        space = _SPACE.match(sql, pos)
        if space is not None:
            pos = space.end()
        if sql.startswith(("--", "/*"), pos):
            skipped = _SKIPPED.match(sql, pos)
            assert skipped is not None
            pos = skipped.end()
            continue
        word = _WORD.match(sql, pos)
        return (word.group().upper(), pos) if word is not None else None


def writes(sql: str) -> bool:
    """Whether `sql` changes the database, so must run inside a write transaction.

    A WITH clause is decided by the statement after its common table expressions: `WITH …
    SELECT` reads, `WITH … INSERT|UPDATE|DELETE` writes.
    """
    first = _first_word(sql)
    if first is None:
        return False
    keyword, pos = first
    if keyword != "WITH":
        return keyword in _WRITES
    main = next((w for w in _words_at_depth_zero(sql[pos:]) if w in _MAIN), None)
    return main is not None and main not in ("SELECT", "VALUES")


def begins_write(sql: str) -> bool:
    """Whether `sql` is itself `BEGIN IMMEDIATE` or `BEGIN EXCLUSIVE` (takes the write lock)."""
    first = _first_word(sql)
    return first is not None and _EXPLICIT_BEGIN.match(sql, first[1]) is not None
