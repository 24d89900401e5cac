"""Postroom's domain: model, tier policy, post state machine, use cases and ports."""
