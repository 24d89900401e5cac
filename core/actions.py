"""The one table of button actions: every `Button`, tap handler and test names these."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What a button asks for; the value is the code carried in its callback data.

    The codes are short because callback data is at most 64 bytes with the seal, and they
    never change: a sealed button already shown in a chat means the same after an upgrade.
    A button from before taps were sealed is refused ("This button is too old to use"): with
    no seal, nothing says whose it is (`core.replies.Seal`). Plug-in use
    cases (digests, links, stats, campaigns) add their actions here too, so one table shows
    every code in use and none is taken twice.
    """

    COMMAND = "go"  # run a command without typing it: go:connect, go:post, go:help, …
    CONNECT = "cn"  # connect one network (the sandbox completes at once)
    LOCKED = "lk"  # a network not open to this plan or server: explains why
    TOGGLE = "tg"  # tick or untick a network on a draft: tg:<post>:<network>
    PUBLISH = "pub"
    SCHEDULE_MENU = "sch"  # the list of suggested times
    SCHEDULE_AT = "at"  # schedule at a minute: at:<post>:<Unix minute>
    DISCARD = "dc"
    EDIT = "ed"
    OPEN = "op"
    CANCEL = "cx"
    DELETE = "dl"  # asks first
    DELETE_CONFIRMED = "dly"
    RETRY = "rt"  # rt:<post>:<network>
    PAGE = "pg"  # a page of /posts
    UNLINK = "ul"  # unlink a channel: ul:<link id>
    DIGEST = "dg"  # the /digest buttons: dg:on, dg:off, dg:weekly, dg:now, dg:stats
    DISCONNECT = "dx"  # confirms /disconnect: dx:<network>:<minute the question was asked>
    RECONNECT = "rc"  # a connection warning's button: rc:<network> gives a fresh link
    FORGET = "fg"  # confirms /forget: fg:<minute the question was asked>
    RENEW = "rn"  # a plan ended or is ending: the ways to pay for it again (/upgrade)
    POSTING_AS = "pa"  # "Posting as": pa:<team id>, or pa:0 for one's own profile
    IMPORT = "im"  # a CSV import's preview: im:<import id>:y imports, im:<import id>:n cancels
    MEDIAKIT = "mk"  # a media kit's buttons: mk:<kit>:<op> (publish, blocks add/remove/move)
    # An approval card's buttons: apv:<post>:<round>; a card of an older round is stale.
    APPROVE = "apv"
    REQUEST_CHANGES = "apc"
    REJECT = "apr"
    QUEUE_ADD = "qa"  # the composer's Add to queue: qa:<post>, the next free posting slot
    QUEUE = "qu"  # /queue: qu:up:<post>, qu:dn:<post>, qu:pause, qu:resume
    TEMPLATE = "tp"  # /templates: tp:use:<id>, tp:del:<id>, tp:dely:<id> (confirmed)
    DRAFTS = "dr"  # a page of /drafts: dr:<page>
    DRAFT_MENU = "dm"  # a draft's edit choices: dm:<post>
    ASK_TEXT = "et"  # the next message is the draft's new text: et:<post>
    ASK_MEDIA = "em"  # the next message's photos, videos or links replace its media: em:<post>
    NO_MEDIA = "nm"  # remove a draft's media: nm:<post>
    VERSION = "vr"  # the next message is this network's own text: vr:<post>:<network>
    VERSION_RESET = "vx"  # the network goes back to the main text: vx:<post>:<network>
    # A pushed comment's buttons (core.engage): cr:<comment id>[:l], l when from /comments.
    COMMENT_REPLY = "cr"  # the next message becomes the reply
    COMMENT_HIDE = "ch"  # hide it on the network (Instagram)
    COMMENT_DONE = "cd"  # handled, nothing sent

    @property
    def takes_post(self) -> bool:
        """Its argument starts with a post id: a tap is refused on a post newer than the
        button (see `core.replies.Seal`)."""
        return self in _TAKES_POST

    def data(self, *args: object) -> str:
        """The unsealed callback data for these arguments: `Action.RETRY.data(3, "x")` is
        `rt:3:x`."""
        return ":".join((self.value, *(str(a) for a in args)))


_TAKES_POST = frozenset(
    {
        Action.TOGGLE,
        Action.PUBLISH,
        Action.SCHEDULE_MENU,
        Action.SCHEDULE_AT,
        Action.DISCARD,
        Action.EDIT,
        Action.OPEN,
        Action.CANCEL,
        Action.DELETE,
        Action.DELETE_CONFIRMED,
        Action.RETRY,
        Action.APPROVE,
        Action.REQUEST_CHANGES,
        Action.REJECT,
        Action.QUEUE_ADD,
        Action.DRAFT_MENU,
        Action.ASK_TEXT,
        Action.ASK_MEDIA,
        Action.NO_MEDIA,
        Action.VERSION,
        Action.VERSION_RESET,
    }
)
