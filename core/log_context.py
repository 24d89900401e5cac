"""What log records carry and what they must not: ids that tag them (post, target, Telegram
update), set where a unit of work starts, and credentials seen at run time (profile keys),
which the log set-up in bot/logs.py blanks out of every record."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from types import MappingProxyType

LogId = int | str

_EMPTY: Mapping[str, LogId] = MappingProxyType({})
_IDS: ContextVar[Mapping[str, LogId]] = ContextVar("postroom_log_ids", default=_EMPTY)


def tag_logs(**ids: LogId | None) -> None:
    """Tag every record logged from here on in this task (and in tasks it starts), e.g.
    `tag_logs(post_id=12, target="instagram")`. Call it at the top of a task of its own:
    the tags end with the task."""
    merged = {**_IDS.get(), **{k: v for k, v in ids.items() if v is not None}}
    _IDS.set(MappingProxyType(merged))


def log_tags() -> Mapping[str, LogId]:
    return _IDS.get()


# Most recently seen first out: a server holds one profile key per profile and route.
_SECRETS_KEPT = 100_000
_secrets: OrderedDict[str, None] = OrderedDict()
MIN_SECRET = 12  # shorter values are not keys, and would blank ordinary words


def keep_out_of_logs(value: str) -> None:
    """Remember a credential so that no log record shows it."""
    if len(value) < MIN_SECRET:
        return
    _secrets[value] = None
    _secrets.move_to_end(value)
    if len(_secrets) > _SECRETS_KEPT:
        _secrets.popitem(last=False)


def is_kept_secret(token: str) -> bool:
    return token in _secrets
