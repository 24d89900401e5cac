"""CSV files sent to the bot: told apart from media, size-checked, fetched through the Bot API."""

from __future__ import annotations

import logging

from telegram import Bot, Document, Message
from telegram.error import BadRequest, TelegramError

from core.commands import Command
from core.handlers import Upload
from core.replies import Reply
from core.transfer.table import MAX_BYTES, is_table, too_big

log = logging.getLogger(__name__)


def table_document(message: Message, command: Command | None) -> Document | None:
    """The message's file when it is a table to import: a .csv or .tsv (by name or type), or
    any file captioned /import."""
    document = message.document
    if document is None:
        return None
    named = is_table(document.file_name or "", document.mime_type or "")
    return document if named or (command is not None and command.name == "import") else None


async def fetch(bot: Bot, document: Document) -> Upload | Reply:
    """The file's bytes (getFile, then its file URL under the Bot API base), or the refusal:
    one over the import's size cap is never downloaded."""
    if document.file_size is not None and document.file_size > MAX_BYTES:
        return Reply(too_big(document.file_size))
    try:
        file = await bot.get_file(document.file_id)
        if file.file_size is not None and file.file_size > MAX_BYTES:
            return Reply(too_big(file.file_size))
        data = bytes(await file.download_as_bytearray())
    except BadRequest as e:
        if "file is too big" in e.message.lower():
            return Reply(too_big(MAX_BYTES + 1))
        log.warning("telegram refused file %s: %s", document.file_unique_id, e.message)
        return Reply("Telegram wouldn't give me that file; send it again.")
    except TelegramError as e:
        log.warning("fetching file %s failed: %s", document.file_unique_id, e)
        return Reply("I couldn't fetch your file from Telegram; send it again.")
    if len(data) > MAX_BYTES:
        return Reply(too_big(len(data)))
    return Upload(document.file_name or "import.csv", data, document.mime_type or "")
