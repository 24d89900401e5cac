"""The media kit: a creator's card (PNG) and opt-in public page, from numbers already kept."""
