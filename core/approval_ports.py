"""Approvals' records and their storage port: a team's setting, each submission, every review."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from core.model import ChatRef, Identity, MessageRef, Post

MAX_NOTE_CHARS = 1000  # a reviewer's note; longer ones are refused, not cut


@dataclass(frozen=True, slots=True)
class ApprovalSetting:
    """Whether a (team) profile's posts need an approver's yes, and whether an approver's own
    posts need another approver's."""

    profile_id: int
    required: bool
    no_self_approval: bool = False
    changed_at: datetime | None = None
    changed_by: str = ""


class Status(StrEnum):
    """Where a submission stands; only `pending` can be decided."""

    PENDING = "pending"
    APPROVED = "approved"
    CHANGES = "changes"  # changes requested: back to draft, with a note
    REJECTED = "rejected"
    EXPIRED = "expired"  # its time passed undecided: held as a draft
    WITHDRAWN = "withdrawn"  # its author took it back (/cancel)


class Kind(StrEnum):
    """What a review record says happened."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES = "changes"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    NOTE = "note"


@dataclass(slots=True)
class ApprovalRequest:
    """A post's current submission. `round` counts submissions and is carried by the card's
    buttons: a tap from an older round's card is stale. `fingerprint` is what the approvers
    were shown; a post changed since is not approved unseen."""

    post_id: int
    round: int
    status: Status
    author: Identity
    author_name: str
    submitted_at: datetime
    fingerprint: str
    publish_at: datetime | None = None  # None: Publish now
    no_self_approval: bool = False  # the team's setting when it was submitted
    card: MessageRef | None = None
    decided_at: datetime | None = None
    # "Request changes" waits for the approver's next message in that chat as its note.
    note_from: Identity | None = None
    note_chat: ChatRef | None = None
    note_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Review:
    """One recorded step: who (empty for the expiry pass), when, what, and the note."""

    post_id: int
    kind: Kind
    at: datetime
    by_name: str = ""
    by: Identity | None = None
    round: int | None = None  # None: a note on a draft outside any submission
    note: str = ""
    id: int = 0


def waits(setting: ApprovalSetting | None, *, may_approve: bool) -> bool:
    """Whether a member's post must wait for an approver under `setting`: an editor's always
    when the team requires approval, an approver's own only with no self-approval."""
    if setting is None or not setting.required:
        return False
    return not may_approve or setting.no_self_approval


def fingerprint(post: Post) -> str:
    """What an approver sees of the post: its text, media, networks and time."""
    parts = [
        post.text,
        "\x1f".join(post.media),
        ",".join(t.network.value for t in post.ordered_targets()),
        post.scheduled_at.isoformat() if post.scheduled_at else "",
    ]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


class ApprovalRepository(Protocol):
    """Approval settings, submissions and reviews, in the unit of work's transaction."""

    async def setting(self, profile_id: int) -> ApprovalSetting | None: ...

    async def save_setting(self, setting: ApprovalSetting) -> None: ...

    async def request(self, post_id: int) -> ApprovalRequest | None: ...

    async def save_request(self, request: ApprovalRequest) -> None: ...

    async def add_review(self, review: Review) -> Review: ...

    async def set_note(self, review_id: int, note: str) -> None:
        """Fill in a review's note (Request changes, its note given afterwards)."""
        ...

    async def reviews(self, post_id: int) -> Sequence[Review]:
        """The post's reviews, oldest first."""
        ...

    async def note_awaited(
        self, identity: Identity, chat: ChatRef, now: datetime
    ) -> ApprovalRequest | None:
        """The submission whose changes note `identity` was asked for in `chat`, still open
        at `now`, if any."""
        ...

    async def expired(self, now: datetime, *, limit: int) -> Sequence[int]:
        """Ids of posts awaiting approval whose time to go out has come (`publish_at` ≤ now)."""
        ...
