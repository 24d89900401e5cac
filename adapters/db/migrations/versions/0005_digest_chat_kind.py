"""Digest subscriptions remember the kind of their chat (private, shared or channel).

A digest is sent later, with no update to say what kind of chat it goes to, and only a
private chat gets the owner's buttons and an unnamed header. Rows made before this revision
are private when the chat is one of the profile's own identities and not a Telegram group or
channel (those ids are negative: https://core.telegram.org/bots/api#chat); every other row
stays shared, which shows nothing private.

Revision ID: 0005_digest_chat_kind
Revises: 0004_links
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_digest_chat_kind"
down_revision: str | Sequence[str] | None = "0004_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("digest_subscriptions") as batch:
        batch.add_column(
            sa.Column("chat_kind", sa.String(16), nullable=False, server_default="shared")
        )
    op.execute(
        "UPDATE digest_subscriptions SET chat_kind = 'private' "
        "WHERE chat NOT LIKE '-%' AND EXISTS (SELECT 1 FROM identities i "
        "WHERE i.profile_id = digest_subscriptions.profile_id "
        "AND i.platform = digest_subscriptions.platform "
        "AND i.workspace = digest_subscriptions.workspace "
        "AND i.user_id = digest_subscriptions.chat)"
    )


def downgrade() -> None:
    with op.batch_alter_table("digest_subscriptions") as batch:
        batch.drop_column("chat_kind")
