"""/terms and /paysupport: what Telegram asks every bot that takes payments to answer."""

from __future__ import annotations

from core.commands import Command
from core.handlers import Actor
from core.model import Profile
from core.ports import UnitOfWorkFactory
from core.replies import Button, Reply
from core.when import format_local

# A bot that sells in Stars answers /terms and /paysupport, and Telegram's own support does not
# handle purchases made in bots (https://core.telegram.org/bots/payments-stars,
# https://telegram.org/tos/stars).
RECENT = 5  # payments /paysupport lists


class PayHelp:
    """The payment terms and support answers, with the price and, when configured, the
    operator's full terms page and support contact."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        price: int,
        terms_url: str | None = None,
        support: str | None = None,
    ) -> None:
        self._uow = uow
        self._price = price
        self._terms_url = terms_url
        self._support = support

    async def terms(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        lines = [
            "Terms of Postroom Pro",
            f"• Pro costs {self._price} Telegram Stars for 30 days. A subscription renews "
            "every 30 days until you cancel it in Telegram (Settings → My Stars); after "
            "cancelling, Pro lasts until the period you paid for ends.",
            "• Pro publishes to all six networks and refreshes analytics hourly. When it "
            "ends you're back on Free: your posts, drafts and connections are kept, and "
            "posts scheduled for Pro-only networks wait until you renew.",
            "• Payments are made through Telegram. A payment that went wrong is refunded to "
            "your Stars balance: see /paysupport.",
        ]
        buttons: tuple[tuple[Button, ...], ...] = ()
        if self._terms_url:
            lines.append("The full terms are on the page below.")
            buttons = ((Button("📄 Full terms", url=self._terms_url),),)
        return Reply("\n".join(lines), buttons=buttons)

    async def paysupport(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        who = (
            f"contact {self._support}" if self._support else "contact the people who run this bot"
        )
        lines = [
            "Payment help",
            f"If you paid and are not on Pro, were charged twice, or want a refund, {who} "
            "with the date, the amount and the payment code below. Refunds go back to your "
            "Stars balance. Telegram's support can't help with purchases made in bots.",
        ]
        async with self._uow() as uow:
            charges = await uow.star_charges.recent(profile.id, limit=RECENT)
        if not charges:
            lines.append("I have no Stars payment from you on record.")
        for charge in charges:
            when = format_local(charge.paid_at, profile.timezone)
            state = " — refunded" if charge.refunded_at is not None else ""
            lines.append(f"• {when}: {charge.amount} Stars, code {charge.charge_id}{state}")
        return Reply("\n".join(lines))
