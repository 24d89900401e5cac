"""Reading an import's CSV: bytes to text, the delimiter, the header's columns, the rows."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from core.errors import DomainError

# What one import takes (README, "Import and export"): enough for a season of posts, small
# enough to check, preview and store in one go. Over either, nothing is read at all.
MAX_ROWS = 1_000
MAX_BYTES = 1_000_000
# The columns an import reads, by the names people give them in spreadsheets and in the
# exports of other schedulers (lower case, spaces and dashes as underscores).
TEXT, NETWORKS, TIME, MEDIA, CAMPAIGN = "text", "networks", "time", "media", "campaign"
ALIASES: Mapping[str, str] = {
    **dict.fromkeys(("text", "message", "post", "caption", "content", "body", "copy"), TEXT),
    **dict.fromkeys(
        ("networks", "network", "platforms", "platform", "channels", "channel", "social"),
        NETWORKS,
    ),
    **dict.fromkeys(
        (
            "time",
            "when",
            "date",
            "datetime",
            "date_time",
            "schedule",
            "scheduled",
            "scheduled_at",
            "scheduled_time",
            "publish_at",
            "publish_time",
            "post_at",
        ),
        TIME,
    ),
    **dict.fromkeys(
        (
            "media",
            "media_urls",
            "media_url",
            "image",
            "images",
            "image_url",
            "video",
            "video_url",
            "attachments",
            "urls",
        ),
        MEDIA,
    ),
    **dict.fromkeys(("campaign", "campaigns", "tag", "tags", "label"), CAMPAIGN),
}
REQUIRED = (TEXT, NETWORKS, TIME)
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}
# Separators people pick that we do not read: named when they seem to be the one used.
_OTHER = {"|": "|", ":": ":", " ": "spaces"}
# The MIME types and name endings a table file comes with (Windows names a .csv
# application/vnd.ms-excel; https://www.rfc-editor.org/rfc/rfc7111 registers text/csv).
TABLE_MIMES = frozenset(
    {
        "text/csv",
        "text/comma-separated-values",
        "application/csv",
        "text/tab-separated-values",
        "application/vnd.ms-excel",
    }
)
TABLE_SUFFIXES = (".csv", ".tsv")
EXAMPLE = "text,networks,time,media,campaign"


def is_table(filename: str, mime: str) -> bool:
    """Whether a file sent in chat is a table to import (by its name or type)."""
    return filename.lower().endswith(TABLE_SUFFIXES) or mime.lower() in TABLE_MIMES


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its number as a spreadsheet shows it (the header is row 1), its cells."""

    number: int
    cells: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Table:
    rows: tuple[Row, ...]
    delimiter: str
    ignored: tuple[str, ...] = ()  # header names read as no column of ours
    problems: tuple[tuple[int, str], ...] = ()  # (row, why) for rows that could not be read


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without the BOM Excel writes), or UTF-16 with its BOM
    (Excel's "Unicode text"); anything else is refused, naming the first bad byte."""
    if len(data) > MAX_BYTES:
        raise DomainError(too_big(len(data)))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DomainError("That file says it is UTF-16 but is not. " + _SAVE_AS) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DomainError(
            f"That file is not UTF-8 text: byte 0x{data[e.start]:02x} on line {line}. " + _SAVE_AS
        ) from None
    if "\x00" in text:
        raise DomainError("That file holds binary data, not text. " + _SAVE_AS)
    return text


_SAVE_AS = "Save it from your spreadsheet as “CSV UTF-8” and send it again. Nothing was imported."


def too_big(size: int) -> str:
    return (
        f"That file is {size / 1_000_000:.1f} MB; one import takes at most "
        f"{MAX_BYTES // 1_000_000} MB and {MAX_ROWS:,} rows. Split it and send the parts. "
        "Nothing was imported."
    )


def read_table(text: str) -> Table:
    """The rows of `text` under its header; refuses, with the way out, a file whose columns
    cannot be found or that has more than MAX_ROWS rows."""
    text = text.removeprefix("\ufeff")
    header_line = _first_line(text)
    if header_line is None:
        raise DomainError(f"That file is empty. The first line names the columns: {EXAMPLE}.")
    delimiter, columns = _sniff(header_line)
    missing = [c for c in REQUIRED if c not in columns.values()]
    if missing:
        raise DomainError(
            f"The header has no {' or '.join(missing)} column. The first line names the "
            f"columns, e.g. {EXAMPLE} (media and campaign may be left out)."
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = _records(reader)
    next(header)  # the header line, read again by the csv reader
    width = len(_split(header_line, delimiter))
    ignored = tuple(
        name for i, name in enumerate(_split(header_line, delimiter)) if i not in columns
    )
    rows: list[Row] = []
    problems: list[tuple[int, str]] = []
    number = 1
    for cells in header:
        number += 1
        if not any(c.strip() for c in cells):
            continue  # a blank line, or a row of empty cells
        if len(rows) + len(problems) >= MAX_ROWS:
            raise DomainError(
                f"That file has more than {MAX_ROWS:,} rows; one import takes at most "
                f"{MAX_ROWS:,}. Split it and send the parts. Nothing was imported."
            )
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.append(
                (
                    number,
                    f"{len(cells)} cells but the header names {width}: put text that "
                    f"holds {DELIMITERS[delimiter][:-1]}s in double quotes",
                )
            )
            continue
        rows.append(
            Row(number, {field: _cell(cells, i) for i, field in columns.items()}),
        )
    return Table(tuple(rows), delimiter, ignored, tuple(problems))


def _records(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The csv reader's records, its errors (an unclosed quote) as a refusal with the line."""
    line = getattr(reader, "line_num", 0)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            line = getattr(reader, "line_num", line)
            raise DomainError(
                f"I can't read line {line} of that file ({e}): a quote may be left open. "
                "Text holding quotes, line breaks or the separator goes in double quotes, "
                'with its own quotes doubled (""). Nothing was imported.'
            ) from None
        yield record


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line
    return None


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return [line]


def header_name(raw: str) -> str:
    """A header cell as the alias table spells it: `Media URLs` → `media_urls`."""
    name = raw.strip().strip('"').strip().lower()
    for mark in (" ", "-", "."):
        name = name.replace(mark, "_")
    return "_".join(part for part in name.split("_") if part)


def _sniff(header_line: str) -> tuple[str, dict[int, str]]:
    """The delimiter whose split of the header names most of our columns, and the columns
    (cell index → field); a header no delimiter makes sense of is refused, naming the one it
    seems to use."""
    best: tuple[str, dict[int, str]] | None = None
    for delimiter in DELIMITERS:
        columns: dict[int, str] = {}
        seen: set[str] = set()
        for index, cell in enumerate(_split(header_line, delimiter)):
            field = ALIASES.get(header_name(cell))
            if field is None:
                continue
            if field in seen:
                raise DomainError(
                    f"The header names the {field} column twice ({header_line[:80]!r}). "
                    "Keep one and send the file again."
                )
            seen.add(field)
            columns[index] = field
        if best is None or len(columns) > len(best[1]):
            best = (delimiter, columns)
    assert best is not None
    if len(best[1]) >= 2:
        return best
    shown = header_line[:80]
    used = next((name for mark, name in _OTHER.items() if mark in header_line.strip()), None)
    seems = f" It seems to be separated by {used}." if used else ""
    raise DomainError(
        f"I can't find the columns in the first line, {shown!r}.{seems} Separate them with "
        f"commas, semicolons or tabs, e.g. {EXAMPLE}. Nothing was imported."
    )


def describe(table: Table) -> str:
    """`separated by semicolons`: how the file was read, for the preview."""
    return f"separated by {DELIMITERS[table.delimiter]}"
