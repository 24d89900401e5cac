"""Slack chat front end."""
