"""Domain errors; each carries a message that is safe and useful to show in chat."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user caused and can fix; `str(error)` is shown to them as is."""


class InvalidTransition(DomainError):
    def __init__(self, current: str, new: str) -> None:
        super().__init__(f"A post cannot go from {current} to {new}.")
        self.current = current
        self.new = new


class Conflict(Exception):
    """Storage refused a write that raced with another (e.g. a second profile for an identity)."""


class PolicyRefusal(DomainError):
    """The tier or configuration does not allow this; the message names the way out."""


class PublishError(Exception):
    """A publish request failed as a whole (no per-network outcome); see the subclasses."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientError(PublishError):
    """Worth retrying later: rate limits, 5xx, connection errors."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(PublishError):
    """Retrying the same request cannot succeed: validation, quota, network not linked."""

    def __init__(self, reason: str, *, reconnect: bool = False) -> None:
        super().__init__(reason)
        self.reconnect = reconnect


class OutcomeUnknown(PublishError):
    """The request may have reached the network (timeout after sending): look it up first."""
