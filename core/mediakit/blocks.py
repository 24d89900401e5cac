"""The blocks of a kit's page: the list with its buttons, and what a tap on one does."""

from __future__ import annotations

from core.actions import Action
from core.errors import DomainError
from core.mediakit.model import BLOCK_CODES, BlockKind, Kit
from core.replies import Button, Reply

__all__ = ["blocks_reply", "rearranged"]


def blocks_reply(kit: Kit, *, edit: bool = False, toast: str | None = None) -> Reply:
    lines = [f"🧩 Blocks of {kit.slug}, top to bottom:"]
    rows: list[tuple[Button, ...]] = []
    for n, kind in enumerate(kit.blocks, 1):
        lines.append(f"{n}. {kind.label}")
        rows.append(
            (
                Button(f"↑ {kind.label}", Action.MEDIAKIT, f"{kit.id}:u{kind.code}"),
                Button("↓", Action.MEDIAKIT, f"{kit.id}:d{kind.code}"),
                Button("✕", Action.MEDIAKIT, f"{kit.id}:r{kind.code}"),
            )
        )
    if not kit.blocks:
        lines.append("(none: the page is empty)")
    absent = [k for k in BlockKind if k not in kit.blocks]
    adds = [Button(f"+ {k.label}", Action.MEDIAKIT, f"{kit.id}:a{k.code}") for k in absent]
    rows += [tuple(adds[i : i + 3]) for i in range(0, len(adds), 3)]
    lines.append("Custom text and contact: /mediakit text <…> · /mediakit contact <…>")
    return Reply("\n".join(lines), buttons=tuple(rows), edit=edit, toast=toast)


def rearranged(kit: Kit, op: str) -> tuple[BlockKind, ...] | str:
    """The blocks after the button `op` (a, r, u or d and a block's code): add, remove, move
    up or down; a str is why nothing changes (shown as a toast)."""
    kind = BLOCK_CODES.get(op[1:]) if len(op) == 2 else None
    if kind is None or op[0] not in "arud":
        raise DomainError("This button is broken. Send /mediakit blocks.")
    blocks = list(kit.blocks)
    if op[0] == "a":
        if kind in blocks:
            return f"{kind.label} is on the kit already."
        words = kit.text if kind is BlockKind.TEXT else kit.contact
        if kind in (BlockKind.TEXT, BlockKind.CONTACT) and not words:
            which = "text" if kind is BlockKind.TEXT else "contact"
            raise DomainError(f"Set it first: /mediakit {which} <words>.")
        blocks.append(kind)
    elif kind not in blocks:
        return f"{kind.label} isn't on the kit."
    elif op[0] == "r":
        blocks.remove(kind)
    else:
        at = blocks.index(kind)
        to = at - 1 if op[0] == "u" else at + 1
        if not 0 <= to < len(blocks):
            return f"{kind.label} is {'first' if op[0] == 'u' else 'last'} already."
        blocks[at], blocks[to] = blocks[to], blocks[at]
    return tuple(blocks)
