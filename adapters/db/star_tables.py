"""The row of a Telegram Stars charge (migrations 0013_star_charges, 0020_payment_records)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.db.tables import Base


class StarChargeRow(Base):
    """One charge Telegram made: its id is the key, so a replay inserts nothing."""

    __tablename__ = "star_charges"
    # /forget keeps the charge id (a replay stays a no-op) but not who paid it.
    __table_args__ = (
        Index(None, "profile_id", "paid_at"),
        {"info": {"cleared_on_forget": {"telegram_user": ""}}},
    )

    charge_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    # NULL once the profile is deleted (/forget): the charge id stays known, so a replay of
    # it changes nothing for anyone (migration 0020_payment_records).
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"))
    telegram_user: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    recurring: Mapped[bool] = mapped_column(Boolean)
    paid_at: Mapped[datetime]
    period_end: Mapped[datetime]
    previous_end: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
