"""A simulated publisher: plausible outcomes and URLs per network, with injectable failures."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core import limits
from core.model import AccountKey, Network, Post, Profile, Route, Secret
from core.ports import Clock, ConnectLink, Outcome, OutcomeKind, PublishRequest

__all__ = ["FailMode", "SandboxPost", "SandboxPublisher", "parse_fail_spec"]

FAIL_ENV = "POSTROOM_SANDBOX_FAIL"


class FailMode(StrEnum):
    """How a network misbehaves in the sandbox (POSTROOM_SANDBOX_FAIL)."""

    ONCE = "once"  # the first attempt of each post fails for good; a manual retry succeeds
    ALWAYS = "always"
    TRANSIENT = "transient"  # the first attempt is a simulated 503; the automatic re-send works
    TIMEOUT = "timeout"  # the first attempt goes out but the answer is lost


def parse_fail_spec(text: str) -> dict[Network, FailMode]:
    """Parse `network[:mode],...` (mode defaults to once), e.g. "tiktok,x:always"."""
    networks = ", ".join(n.value for n in Network)
    modes = ", ".join(m.value for m in FailMode)
    spec: dict[Network, FailMode] = {}
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, sep, mode_text = entry.partition(":")
        network = Network.parse(name)
        if network is None:
            raise ValueError(
                f"{FAIL_ENV}: unknown network {name.strip()!r} in {entry!r}; use one of {networks}"
            )
        mode_name = mode_text.strip().lower() if sep else FailMode.ONCE.value
        try:
            mode = FailMode(mode_name)
        except ValueError:
            raise ValueError(
                f"{FAIL_ENV}: unknown mode {mode_text.strip()!r} in {entry!r}; use one of {modes}"
            ) from None
        if network in spec:
            raise ValueError(f"{FAIL_ENV}: {network.value} is named twice (in {entry!r})")
        spec[network] = mode
    return spec


@dataclass(frozen=True, slots=True)
class SandboxPost:
    """A post the sandbox network holds, as a lookup would find it."""

    post_id: int
    profile_id: int
    network: Network
    idempotency_key: str
    published_at: datetime
    outcome: Outcome


# Why each network "rejects" a post under injected failures, worded like the real refusals.
_REJECTIONS = {
    Network.INSTAGRAM: "the image's aspect ratio is not supported",
    Network.FACEBOOK: "the Page cannot publish right now",
    Network.TIKTOK: "video too short",
    Network.YOUTUBE: "the video could not be processed",
    Network.LINKEDIN: "the image could not be processed",
    Network.X: "duplicate content",
}

# Shortcodes and YouTube video ids use the URL-safe base64 alphabet.
_ID_CHARS = string.ascii_letters + string.digits + "-_"
_HANDLE_JUNK = re.compile(r"[^a-z0-9_]+")


class SandboxPublisher:
    """Publishes nowhere: records posts in memory and answers like the real networks would.

    One instance per route. Failures configured per network apply to the first attempt of each
    post (`once`, `transient`, `timeout`) or to every attempt (`always`).
    """

    def __init__(
        self,
        route: Route,
        *,
        fail: Mapping[Network, FailMode] | None = None,
        clock: Clock,
        seed: int | None = None,
    ) -> None:
        self.route = route
        self._fail = dict(fail or {})
        self._clock = clock
        self._rng = random.Random(seed)
        self._posts: dict[tuple[str, Network], SandboxPost] = {}
        self._tripped: set[tuple[int, Network]] = set()

    def unavailable(self, network: Network) -> str | None:
        return None

    async def create_account(self, profile: Profile) -> AccountKey | None:
        if self.route is not Route.AYRSHARE:
            return None
        # Like an Ayrshare user profile: core stores the key encrypted and sends it back.
        token = "".join(self._rng.choices(string.ascii_uppercase + string.digits, k=32))
        return AccountKey(ref=f"sandbox-{profile.id}", key=Secret(token))

    async def connect_link(self, profile: Profile, network: Network) -> ConnectLink:
        return ConnectLink(network, url=None, completes_at_once=True)

    async def connected(self, profile: Profile) -> Mapping[Network, str] | None:
        # Core's stored connections are the truth here: nothing to ask.
        return None

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        post = request.post
        provider_post_id = "sbx-" + "".join(self._rng.choices(_ID_CHARS[:62], k=20))
        outcomes: dict[Network, Outcome] = {}
        for network in request.networks:
            held = self._posts.get((request.idempotency_key, network))
            if held is not None:
                # The same request again: the network already has it, so no second copy.
                outcomes[network] = held.outcome
                continue
            found = limits.problems(network, post.text_for(network), post.media)
            if found:
                outcomes[network] = Outcome(OutcomeKind.FAILED, reason=" ".join(found))
                continue
            outcomes[network] = self._attempt(request, network, provider_post_id)
        return outcomes

    async def lookup(self, request: PublishRequest, since: datetime) -> Mapping[Network, Outcome]:
        outcomes: dict[Network, Outcome] = {}
        for network in request.networks:
            held = self._posts.get((request.idempotency_key, network))
            outcomes[network] = Outcome(OutcomeKind.ABSENT) if held is None else held.outcome
        return outcomes

    async def delete(self, profile: Profile, post: Post, networks: Sequence[Network]) -> None:
        doomed = [
            key
            for key, held in self._posts.items()
            if held.post_id == post.id and held.network in networks
        ]
        for key in doomed:
            del self._posts[key]

    def posts(self) -> tuple[SandboxPost, ...]:
        """Every post the simulated networks hold, oldest first."""
        return tuple(self._posts.values())

    def _attempt(
        self, request: PublishRequest, network: Network, provider_post_id: str
    ) -> Outcome:
        mode = self._fail.get(network)
        first = (request.post.id, network) not in self._tripped
        if mode is not None and first:
            self._tripped.add((request.post.id, network))
        if mode is FailMode.ALWAYS or (mode is FailMode.ONCE and first):
            reason = f"{network.label} rejected the post: {_REJECTIONS[network]} (sandbox failure)"
            return Outcome(OutcomeKind.FAILED, reason=reason)
        if mode is FailMode.TRANSIENT and first:
            reason = f"Sandbox: {network.label} is busy (simulated 503)"
            return Outcome(OutcomeKind.RETRY, reason=reason)
        published = self._record(request, network, provider_post_id)
        if mode is FailMode.TIMEOUT and first:
            # It went out, but the answer was lost: core must look it up before re-sending.
            reason = f"Sandbox: {network.label} did not answer in time (simulated timeout)"
            return Outcome(OutcomeKind.UNKNOWN, reason=reason)
        return published

    def _record(self, request: PublishRequest, network: Network, provider_post_id: str) -> Outcome:
        url, external_id = self._address(network, _handle(request.profile))
        outcome = Outcome(
            OutcomeKind.PUBLISHED,
            url=url,
            external_id=external_id,
            provider_post_id=provider_post_id,
        )
        self._posts[(request.idempotency_key, network)] = SandboxPost(
            post_id=request.post.id,
            profile_id=request.profile.id,
            network=network,
            idempotency_key=request.idempotency_key,
            published_at=self._clock.now(),
            outcome=outcome,
        )
        return outcome

    def _address(self, network: Network, handle: str) -> tuple[str, str]:
        """A plausible public URL and native id, shaped like each network's own."""
        match network:
            case Network.INSTAGRAM:
                shortcode = self._chars(11)
                return f"https://www.instagram.com/p/{shortcode}/", self._digits(17)
            case Network.FACEBOOK:
                page_id, story_id = self._digits(15), self._digits(16)
                url = f"https://www.facebook.com/{handle}/posts/{story_id}"
                return url, f"{page_id}_{story_id}"
            case Network.TIKTOK:
                video_id = self._digits(19, lead="7")
                return f"https://www.tiktok.com/@{handle}/video/{video_id}", video_id
            case Network.YOUTUBE:
                video_id = self._chars(11)
                return f"https://youtu.be/{video_id}", video_id
            case Network.LINKEDIN:
                urn = f"urn:li:share:{self._digits(19, lead='7')}"
                return f"https://www.linkedin.com/feed/update/{urn}", urn
            case Network.X:
                status_id = self._digits(19, lead="1")
                return f"https://x.com/{handle}/status/{status_id}", status_id

    def _chars(self, n: int) -> str:
        return "".join(self._rng.choices(_ID_CHARS, k=n))

    def _digits(self, n: int, lead: str = "") -> str:
        first = lead or str(self._rng.randint(1, 9))
        return first + "".join(self._rng.choices(string.digits, k=n - 1))


def _handle(profile: Profile) -> str:
    """The profile's account name on the simulated networks: from its display name if any."""
    name = _HANDLE_JUNK.sub("_", profile.display_name.lower()).strip("_")[:15]
    return name or f"postroom_{profile.id}"
