"""A Messenger that records what would have been sent or edited (core.ports.Messenger)."""

from __future__ import annotations

from core.model import ChatRef, MessageRef
from core.replies import Reply


class RecordingMessenger:
    def __init__(self) -> None:
        self.sent: list[tuple[ChatRef, Reply, MessageRef]] = []
        self.edits: list[tuple[MessageRef, Reply]] = []
        self.unreachable = False  # True: every send fails, as a chat platform that is down

    async def send(self, chat: ChatRef, reply: Reply) -> MessageRef:
        if self.unreachable:
            raise ConnectionError("the chat cannot be reached")
        # Message ids count up from "1" across all chats, like one chat's message ids.
        ref = MessageRef(chat, str(len(self.sent) + 1))
        self.sent.append((chat, reply, ref))
        return ref

    async def edit(self, message: MessageRef, reply: Reply) -> None:
        self.edits.append((message, reply))

    def last(self, message: MessageRef) -> Reply | None:
        """The reply `message` shows now: the last edit, else what was sent."""
        for ref, reply in reversed(self.edits):
            if ref == message:
                return reply
        for _, reply, ref in self.sent:
            if ref == message:
                return reply
        return None
