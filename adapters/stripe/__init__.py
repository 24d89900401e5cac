"""Stripe's API and webhooks through the official `stripe` library."""
