"""What a publisher's exception says about a request: retry, failed, or look it up."""

from __future__ import annotations

import logging

from core.errors import OutcomeUnknown, PermanentError, TransientError
from core.model import Route
from core.ports import Outcome, OutcomeKind

log = logging.getLogger(__name__)


def outcome_of(error: Exception, route: Route) -> Outcome:
    """The outcome for every target of a request whose publisher raised `error` (called in
    the `except` block, so an unexpected error is logged with its traceback)."""
    if isinstance(error, TransientError):
        return Outcome(OutcomeKind.RETRY, reason=error.reason, retry_after=error.retry_after)
    if isinstance(error, PermanentError):
        return Outcome(OutcomeKind.FAILED, reason=error.reason, reconnect=error.reconnect)
    if isinstance(error, OutcomeUnknown):
        # Includes a refused duplicate key: the earlier request got there, so it is looked
        # up, never shown as a failure.
        return Outcome(OutcomeKind.UNKNOWN, reason=error.reason)
    # A bug after the request may have left: treat as unknown, never re-send blindly.
    log.exception("publisher %s raised unexpectedly", route.value)
    return Outcome(OutcomeKind.UNKNOWN)
