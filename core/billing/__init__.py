"""Billing: subscriptions and operator grants change tiers here, and only here."""
