"""Replies as terminal text: fields as aligned lines, buttons numbered for typing."""

from __future__ import annotations

from core.replies import Button, Reply, unmark


def render(reply: Reply, *, first_number: int = 1) -> tuple[str, list[Button]]:
    """The text to print and the buttons in the order their numbers were given."""
    lines: list[str] = []
    # A terminal shows inline code as the plain text to type.
    if reply.toast:
        lines.append(f"  ({unmark(reply.toast)})")
    if reply.text:
        lines.extend(unmark(reply.text).splitlines())
    width = max((len(f.label) for f in reply.fields), default=0)
    for field in reply.fields:
        link = f" · {field.url}" if field.url else ""
        lines.append(f"  {field.label.ljust(width)}  {unmark(field.value)}{link}")
    numbered: list[Button] = []
    for row in reply.buttons:
        cells = []
        for button in row:
            number = first_number + len(numbered)
            numbered.append(button)
            target = f" <{button.url}>" if button.url else ""
            if button.private is not None:  # the console is a private chat already
                target = f" </start {button.private}>"
            cells.append(f"[{number}] {button.label}{target}")
        if cells:
            lines.append("  " + "  ".join(cells))
    return "\n".join(lines), numbered
