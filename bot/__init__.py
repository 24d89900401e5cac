"""Postroom's composition root: settings, wiring, web app, scheduler tick and the CLI."""
