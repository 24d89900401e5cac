"""Domain objects: networks, tiers, chat identities, profiles, posts and their targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.log_context import keep_out_of_logs
from core.states import PostState, TargetState, check_transition, derive_post_state


class Network(StrEnum):
    """A social network Postroom publishes to."""

    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    LINKEDIN = "linkedin"
    X = "x"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def rank(self) -> int:
        """Its place in the one order networks are shown and sent in: as declared here."""
        return _RANKS[self]

    @property
    def colour(self) -> str:
        """Its line in every chart (digests, the media kit): near the network's own colour."""
        return _COLOURS[self]

    @classmethod
    def parse(cls, text: str) -> Network | None:
        """The network a user typed, by name or common alias, or None."""
        return _ALIASES.get(text.strip().lower())


_LABELS = {
    Network.INSTAGRAM: "Instagram",
    Network.FACEBOOK: "Facebook",
    Network.TIKTOK: "TikTok",
    Network.YOUTUBE: "YouTube",
    Network.LINKEDIN: "LinkedIn",
    Network.X: "X",
}
_RANKS = {n: i for i, n in enumerate(Network)}
_COLOURS = {
    Network.INSTAGRAM: "#d62976",
    Network.FACEBOOK: "#1877f2",
    Network.TIKTOK: "#111111",
    Network.YOUTUBE: "#ff0000",
    Network.LINKEDIN: "#0a66c2",
    Network.X: "#7f7f7f",
}
_ALIASES = {n.value: n for n in Network} | {
    "ig": Network.INSTAGRAM,
    "fb": Network.FACEBOOK,
    "yt": Network.YOUTUBE,
    "twitter": Network.X,
    "li": Network.LINKEDIN,
}


class Tier(StrEnum):
    FREE = "free"
    PRO = "pro"

    @property
    def label(self) -> str:
        return "Pro" if self is Tier.PRO else "Free"


class Route(StrEnum):
    """How a target reaches its network; the composition root picks a publisher per route."""

    AYRSHARE = "ayrshare"
    INSTAGRAM_GRAPH = "instagram_graph"


class ChatPlatform(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    SLACK = "slack"


@dataclass(frozen=True, slots=True)
class Identity:
    """A chat user: the platform, the workspace (Slack team; empty elsewhere) and the user id."""

    platform: ChatPlatform
    user: str
    workspace: str = ""

    def __str__(self) -> str:
        scope = f"{self.workspace}/" if self.workspace else ""
        return f"{self.platform.value}:{scope}{self.user}"

    @classmethod
    def parse(cls, text: str) -> Identity:
        """Parse `platform:user` or `platform:workspace/user` (operator CLI form)."""
        platform, sep, rest = text.partition(":")
        if not sep or not rest:
            raise ValueError(f"identity must look like telegram:12345, not {text!r}")
        try:
            chat_platform = ChatPlatform(platform)
        except ValueError:
            raise ValueError(f"unknown chat platform {platform!r}") from None
        workspace, slash, user = rest.rpartition("/")
        if not user:
            raise ValueError(f"identity {text!r} has no user id")
        return cls(chat_platform, user, workspace if slash else "")


class ChatKind(StrEnum):
    PRIVATE = "private"  # the user and the bot alone (a console is one)
    SHARED = "shared"  # a group: everyone in it reads the answers
    # Shared too, and it speaks as itself: only its admins can post in it (a Telegram channel).
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A conversation the bot can write to: a private chat, group, channel or console.

    `kind` is what the chat adapter saw on the update; it is not part of the identity (stored
    only with a digest subscription, sent later with no update to tell), and a chat of unknown
    kind counts as shared so nothing private is shown there.
    """

    platform: ChatPlatform
    chat: str
    workspace: str = ""
    kind: ChatKind = field(default=ChatKind.SHARED, compare=False)

    @property
    def private(self) -> bool:
        return self.kind is ChatKind.PRIVATE


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the bot sent and may edit in place."""

    chat: ChatRef
    message_id: str


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential in memory; its repr never shows the value, so it cannot leak into logs."""

    value: str = field(repr=False)

    def __post_init__(self) -> None:
        keep_out_of_logs(self.value)  # nor in a message or traceback that quotes it

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class AccountKey:
    """A publisher-side account of a profile: an Ayrshare user profile and its key, or an
    account the user logged in to (Instagram Login) and its access token, which has an
    issue time, an expiry and the permissions granted."""

    ref: str
    key: Secret
    expires_at: datetime | None = None
    issued_at: datetime | None = None
    scopes: tuple[str, ...] = ()


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    BROKEN = "broken"  # the network revoked or expired our access: reconnect needed


@dataclass(slots=True)
class Connection:
    network: Network
    status: ConnectionStatus
    display_name: str = ""
    updated_at: datetime | None = None
    # When our access ends unless renewed: a Free Instagram token's expiry, or a Pro link's
    # end from Ayrshare's refreshDaysRemaining. None when the network gives no end.
    expires_at: datetime | None = None


class Provider(StrEnum):
    """Who takes the money (or, for `operator`, who gave Pro away)."""

    TELEGRAM_STARS = "telegram_stars"
    STRIPE = "stripe"
    OPERATOR = "operator"


class SubscriptionStatus(StrEnum):
    """A subscription's state as its provider last told us (Stripe's names)."""

    ACTIVE = "active"
    TRIALING = "trialing"
    PAST_DUE = "past_due"  # a renewal payment failed; the provider is still retrying
    UNPAID = "unpaid"
    INCOMPLETE = "incomplete"
    CANCELED = "canceled"  # ended: by the user, the provider, a refund or the operator


# Pro while the period lasts: a failed renewal keeps it until the period end, as the
# provider retries the charge meanwhile.
PAYING = frozenset(
    {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE}
)


@dataclass(slots=True)
class Subscription:
    """A profile's one current paid subscription, as its provider last told us."""

    provider: Provider
    status: SubscriptionStatus
    tier: Tier = Tier.PRO
    plan: str = "pro"  # the configured plan it was bought on (core.billing.plans)
    customer_id: str = ""  # Stripe's cus_…, Telegram's user id
    subscription_id: str = ""  # Stripe's sub_…, the Stars subscription's first charge id
    price_id: str = ""  # Stripe's price_…, or "XTR:<stars>" for Telegram Stars
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False  # non-renewing: ends at current_period_end
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # When the provider was in this state (Stripe's event time): an older state read later
    # does not replace a newer one (core.billing.Billing.sync).
    state_at: datetime | None = None

    def grants(self, now: datetime) -> bool:
        """Whether it gives its tier at `now`."""
        return (
            self.status in PAYING
            and self.current_period_end is not None
            and self.current_period_end > now
        )


@dataclass(frozen=True, slots=True)
class Grant:
    """An operator's grant of a tier: for a number of days, or until revoked (no end)."""

    id: int
    tier: Tier
    starts_at: datetime
    ends_at: datetime | None = None
    reason: str = ""
    revoked_at: datetime | None = None

    def grants(self, now: datetime) -> bool:
        return (
            self.revoked_at is None
            and self.starts_at <= now
            and (self.ends_at is None or self.ends_at > now)
        )


@dataclass(slots=True)
class Profile:
    """A Postroom account: one per chat user, with its tier, time zone and network access.

    `tier` is the tier last applied by the billing lifecycle (core.billing), which derives it
    from the subscription and grants (core.tiers.derive_tier); nothing else writes it.
    """

    id: int
    tier: Tier
    timezone: str
    created_at: datetime
    display_name: str = ""
    # Per-route provider accounts, created lazily (the Ayrshare user profile and its key).
    accounts: dict[Route, AccountKey] = field(default_factory=dict)
    connections: dict[Network, Connection] = field(default_factory=dict)
    subscription: Subscription | None = None
    grants: list[Grant] = field(default_factory=list)  # newest last, revoked ones included

    def connected(self) -> frozenset[Network]:
        return frozenset(
            n for n, c in self.connections.items() if c.status is ConnectionStatus.CONNECTED
        )


@dataclass(slots=True)
class Target:
    """One network of one post, with its own state, schedule and outcome."""

    network: Network
    route: Route
    state: TargetState = TargetState.DRAFT
    due_at: datetime | None = None
    attempts: int = 0
    # Bumped by each manual retry so a retried target gets a fresh idempotency key, while
    # automatic re-sends within one round keep the key and are refused as duplicates.
    round: int = 0
    idempotency_key: str | None = None
    provider_post_id: str | None = None
    external_id: str | None = None
    url: str | None = None
    error: str | None = None
    locked_by: str | None = None
    locked_until: datetime | None = None
    sent_at: datetime | None = None
    published_at: datetime | None = None
    # Held back to draft when the plan that reached it ended (core.billing): the time it was
    # due, so a renewal schedules it again.
    held_due: datetime | None = None
    # This network's own version of the post's text (shorter for X, longer for LinkedIn);
    # None: the post's main text.
    text: str | None = None

    def move_to(self, state: TargetState, due_at: datetime | None = None) -> None:
        """Go to `state`, or raise InvalidTransition if the lifecycle does not allow it.
        `due_at`, when given, is when it falls due; a draft is never due."""
        check_transition(self.state, state)
        self.state = state
        if state is not TargetState.DRAFT:
            self.held_due = None  # scheduled again, by a renewal or by hand
        if due_at is not None or state is TargetState.DRAFT:
            self.due_at = due_at

    @property
    def may_be_out(self) -> bool:
        """A request for it may have reached the network and its outcome is not known yet:
        claimed, sent, being looked up, or due again after an attempt that got no clear answer
        (a 5xx or a timeout can hide a post that went out; the re-send keeps its key)."""
        if self.state in (TargetState.QUEUED, TargetState.PUBLISHING, TargetState.UNCONFIRMED):
            return True
        return (
            self.state is TargetState.SCHEDULED
            and self.attempts > 0
            and self.idempotency_key is not None
        )


@dataclass(slots=True)
class Post:
    """What a user composed, and one target per chosen network."""

    id: int
    profile_id: int
    text: str
    media: tuple[str, ...]
    created_at: datetime
    origin: ChatRef
    scheduled_at: datetime | None = None
    progress: MessageRef | None = None
    # Networks the composer shows ticked; targets exist only for ticked networks.
    targets: dict[Network, Target] = field(default_factory=dict)
    # When the draft's text, media, networks or versions last changed (None: as created).
    edited_at: datetime | None = None

    @property
    def state(self) -> PostState:
        return derive_post_state([t.state for t in self.targets.values()])

    def target(self, network: Network) -> Target:
        return self.targets[network]

    def ordered_targets(self) -> list[Target]:
        return sorted(self.targets.values(), key=lambda t: t.network.rank)

    def text_for(self, network: Network) -> str:
        """The text `network` gets: its own version, else the main text."""
        target = self.targets.get(network)
        return self.text if target is None or target.text is None else target.text

    def versions(self) -> dict[Network, str]:
        """The networks with a text of their own, in network order."""
        return {t.network: t.text for t in self.ordered_targets() if t.text is not None}

    @property
    def last_edit(self) -> datetime:
        return self.edited_at or self.created_at
