"""Selling Pro for Telegram Stars."""
