"""Media in Telegram messages: what we take (photos, videos, documents) and its size."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message
from telegram.constants import FileSizeLimit

from core.limits import CHAT_MEDIA_SUFFIXES
from core.replies import Reply

# Telegram lets bots download files up to 20 MB (https://core.telegram.org/bots/api#getfile).
MAX_DOWNLOAD = FileSizeLimit.FILESIZE_DOWNLOAD

_SUFFIXES = CHAT_MEDIA_SUFFIXES


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or video a user sent, as Telegram describes it (not yet downloaded)."""

    file_id: str
    unique_id: str
    size: int | None
    mime: str
    kind: str  # "photo" or "video", for messages

    @property
    def filename(self) -> str:
        return self.unique_id + _SUFFIXES.get(self.mime, "")


class Unsupported(ValueError):
    """A file we cannot publish (a PDF, a voice note); the message says so."""


def attachments(message: Message) -> list[Attachment]:
    """The publishable media of one message; raises Unsupported for other files."""
    if message.photo:
        size = message.photo[-1]  # sizes come smallest first
        return [
            Attachment(size.file_id, size.file_unique_id, size.file_size, "image/jpeg", "photo")
        ]
    if message.video is not None:
        video = message.video
        mime = video.mime_type if video.mime_type in _SUFFIXES else "video/mp4"
        return [Attachment(video.file_id, video.file_unique_id, video.file_size, mime, "video")]
    if message.animation is not None:
        gif = message.animation  # Telegram converts GIFs to silent MP4s
        return [Attachment(gif.file_id, gif.file_unique_id, gif.file_size, "video/mp4", "video")]
    if message.document is not None:
        doc = message.document
        mime = doc.mime_type or ""
        if mime in _SUFFIXES:
            kind = "photo" if mime.startswith("image/") else "video"
            return [Attachment(doc.file_id, doc.file_unique_id, doc.file_size, mime, kind)]
        name = doc.file_name or "That file"
        raise Unsupported(
            f"{name} is a {mime or 'file of unknown type'}; I can publish photos (JPEG, PNG, "
            "GIF, WebP) and videos (MP4, MOV, WebM). Send one of those."
        )
    return []


def too_big(attachment: Attachment, size: int | None) -> Reply:
    how_big = f" is {size / 1_000_000:.1f} MB" if size else " is too big"
    return Reply(
        f"That {attachment.kind}{how_big}; Telegram lets bots fetch files up to "
        f"{MAX_DOWNLOAD // 1_000_000} MB. Send a smaller one, or put it online and send "
        "/post <text> media: https://…"
    )
