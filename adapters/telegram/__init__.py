"""Telegram chat front end."""
