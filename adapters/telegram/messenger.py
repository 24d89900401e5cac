"""TelegramMessenger: core's Messenger port over a PTB Bot (sends, edits in place, photos,
files)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, InputFile, InputMediaPhoto, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated

from adapters.telegram.render import CAPTION_LIMIT, fits, keyboard, split, trim
from core.model import ChatPlatform, ChatRef, MessageRef
from core.replies import Reply

log = logging.getLogger(__name__)

# Progress lines link to the published posts; a preview card of the first would bury them.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

ChatMoved = Callable[[ChatRef, ChatRef], Awaitable[object]]


def chat_ref(chat_id: int | str) -> ChatRef:
    return ChatRef(ChatPlatform.TELEGRAM, str(chat_id))


def not_modified(error: BadRequest) -> bool:
    """Telegram's answer to an edit that changes nothing (e.g. a double tap): a success."""
    return "message is not modified" in error.message.lower()


def message_gone(error: BadRequest) -> bool:
    """The message to edit was deleted, is too old, or is not one we can edit."""
    text = error.message.lower()
    return any(
        part in text
        for part in (
            "message to edit not found",
            "message can't be edited",
            "there is no text in the message to edit",
            "there is no caption in the message to edit",
            "message_id_invalid",
        )
    )


class TelegramMessenger:
    """Sends replies as HTML messages within Telegram's limits and edits them in place.

    A reply too long for one message is split (the keyboard goes on the last part; that part
    is the message later edits replace). An edit cannot be split, so it is trimmed with "…".
    A chat that became a supergroup is followed once: `on_migrated` moves what core stored
    about it, and the call is repeated in the new chat.
    """

    def __init__(self, bot: Bot, *, on_migrated: ChatMoved | None = None) -> None:
        self.bot = bot
        self._on_migrated = on_migrated

    async def send(
        self, chat: ChatRef, reply: Reply, *, reply_to: int | None = None
    ) -> MessageRef:
        try:
            return await self._send(chat, reply, reply_to)
        except ChatMigrated as e:
            new = await self._migrated(chat, e.new_chat_id)
            return await self._send(new, reply, None)

    async def edit(self, message: MessageRef, reply: Reply, *, caption: bool = False) -> None:
        """Replace `message` with `reply`; `caption` when the message is a photo or video."""
        try:
            await self._edit(message, reply, caption)
        except ChatMigrated as e:
            new = await self._migrated(message.chat, e.new_chat_id)
            await self._edit(MessageRef(new, message.message_id), reply, caption)

    def _username(self, reply: Reply) -> str | None:
        """The bot's username for deep links, if the reply has any (it is known once the bot
        is initialised: getMe)."""
        if not any(b.private is not None for row in reply.buttons for b in row):
            return None
        try:
            return self.bot.username
        except RuntimeError:  # not initialised: a process that never called getMe
            return None

    async def _migrated(self, old: ChatRef, new_chat_id: int) -> ChatRef:
        new = ChatRef(old.platform, str(new_chat_id), old.workspace)
        log.info("telegram chat %s is now %s", old.chat, new.chat)
        if self._on_migrated is not None:
            await self._on_migrated(old, new)
        return new

    async def _send(self, chat: ChatRef, reply: Reply, reply_to: int | None) -> MessageRef:
        chat_id = int(chat.chat)
        markup = keyboard(reply.buttons, self._username(reply))
        answering = (
            ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        )
        last: Message | None = None
        if reply.document is not None:
            # sendDocument (https://core.telegram.org/bots/api#senddocument): the text as its
            # caption when it fits, else the file first and the text after it.
            document = InputFile(reply.document.data, filename=reply.document.filename)
            if fits(reply, CAPTION_LIMIT):
                last = await self.bot.send_document(
                    chat_id,
                    document,
                    caption=trim(reply, CAPTION_LIMIT) or None,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    reply_parameters=answering,
                )
                return MessageRef(chat, str(last.message_id))
            last = await self.bot.send_document(chat_id, document, reply_parameters=answering)
            answering = None
        if reply.image is not None:
            if fits(reply, CAPTION_LIMIT):
                last = await self.bot.send_photo(
                    chat_id,
                    reply.image,
                    caption=trim(reply, CAPTION_LIMIT) or None,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    reply_parameters=answering,
                )
                return MessageRef(chat, str(last.message_id))
            # Too long for a caption: the picture first, then the text as messages.
            last = await self.bot.send_photo(chat_id, reply.image, reply_parameters=answering)
            answering = None
        parts = split(reply)
        for index, part in enumerate(parts):
            last = await self.bot.send_message(
                chat_id,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if index == len(parts) - 1 else None,
                link_preview_options=NO_PREVIEW,
                reply_parameters=answering if index == 0 else None,
            )
        if last is None:
            raise ValueError("a reply with neither text nor image cannot be sent")
        return MessageRef(chat, str(last.message_id))

    async def _edit(self, message: MessageRef, reply: Reply, caption: bool) -> None:
        chat_id, message_id = int(message.chat.chat), int(message.message_id)
        markup = keyboard(reply.buttons, self._username(reply))
        try:
            if reply.image is not None:
                media = InputMediaPhoto(
                    reply.image,
                    caption=trim(reply, CAPTION_LIMIT) or None,
                    parse_mode=ParseMode.HTML,
                )
                await self.bot.edit_message_media(
                    media, chat_id=chat_id, message_id=message_id, reply_markup=markup
                )
            elif caption:
                await self.bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=message_id,
                    caption=trim(reply, CAPTION_LIMIT),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            else:
                text = trim(reply)
                if not text:
                    raise ValueError("an edit needs text")
                # Without reply_markup Telegram removes the keyboard, as a reply without
                # buttons means.
                await self.bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                )
        except BadRequest as e:
            if not_modified(e):
                return
            raise
