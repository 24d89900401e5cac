"""InstagramGraphPublisher: core's Publisher port for Route.INSTAGRAM_GRAPH (the Free tier)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from adapters.instagram import graph
from adapters.instagram.http import GraphHttp
from core.errors import OutcomeUnknown, PermanentError, TransientError
from core.model import AccountKey, Network, Post, Profile, Route
from core.ports import Clock, ConnectLink, Outcome, OutcomeKind, PublishRequest
from core.when import format_local

__all__ = ["NOT_SET_UP", "InstagramGraphPublisher"]

log = logging.getLogger(__name__)

NOT_SET_UP = "Instagram Login is not set up on this server (POSTROOM_INSTAGRAM_APP_ID)."
ONLY_INSTAGRAM = "The free tier publishes to Instagram only."
# Container status polls: Meta suggests checking about once a minute for at most five minutes
# for videos; images are usually FINISHED on the first look, so start short and back off.
POLL_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 60.0, 60.0, 60.0)
# A lookup accepts media posted this long before the request's send time (clock skew).
LOOKUP_SLACK = timedelta(minutes=5)
# A published container whose media the account's list does not show yet is looked up again
# for this long (from the lookup's `since`) before it counts as published without a link.
LINK_WAIT = timedelta(minutes=15)
LISTING = "Instagram published it; waiting for its link"


class InstagramGraphPublisher:
    """Publishes with the profile's own Instagram token (Instagram API with Instagram Login).

    The token and the Instagram user id are the profile's provider account for this route
    (stored encrypted by the connect flow). A container id reaching media_publish travels in
    the outcome (provider_post_id), so a lost answer is looked up by container, then by the
    account's recent media, before anything is sent again.
    """

    route = Route.INSTAGRAM_GRAPH

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        clock: Clock,
        app_configured: bool,
        not_set_up: str = NOT_SET_UP,
        timeout: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        poll_delays: Sequence[float] = POLL_DELAYS,
    ) -> None:
        self._graph = GraphHttp(http, base_url=base_url, timeout=timeout)
        self._clock = clock
        self._configured = app_configured
        self._not_set_up = not_set_up
        self._sleep = sleep
        self._delays = tuple(poll_delays)

    def __repr__(self) -> str:
        return f"InstagramGraphPublisher({self._graph.base!r})"

    def unavailable(self, network: Network) -> str | None:
        if network is not Network.INSTAGRAM:
            return ONLY_INSTAGRAM
        return None if self._configured else self._not_set_up

    async def create_account(self, profile: Profile) -> AccountKey | None:
        return None  # the login callback stores the token; nothing to create here

    async def connect_link(self, profile: Profile, network: Network) -> ConnectLink:
        # /connect links Instagram through its login page (core.chat.login), not through us.
        raise PermanentError(self._not_set_up)

    async def connected(self, profile: Profile) -> Mapping[Network, str] | None:
        if Route.INSTAGRAM_GRAPH not in profile.accounts:
            return {}
        # We hold the token, so the connection we stored (and whether it broke) is the
        # truth: there is nobody else to ask.
        return None

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        outcomes = _others(request)
        if Network.INSTAGRAM not in request.networks:
            return outcomes
        ig_user, token = graph.credentials(request.profile)
        await self._check_quota(ig_user, token, request.profile.timezone)
        post = request.post
        caption = post.text_for(Network.INSTAGRAM)  # Instagram's version, if it has one
        calls, is_carousel = graph.containers(ig_user, caption, post.media)
        created = [await self._create(c, token) for c in calls]
        await self._wait_finished(created, token)
        container = created[0]
        if is_carousel:
            container = await self._create(graph.carousel(ig_user, caption, created), token)
            await self._wait_finished([container], token)
        if request.checkpoint is not None:
            # Stored before media_publish: after a crash mid-request, the lookup asks this
            # container whether it was published instead of guessing from recent media.
            await request.checkpoint(Network.INSTAGRAM, container)
        try:
            body = await self._send(graph.publish(ig_user, container), token)
        except (OutcomeUnknown, TransientError) as e:
            # It may have gone out: carry the container id so the lookup can ask about it.
            reason = e.reason
            outcomes[Network.INSTAGRAM] = Outcome(
                OutcomeKind.UNKNOWN, provider_post_id=container, reason=reason
            )
            return outcomes
        media_id = str(body["id"])
        outcomes[Network.INSTAGRAM] = await self._published(media_id, token)
        return outcomes

    async def lookup(self, request: PublishRequest, since: datetime) -> Mapping[Network, Outcome]:
        """The container's status first (stored before media_publish), then the account's
        recent media for the media id and link, then media_publish with that same container:
        never a second post for one request."""
        outcomes = _others(request)
        if Network.INSTAGRAM not in request.networks:
            return outcomes
        ig_user, token = graph.credentials(request.profile)
        target = request.post.targets.get(Network.INSTAGRAM)
        container = target.provider_post_id if target is not None else None
        status: object = None
        if container:
            body = await self._send(graph.status(container), token)
            failure = graph.container_failure(body)
            if failure is not None:
                outcomes[Network.INSTAGRAM] = Outcome(OutcomeKind.ABSENT, reason=failure)
                return outcomes
            status = body.get("status_code")
        found = await self._recent(ig_user, token, request.post.text_for(Network.INSTAGRAM), since)
        if found is not None:
            outcomes[Network.INSTAGRAM] = found
        elif status == "PUBLISHED" and self._clock.now() - since < LINK_WAIT:
            # Instagram says it went out, but its media list does not show it yet: looked up
            # again shortly, for the media id and link (never sent again).
            outcomes[Network.INSTAGRAM] = Outcome(
                OutcomeKind.UNKNOWN, provider_post_id=container, reason=LISTING
            )
        elif status == "PUBLISHED":
            # Still not listed: published, its link unknown.
            outcomes[Network.INSTAGRAM] = Outcome(OutcomeKind.PUBLISHED)
        elif container and status == "FINISHED":
            # media_publish may have gone out (the container is stored just before it) while
            # the status and the media list lag: publish this same container, never a new one.
            outcomes[Network.INSTAGRAM] = await self._publish_stored(ig_user, container, token)
        else:
            # No container (media_publish never reached), or one that is not ready: it never
            # went out.
            outcomes[Network.INSTAGRAM] = Outcome(OutcomeKind.ABSENT)
        return outcomes

    async def _publish_stored(self, ig_user: str, container: str, token: str) -> Outcome:
        """media_publish again with the stored container: Instagram publishes a container
        once and refuses it after that, so this cannot make a second post. Refused, or no
        answer: unknown, looked at again later (by then the status or the list shows it)."""
        try:
            body = await self._send(graph.publish(ig_user, container), token)
        except (OutcomeUnknown, TransientError, PermanentError) as e:
            log.info("container %s not published again: %s", container, e.reason)
            return Outcome(OutcomeKind.UNKNOWN, provider_post_id=container, reason=e.reason)
        return await self._published(str(body["id"]), token)

    async def _recent(
        self, ig_user: str, token: str, caption: str, since: datetime
    ) -> Outcome | None:
        media = await self._send(graph.recent_media(ig_user, 25), token)
        for item in media.get("data") or []:
            when = graph.parse_time(str(item.get("timestamp", "")))
            same = item.get("caption", "") == caption
            if same and when is not None and when >= since - LOOKUP_SLACK:
                url = item.get("permalink")
                return Outcome(
                    OutcomeKind.PUBLISHED,
                    url=str(url) if url else None,
                    external_id=str(item["id"]),
                    provider_post_id=str(item["id"]),
                )
        return None

    async def delete(self, profile: Profile, post: Post, networks: Sequence[Network]) -> None:
        # The Instagram Graph API offers no deletion of published media.
        raise PermanentError(
            "Instagram doesn't allow removing posts through the API; delete it in the app."
        )

    # --- steps ---------------------------------------------------------------------------

    async def _check_quota(self, ig_user: str, token: str, tz: str) -> None:
        used, allowed = graph.quota(await self._send(graph.publishing_limit(ig_user), token))
        if used < allowed:
            return
        # Instagram does not say when a slot frees: the oldest of the last `allowed` posts
        # leaves the rolling 24 h window then.
        media = await self._send(graph.recent_media(ig_user, allowed), token)
        times = sorted(
            t
            for item in media.get("data") or []
            if (t := graph.parse_time(str(item.get("timestamp", "")))) is not None
        )
        window = timedelta(hours=24)
        recent = [t for t in times if t > self._clock.now() - window]
        frees = (recent[0] + window) if recent else self._clock.now() + window
        raise PermanentError(
            f"Not sent: Instagram allows {allowed} posts per 24 hours per account and this "
            f"account has used them. A slot frees at {format_local(frees, tz)}; tap Retry then."
        )

    async def _create(self, call: graph.Call, token: str) -> str:
        try:
            body = await self._send(call, token)
        except OutcomeUnknown as e:
            # An unpublished container is harmless (it expires in 24 h): simply try again.
            raise TransientError(e.reason) from None
        return str(body["id"])

    async def _wait_finished(self, containers: Sequence[str], token: str) -> None:
        pending = list(containers)
        for delay in (0.0, *self._delays):
            if delay:
                await self._sleep(delay)
            still: list[str] = []
            for container in pending:
                body = await self._send(graph.status(container), token)
                failure = graph.container_failure(body)
                if failure is not None:
                    raise PermanentError(failure)
                if body.get("status_code") not in ("FINISHED", "PUBLISHED"):
                    still.append(container)
            pending = still
            if not pending:
                return
        raise TransientError("Instagram is still processing the media")

    async def _published(self, media_id: str, token: str) -> Outcome:
        url: str | None = None
        try:
            body = await self._send(graph.permalink(media_id), token)
            url = str(body.get("permalink") or "") or None
        except (TransientError, OutcomeUnknown) as e:
            log.warning("published %s but its permalink could not be read: %s", media_id, e)
        return Outcome(
            OutcomeKind.PUBLISHED, url=url, external_id=media_id, provider_post_id=media_id
        )

    async def _send(self, call: graph.Call, token: str) -> dict[str, Any]:
        return await self._graph.send(call, token)


def _others(request: PublishRequest) -> dict[Network, Outcome]:
    """Failures for the networks other than Instagram (this route reaches Instagram only)."""
    failed = Outcome(OutcomeKind.FAILED, reason=ONLY_INSTAGRAM)
    return {n: failed for n in request.networks if n is not Network.INSTAGRAM}
