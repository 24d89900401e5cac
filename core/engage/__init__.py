"""Engage: comments on published posts pulled, pushed into chat, answered from there."""
