"""Ayrshare publishing back end."""

from adapters.ayrshare.client import AyrshareClient
from adapters.ayrshare.publisher import AyrsharePublisher
from adapters.ayrshare.refusals import DuplicateRequest

__all__ = ["AyrshareClient", "AyrsharePublisher", "DuplicateRequest"]
