"""The reference for bench/idle_rss.py: a bare python-telegram-bot bot that answers /start,
long polling the Bot API at BARE_API_URL with BARE_TOKEN."""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, "Hello")


def main() -> None:
    app = (
        Application.builder()
        .token(os.environ["BARE_TOKEN"])
        .base_url(os.environ["BARE_API_URL"])
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.run_polling(timeout=30)


if __name__ == "__main__":
    main()
