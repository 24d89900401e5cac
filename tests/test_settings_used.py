"""Every setting is read by the code and documented in the README, and nothing else is."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ("core", "adapters", "bot")


def attributes_read(directories: tuple[str, ...]) -> set[str]:
    """Every `x.name` read in these packages (settings.py's own properties count: a field is
    declared there by annotation, not read)."""
    names: set[str] = set()
    for directory in directories:
        for path in (ROOT / directory).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            names.update(
                node.attr
                for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
            )
    return names


def test_every_setting_is_read_by_the_code() -> None:
    """A setting nothing reads promises the operator a knob that does nothing."""
    read = attributes_read(PRODUCTION)
    unread = sorted(set(Settings.model_fields) - read)
    assert not unread, f"settings no code in {PRODUCTION} reads: {unread}"


def test_readme_configuration_table_lists_exactly_the_settings() -> None:
    """Each POSTROOM_* variable in the README's Configuration table is a Settings field, and
    each field has its row: an operator can neither set a variable nothing reads nor miss one."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = {
        name for row in rows for name in re.findall(r"POSTROOM_[A-Z0-9_]+", row.split("|")[1])
    }
    prefix = Settings.model_config.get("env_prefix", "")
    settings = {f"{prefix}{name}".upper() for name in Settings.model_fields}
    assert sorted(documented - settings) == [], "README rows for variables Settings does not have"
    assert sorted(settings - documented) == [], "settings the README's Configuration omits"
