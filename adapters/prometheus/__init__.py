"""Prometheus export of the bot's telemetry (prometheus-client, one registry per bot)."""

from adapters.prometheus.metrics import CONTENT_TYPE, PrometheusTelemetry

__all__ = ["CONTENT_TYPE", "PrometheusTelemetry"]
