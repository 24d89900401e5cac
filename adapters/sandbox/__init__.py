"""Sandbox publishing back end that records posts instead of sending them."""

from adapters.sandbox.metrics import synthetic_followers, synthetic_metrics
from adapters.sandbox.publisher import FailMode, SandboxPost, SandboxPublisher, parse_fail_spec

__all__ = [
    "FailMode",
    "SandboxPost",
    "SandboxPublisher",
    "parse_fail_spec",
    "synthetic_followers",
    "synthetic_metrics",
]
