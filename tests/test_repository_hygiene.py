"""The repository stands on its own: what it cites is in it, or is public."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THIS = Path(__file__).resolve()

# Notes and specification documents that lived next to the repository, never in it: a comment
# citing one sends the reader somewhere they cannot follow.
OUTSIDE = re.compile(
    r"\bseeds?\s*0\d\d"  # "seed 004", "Seed 002's machine"
    r"|\bseeds/"
    r"|(?:\.\.|/work)/shared\b"
    r"|\b(?:chat-ux|ayrshare-api|architecture-notes|peers)\.md\b",
    re.IGNORECASE,
)
# A Markdown file named in text, with an optional section: `docs/limits-by-platform.md#telegram`.
# Path segments must start the token, so a URL's tail (https://host/x.md) is not taken for one.
MD_MENTION = re.compile(r"(?<![\w/.:-])((?:[\w.-]+/)*[\w-]+\.md)\b(?:#([\w-]+))?")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def repository_files() -> list[Path]:
    """Tracked files plus new ones not ignored (so a file not yet added is checked too)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):  # no git (an exported tree): walk it
        skip = {".git", ".venv", "var", "__pycache__", ".mypy_cache", ".ruff_cache"}
        return [
            p
            for p in ROOT.rglob("*")
            if p.is_file()
            and not skip.intersection(p.relative_to(ROOT).parts)
            and not any(part.endswith(".egg-info") for part in p.relative_to(ROOT).parts)
        ]
    return [ROOT / name for name in out.split("\0") if name and (ROOT / name).is_file()]


def text_files() -> dict[Path, str]:
    found: dict[Path, str] = {}
    for path in repository_files():
        try:
            found[path] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return found


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    return {
        re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        for title in HEADING.findall(markdown)
    }


def located(path: Path, text: str, start: int) -> str:
    return f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, start) + 1}"


def test_nothing_cites_material_outside_the_repository() -> None:
    found = [
        f"{located(path, text, m.start())}: {m.group(0)!r}"
        for path, text in text_files().items()
        if path != THIS
        for m in OUTSIDE.finditer(text)
    ]
    assert not found, "cite a public URL or a file under docs/ instead:\n" + "\n".join(found)


def test_every_markdown_file_cited_exists_with_its_section() -> None:
    files = text_files()
    broken = []
    for path, text in files.items():
        for m in MD_MENTION.finditer(text):
            name, section = m.group(1), m.group(2)
            target = ROOT / name
            if not target.is_file():
                broken.append(f"{located(path, text, m.start())}: {name} is not in the repository")
            elif section and section not in anchors(target.read_text(encoding="utf-8")):
                broken.append(f"{located(path, text, m.start())}: {name} has no #{section}")
    assert not broken, "\n".join(broken)


def test_the_hygiene_checks_catch_what_they_are_for() -> None:
    """The patterns above match the citations they exist to stop (a check that cannot fail
    would pass for any repository)."""
    for cited in ("(seed 004's mapping)", "Seed 002's machine", "../shared/reference"):
        assert OUTSIDE.search(cited), cited
    assert OUTSIDE.search("(chat-ux" + ".md: one message per task)")
    bare = "platform-limits" + ".md"  # cited without its folder: not a path in the repository
    assert [m.group(1, 2) for m in MD_MENTION.finditer(f"({bare} §1)")] == [(bare, None)]
    assert not (ROOT / bare).exists()
    assert not list(MD_MENTION.finditer("https://www.ayrshare.com/docs/errors/errors-http.md"))
    assert anchors("## Instagram Graph API\n## Tiers") == {"instagram-graph-api", "tiers"}
