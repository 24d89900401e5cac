"""A chat in the terminal: typed lines become commands and taps, replies print with numbered
buttons; also the messenger that prints progress edits and notices."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import sys
import threading
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from adapters.console.render import render
from core.chat.entry import Postroom
from core.commands import ascii_number
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, MessageRef
from core.replies import Button, Document, Reply

PROMPT = "> "


@dataclass
class _Shown:
    ref: MessageRef
    buttons: list[Button] = field(default_factory=list)


class ConsoleChat:
    """One terminal, any number of simulated users (`as NAME` switches who is typing)."""

    def __init__(
        self,
        bot: Postroom,
        *,
        user: str = "you",
        out: TextIO | None = None,
        after_update: Callable[[], Awaitable[None]] | None = None,
        files: Path | None = None,
    ) -> None:
        self._bot = bot
        self._files = (
            files  # where a reply's file (an export) or image is written, e.g. var/exports
        )
        self._out = out or sys.stdout
        self.after_update = after_update
        self._ids = itertools.count(1)
        self._shown: list[_Shown] = []
        self.user = user

    # --- Messenger port ---------------------------------------------------------------

    async def send(self, chat: ChatRef, reply: Reply) -> MessageRef:
        return self._print(chat, reply, None)

    async def edit(self, message: MessageRef, reply: Reply) -> None:
        self._print(message.chat, reply, message)

    # --- input ------------------------------------------------------------------------

    @property
    def chat(self) -> ChatRef:
        return ChatRef(ChatPlatform.CONSOLE, self.user, kind=ChatKind.PRIVATE)

    def _actor(self) -> Actor:
        return Actor(Identity(ChatPlatform.CONSOLE, self.user), self.chat, self.user)

    async def handle_line(self, line: str) -> None:
        """One user action: a command or text, `as NAME`, a button number or `[label]`."""
        line = line.strip()
        if not line or line.startswith("#"):
            return
        if line.startswith("as "):
            self.user = line[3:].strip() or self.user
            self._write(f"(now acting as {self.user})")
            return
        found = self._find_button(line)
        if found is not None:
            shown, button = found
            await self._tap(shown, button)
        elif ascii_number(line) is not None or (line.startswith("[") and line.endswith("]")):
            self._write("(no such button on screen)")
        else:
            reply = await self._bot.handle_text(self._actor(), line)
            if reply is not None:
                self._print(self.chat, reply, None)
        if self.after_update is not None:
            await self.after_update()

    async def _tap(self, shown: _Shown, button: Button) -> None:
        if button.url:
            self._write(f"(open {button.url} in a browser)")
            return
        if button.private is not None:  # "continue in private": this chat is private
            answer = await self._bot.handle_text(self._actor(), f"/start {button.private}")
            if answer is not None:
                self._print(self.chat, answer, None)
            return
        reply = await self._bot.handle_tap(self._actor(), button.callback_data, shown.ref)
        self._print(shown.ref.chat, reply, shown.ref if reply.edit else None)

    def _find_button(self, line: str) -> tuple[_Shown, Button] | None:
        number = ascii_number(line)  # "²" is not button 2
        if number is not None:
            for shown in reversed(self._shown):
                if shown.buttons:
                    index = number - 1
                    if 0 <= index < len(shown.buttons):
                        return shown, shown.buttons[index]
                    return None
            return None
        if line.startswith("[") and line.endswith("]"):
            wanted = _plain(line[1:-1])
            for shown in reversed(self._shown):
                for button in shown.buttons:
                    if wanted and wanted in _plain(button.label):
                        return shown, button
        return None

    async def run_lines(self, lines: Iterable[str | bytes], *, echo: bool = True) -> None:
        """Each line as if typed; bytes are decoded as UTF-8, a line that is not is skipped."""
        for raw in lines:
            line = self._decoded(raw)
            if line is None:
                continue
            if echo and line.strip() and not line.lstrip().startswith("#"):
                self._write(f"{PROMPT}{line.rstrip()}" if not line.startswith("as ") else "")
            await self.handle_line(line)

    async def interact(self, stdin: TextIO | None = None) -> None:
        """Read lines until end of input (Ctrl-D) or cancellation."""
        source = stdin or sys.stdin
        # Bytes where the stream has them: one line that is not UTF-8 is refused by itself
        # instead of ending the console with a decoding error.
        binary = getattr(source, "buffer", None)
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str | bytes] = asyncio.Queue()

        def read() -> None:
            # A daemon thread, so a stop signal never waits for the user to press Enter.
            while True:
                line: str | bytes = binary.readline() if binary is not None else source.readline()
                loop.call_soon_threadsafe(lines.put_nowait, line)
                if not line:
                    return

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        while True:
            self._out.write(PROMPT)
            self._out.flush()
            raw = await lines.get()
            if not raw:
                return
            line = self._decoded(raw)
            if line is not None:
                await self.handle_line(line)

    def _decoded(self, raw: str | bytes) -> str | None:
        if isinstance(raw, str):
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            self._write(
                f"(skipped a line that is not UTF-8 text: byte 0x{raw[e.start]:02x} at "
                f"position {e.start + 1}; nothing was sent)"
            )
            return None

    # --- output -----------------------------------------------------------------------

    def _print(self, chat: ChatRef, reply: Reply, edited: MessageRef | None) -> MessageRef:
        text, buttons = render(reply)
        if reply.document is not None and edited is None:
            text += "\n" + self._save(reply.document)
        if reply.image is not None:
            text += "\n" + self._save_image(reply.image)
        if edited is not None:
            ref = edited
            self._shown = [s for s in self._shown if s.ref != ref]
            self._write(f"~ (message {ref.message_id} edited)\n{text}" if reply.text else text)
        else:
            ref = MessageRef(chat, str(next(self._ids)))
            if not reply.text and reply.toast:
                self._write(text)
                return ref
            self._write(text)
        self._shown.append(_Shown(ref, buttons))
        return ref

    def _save(self, document: Document) -> str:
        """A reply's file written under `files` (a terminal shows no attachments): its path."""
        size = f"{len(document.data):,} bytes"
        if self._files is None:
            return f"  [file: {document.filename}, {size}; not saved]"
        self._files.mkdir(parents=True, exist_ok=True)
        path = self._files / Path(document.filename).name  # core names it; never a path
        path.write_bytes(document.data)
        return f"  [file: {path}, {size}]"

    def _save_image(self, png: bytes) -> str:
        """A reply's image (a chart, the media kit card) written under `files`: its path.
        Named by its content, so a repeat is the same file and two images never clash."""
        size = f"{len(png):,} bytes PNG"
        if self._files is None:
            return f"  [image: {size}; not saved]"
        self._files.mkdir(parents=True, exist_ok=True)
        path = self._files / f"postroom-image-{hashlib.sha256(png).hexdigest()[:12]}.png"
        path.write_bytes(png)
        return f"  [image: {path}, {size}]"

    def _write(self, text: str) -> None:
        if text:
            self._out.write(text + "\n")
            self._out.flush()


def _plain(label: str) -> str:
    """A label without emoji and punctuation, for matching `[publish now]`."""
    kept = "".join(ch for ch in label.lower() if unicodedata.category(ch)[0] in ("L", "N", "Z"))
    return " ".join(kept.split())
