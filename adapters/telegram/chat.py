"""The Telegram front end: messages and button taps in, core's replies out, rendered in place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    Chat,
    ChatMemberUpdated,
    Document,
    MaybeInaccessibleMessage,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes, TypeHandler

from adapters.telegram.albums import Sleep, until_complete
from adapters.telegram.application import TelegramApplication
from adapters.telegram.attachments import (
    MAX_DOWNLOAD,
    Attachment,
    Unsupported,
    attachments,
    too_big,
)
from adapters.telegram.messenger import TelegramMessenger, chat_ref, message_gone
from adapters.telegram.render import TOAST_LIMIT, toast
from adapters.telegram.stars import StarsUpdates
from adapters.telegram.uploads import fetch, table_document
from core.chat.entry import Postroom
from core.chat.seen_updates import SeenUpdates
from core.commands import Command, parse_command
from core.errors import PublishError
from core.handlers import OOPS, Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, MessageRef
from core.ports import MediaHost
from core.replies import Reply

log = logging.getLogger(__name__)
# A toast longer than this is shown as an alert the user dismisses, so it can be read whole.
ALERT_FROM = 64

DESCRIPTION = (
    "Postroom publishes your posts to Instagram, TikTok, YouTube, Facebook, LinkedIn and X, "
    "now or on schedule, and shows how each network did in one message.\n\n"
    "Send /post with your text, or a photo or video with a caption, pick the networks, "
    "and publish."
)
SHORT_DESCRIPTION = "Publish and schedule posts to six social networks from this chat."
HINT = (
    "To compose a post, send /post followed by your text, or a photo or video with a caption. "
    "/help shows everything I can do."
)
ANONYMOUS = (
    "I can't tell who you are while you post anonymously, so I can't keep your posts apart. "
    "Turn off “Remain anonymous” in your admin rights, or message me privately."
)
# A member's status once they are out of the chat (https://core.telegram.org/bots/api#chatmember).
_GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})
TOO_OLD = "This button is too old to use. Send the command again."
NOT_SELLING = "Nothing is sold here at the moment, so nothing was charged."


class TelegramChat:
    """Turns Telegram updates into core calls and renders core's replies.

    Private chats: every message is for us; a photo or video with a caption composes a post.
    Groups and channels: only commands (`/post@PostroomBot …`) are; a member's posts are
    theirs, and other members' taps on them are refused by core. Albums are collected until
    no item came for a quiet window (`album_wait(seconds)` sleeps; tests pass virtual time)
    and composed as one post.
    """

    def __init__(
        self,
        postroom: Postroom,
        messenger: TelegramMessenger,
        *,
        media: MediaHost,
        after_update: Callable[[], Awaitable[None]] | None = None,
        album_wait: Sleep | None = None,
        seen: SeenUpdates,
        stars: StarsUpdates | None = None,
    ) -> None:
        self._postroom = postroom
        self._messenger = messenger
        self._bot: Bot = messenger.bot
        self._media = media
        self.after_update = after_update
        self._album_wait = album_wait or asyncio.sleep
        # Update ids already taken, in the database: Telegram re-sends a webhook update it got
        # no 2xx for (perhaps to another process behind the same URL), and a restart may fetch
        # one twice.
        self._seen = seen
        self._stars = stars  # None: this bot takes no payments
        self._albums: dict[tuple[int, str], list[Message]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def install(self, application: TelegramApplication) -> None:
        application.add_handler(TypeHandler(Update, self._dedupe), group=-1)
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)

    async def setup(self) -> None:
        """After `Bot.initialize()` (getMe): our @name for core, the command menu, the
        descriptions shown before a user's first message."""
        self._postroom.bot_username = self._bot.username
        # Bot API: command descriptions are 1–256 characters.
        commands = [BotCommand(name, text[:256]) for name, text in self._postroom.menu()]
        await self._bot.set_my_commands(commands)
        await self._bot.set_my_description(DESCRIPTION)
        await self._bot.set_my_short_description(SHORT_DESCRIPTION)

    async def drain(self) -> None:
        """Wait for albums being collected to be composed (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _dedupe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self._seen.first_time(f"telegram:{self._bot.id}", update.update_id):
            log.info("telegram update %s arrived again; ignored", update.update_id)
            raise ApplicationHandlerStop

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self._on_tap(update.callback_query)
            return
        if update.pre_checkout_query is not None:
            if self._stars is not None:
                await self._stars.pre_checkout(update.pre_checkout_query)
                return
            # An invoice from when Pro was sold here: answered, or the payer waits 10 s.
            with contextlib.suppress(TelegramError):
                await update.pre_checkout_query.answer(ok=False, error_message=NOT_SELLING)
            return
        if update.chat_member is not None:
            await self._on_member(update.chat_member)
            return
        message = update.message or update.channel_post
        if message is not None:
            await self._on_message(message)

    async def _on_member(self, changed: ChatMemberUpdated) -> None:
        """A member left the group or was removed (`chat_member`, sent to a bot that
        administers the group and asks for it: https://core.telegram.org/bots/api#chatmemberupdated):
        they no longer act for the group's team."""
        if changed.new_chat_member.status in _GONE and changed.chat.type != ChatType.PRIVATE:
            user = changed.new_chat_member.user
            await self._postroom.member_left(_chat_of(changed.chat), _identity(user.id))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed", exc_info=context.error)

    async def _on_message(self, message: Message) -> None:
        chat = message.chat
        if message.migrate_to_chat_id:
            await self._postroom.chat_moved(
                chat_ref(chat.id), chat_ref(message.migrate_to_chat_id)
            )
            return
        if message.migrate_from_chat_id:
            await self._postroom.chat_moved(
                chat_ref(message.migrate_from_chat_id), chat_ref(chat.id)
            )
            return
        if message.left_chat_member is not None:
            # The service message a group shows when someone leaves or is removed (sent even
            # to a bot that is not an admin there, unlike `chat_member`).
            await self._postroom.member_left(
                _chat_of(chat), _identity(message.left_chat_member.id)
            )
            return
        if message.is_automatic_forward:
            return  # a linked channel's post copied into its discussion group
        if message.successful_payment or message.refunded_payment:
            await self._on_payment(message)
            return
        command = parse_command(message.caption or "")
        if self._postroom.takes_uploads() and (table := table_document(message, command)):
            await self._import(message, table, command)
            return
        if message.media_group_id and (message.photo or message.video or message.document):
            self._collect(message)
            return
        text = message.text or message.caption or ""
        refusal: str | None = None
        try:
            found = attachments(message)
        except Unsupported as e:
            found, refusal = [], str(e)
        await self._compose(message, text, found, refusal)

    async def _import(self, message: Message, table: Document, command: Command | None) -> None:
        """A CSV file to import: in private any, in a group one captioned /import for us."""
        private = message.chat.type == ChatType.PRIVATE
        if not private and (command is None or not self._for_us(command)):
            return
        actor = self._actor(message)
        if actor is None:
            if message.sender_chat is not None and message.chat.type != ChatType.CHANNEL:
                await self._answer(message, Reply(ANONYMOUS))
            return
        found = await fetch(self._bot, table)
        reply = (
            found if isinstance(found, Reply) else await self._postroom.handle_upload(actor, found)
        )
        if reply is not None:
            await self._answer(message, reply)
        await self._wake()

    async def _on_payment(self, message: Message) -> None:
        """Telegram's service message for a payment or a refund: core records it (once per
        charge) and the payer is told what changed."""
        if self._stars is None:
            log.error("a Telegram payment arrived but this bot sells nothing; see the log above")
            return
        if message.successful_payment:
            said = await self._stars.paid(message)
        else:
            said = await self._stars.refunded(message)
        if said is not None:
            await self._answer(message, said)

    async def _compose(
        self,
        message: Message,
        text: str,
        found: Sequence[Attachment],
        refusal: str | None = None,
    ) -> None:
        chat = message.chat
        private = chat.type == ChatType.PRIVATE
        command = parse_command(text)
        if not private and command is None and not self._replies_to_us(message):
            return  # group chatter (a reply to the bot may be a reviewer's note: core decides)
        if command is not None and not private and not self._for_us(command):
            return  # another bot's command
        actor = self._actor(message)
        if not private and command is None:
            # Only its text, never its media: a photo is composed in private or with /post.
            if (
                actor is not None
                and text
                and (said := await self._postroom.handle_text(actor, text))
            ):
                await self._answer(message, said)
            return
        if actor is None:
            if message.sender_chat is not None and chat.type != ChatType.CHANNEL:
                await self._answer(message, Reply(ANONYMOUS))
            return
        reply: Reply | None
        if refusal is not None:
            reply = Reply(refusal)
        else:
            # Only a post uses media: a photo captioned "/status" is not uploaded anywhere.
            composes = command is None or command.name == "post"
            reply, media = await self._host(found if composes else ())
            if reply is None:
                reply = await self._postroom.handle_text(actor, text, media)
            if reply is None and private and command is None:
                reply = Reply(HINT)
        if reply is None:
            return
        await self._answer(message, reply)
        await self._wake()

    async def _answer(self, message: Message, reply: Reply) -> None:
        if not reply.text and reply.image is None:
            return
        private = message.chat.type == ChatType.PRIVATE
        # In groups the answer quotes the member's message, so everyone sees whose it is.
        reply_to = None if private else message.message_id
        await self._messenger.send(chat_ref(message.chat.id), reply, reply_to=reply_to)

    def _replies_to_us(self, message: Message) -> bool:
        """A reply to one of the bot's messages: privacy mode passes these on in groups
        (https://core.telegram.org/bots/features#privacy-mode)."""
        quoted = message.reply_to_message
        author = None if quoted is None else quoted.from_user
        return author is not None and author.id == self._bot.id

    def _for_us(self, command: Command) -> bool:
        name = self._postroom.bot_username  # from getMe, in `setup`
        return command.bot is None or name is None or command.bot.lower() == name.lower()

    def _actor(self, message: Message) -> Actor | None:
        chat = message.chat
        ref = _chat_of(chat)
        if chat.type == ChatType.CHANNEL:
            # A channel posts as itself: its posts belong to the channel, and its admins act
            # for it (checked on every tap).
            return Actor(_identity(chat.id), ref, chat.title or "")
        user = message.from_user
        if message.sender_chat is not None or user is None or user.is_bot:
            return None  # an anonymous admin, a channel speaking in a group, or a bot
        return _user_actor(user, chat, ref)

    async def _host(self, found: Sequence[Attachment]) -> tuple[Reply | None, list[str]]:
        """The media's URLs for the publisher, or a refusal naming the way out."""
        for attachment in found:
            if attachment.size is not None and attachment.size > MAX_DOWNLOAD:
                return too_big(attachment, attachment.size), []
        urls: list[str] = []
        for attachment in found:
            try:
                data = b""
                if self._media.needs_data:
                    file = await self._bot.get_file(attachment.file_id)
                    if file.file_size is not None and file.file_size > MAX_DOWNLOAD:
                        return too_big(attachment, file.file_size), []
                    data = bytes(await file.download_as_bytearray())
                urls.append(
                    await self._media.host(
                        data, filename=attachment.filename, mime=attachment.mime
                    )
                )
            except BadRequest as e:
                if "file is too big" in e.message.lower():
                    return too_big(attachment, None), []
                log.warning("telegram refused file %s: %s", attachment.unique_id, e.message)
                return Reply(
                    f"Telegram wouldn't give me that {attachment.kind}; send it again."
                ), []
            except TelegramError as e:
                log.warning("fetching file %s failed: %s", attachment.unique_id, e)
                return Reply(
                    f"I couldn't fetch your {attachment.kind} from Telegram; send it again."
                ), []
            except PublishError as e:
                return Reply(f"I couldn't store your {attachment.kind}: {e.reason}"), []
            except OSError:
                log.exception("storing file %s failed", attachment.unique_id)
                return Reply(OOPS), []
        return None, urls

    def _collect(self, message: Message) -> None:
        assert message.media_group_id is not None
        key = (message.chat.id, message.media_group_id)
        parts = self._albums.get(key)
        if parts is not None:
            parts.append(message)
            return
        self._albums[key] = [message]
        task = asyncio.create_task(self._compose_album(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _compose_album(self, key: tuple[int, str]) -> None:
        try:
            await until_complete(self._albums[key], self._album_wait)
        finally:
            parts = sorted(self._albums.pop(key), key=lambda m: m.message_id)
        # Telegram puts the album's caption on one item (usually the first).
        captioned = next((m for m in parts if m.caption), parts[0])
        found: list[Attachment] = []
        refusal = None
        try:
            for part in parts:
                found += attachments(part)
        except Unsupported as e:
            refusal = str(e)
        try:
            await self._compose(captioned, captioned.caption or "", found, refusal)
        except Exception:
            log.exception("composing album %s failed", key[1])

    async def _on_tap(self, query: CallbackQuery) -> None:
        answered = False
        try:
            message = query.message
            if message is None:  # a button on an inline-mode message: we send none
                answered = True
                await query.answer(TOO_OLD)
                return
            chat = chat_ref(message.chat.id)
            ref = MessageRef(chat, str(message.message_id))
            actor = await self._tapper(query, message.chat)
            data = query.data or ""
            reply = await self._postroom.handle_tap(actor, data, ref)
            shown = toast(reply)
            answered = True  # at most once, even if this answer fails on the way
            # A late answer ("query is too old": a slow tap, a 429 pause, updates queued while
            # down) fails, but the action is done: the message must still show it.
            with contextlib.suppress(TelegramError):
                await query.answer(shown, show_alert=shown is not None and len(shown) > ALERT_FROM)
            if reply.text or reply.image is not None:
                await self._show(message, ref, reply)
        finally:
            if not answered:
                # Every query is answered, or the user's client keeps spinning.
                with contextlib.suppress(TelegramError):
                    await query.answer(OOPS[:TOAST_LIMIT])
            await self._wake()

    async def _tapper(self, query: CallbackQuery, chat: Chat) -> Actor:
        user = query.from_user
        ref = _chat_of(chat)
        if chat.type == ChatType.CHANNEL:
            try:
                member = await self._bot.get_chat_member(chat.id, user.id)
            except TelegramError as e:
                log.warning("could not check admin rights in channel %s: %s", chat.id, e)
            else:
                if member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR):
                    return Actor(_identity(chat.id), ref, chat.title or "")
        return _user_actor(user, chat, ref)

    async def _show(
        self, message: MaybeInaccessibleMessage, ref: MessageRef, reply: Reply
    ) -> None:
        if not reply.edit:
            await self._messenger.send(ref.chat, reply)
            return
        media = isinstance(message, Message) and bool(
            message.photo or message.video or message.animation or message.document
        )
        try:
            await self._messenger.edit(ref, reply, caption=media)
        except BadRequest as e:
            if not message_gone(e):
                raise
            # The message was deleted or is too old to edit: show the answer anew.
            await self._messenger.send(ref.chat, reply)

    async def _wake(self) -> None:
        if self.after_update is not None:
            try:
                await self.after_update()
            except Exception:
                log.exception("waking the pipeline failed")


def _chat_of(chat: Chat) -> ChatRef:
    """The chat an actor speaks in, with its kind; only a private chat is the user's alone."""
    if chat.type == ChatType.PRIVATE:
        kind = ChatKind.PRIVATE
    elif chat.type == ChatType.CHANNEL:
        kind = ChatKind.CHANNEL
    else:
        kind = ChatKind.SHARED
    return ChatRef(ChatPlatform.TELEGRAM, str(chat.id), kind=kind)


def _identity(telegram_id: int) -> Identity:
    return Identity(ChatPlatform.TELEGRAM, str(telegram_id))


def _user_actor(user: User, chat: Chat, ref: ChatRef) -> Actor:
    """A person acting: their @username lets `/team role @name` find them; a group's title
    names a new team."""
    title = "" if chat.type == ChatType.PRIVATE else chat.title or ""
    return Actor(_identity(user.id), ref, user.full_name, user.username or "", title)


class TelegramChatAdmins:
    """Who administers a group, from getChatMember (https://core.telegram.org/bots/api#getchatmember):
    the creator and administrators. Asked when a team is made and when a member first acts."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def is_admin(self, chat: ChatRef, identity: Identity) -> bool:
        if chat.platform is not ChatPlatform.TELEGRAM or identity.platform is not chat.platform:
            return False
        try:
            member = await self._bot.get_chat_member(int(chat.chat), int(identity.user))
        except (TelegramError, ValueError) as e:
            log.warning("could not ask who administers chat %s: %s", chat.chat, e)
            return False
        return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
