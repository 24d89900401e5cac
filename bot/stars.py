"""Builds Telegram Stars selling: the signed invoices, the sales use case, /terms, /paysupport."""

from __future__ import annotations

import hashlib
import hmac

from telegram import Bot

from adapters.telegram.stars import TelegramStars
from bot.settings import Settings
from core.billing.lifecycle import Billing
from core.chat.entry import Postroom
from core.invoice_payload import PayloadSigner
from core.ports import Clock, UnitOfWorkFactory
from core.publishing.accounts import Accounts
from core.roles import Capability
from core.stars.help import PayHelp
from core.stars.provider import StarsProvider
from core.stars.sales import StarsSales


def signer(settings: Settings) -> PayloadSigner:
    """Invoice payloads are signed with a key derived from the bot token: the same in every
    process of one bot, unknown to anyone without the token."""
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value().encode()
    return PayloadSigner(hmac.new(token, b"postroom invoice payload key", hashlib.sha256).digest())


def stars_provider(settings: Settings, bot: Bot | None, clock: Clock) -> StarsProvider | None:
    """The way to pay in Stars, when POSTROOM_PRO_STARS_PRICE is set and Telegram runs."""
    if settings.pro_stars_price is None or bot is None:
        return None
    return StarsProvider(TelegramStars(bot), signer(settings), clock)


def build_stars(
    settings: Settings,
    *,
    bot: Bot,
    uow: UnitOfWorkFactory,
    accounts: Accounts,
    billing: Billing,
    clock: Clock,
    postroom: Postroom,
) -> StarsSales | None:
    """What Telegram reports of Stars payments goes to core.stars; /terms and /paysupport,
    which Telegram asks of every bot that takes payments."""
    price = settings.pro_stars_price
    if price is None:
        return None
    sales = StarsSales(
        uow=uow,
        accounts=accounts,
        billing=billing,
        checkout=TelegramStars(bot),
        signer=signer(settings),
        clock=clock,
    )
    help = PayHelp(
        uow=uow, price=price, terms_url=settings.terms_url, support=settings.pay_support
    )
    postroom.add_command(
        "terms",
        help.terms,
        "/terms — the terms of Pro and its payments",
        capability=Capability.VIEW,
    )
    postroom.add_command(
        "paysupport",
        help.paysupport,
        "/paysupport — help with a payment, your payment codes",
        capability=Capability.VIEW,
    )
    return sales
