"""Instagram's caption limits (2,200 characters, 30 hashtags, 20 @mentions) in the composer:
a warning naming the count, Publish now refused with it, nothing sent, the draft kept."""

from __future__ import annotations

import pytest

from adapters.sandbox import SandboxPublisher
from core.model import Network, Route, Tier
from core.states import PostState
from tests.core.harness import Harness

IG = Network.INSTAGRAM
MEDIA = " media: https://cdn.example.com/cat.jpg"


def tags(n: int, sign: str = "#") -> str:
    return " ".join(f"{sign}tag{i}" for i in range(n))


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        (tags(31), "Instagram allows 30 hashtags; this post has 31."),
        (tags(21, "@"), "Instagram allows 20 @mentions; this post has 21."),
        ("a" * 2201, "Instagram allows 2,200 characters; this post has 2,201."),
    ],
    ids=["31-hashtags", "21-mentions", "2201-characters"],
)
async def test_over_a_caption_limit_is_warned_then_refused(text: str, warning: str) -> None:
    h = Harness(tier=Tier.FREE)
    composer = await h.compose(text + MEDIA, IG)
    assert f"⚠️ {warning}" in composer.text

    refused = await h.tap(composer, "Publish now")

    assert refused.toast is not None and warning in refused.toast
    await h.pipeline.run_until_idle()
    async with h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.DRAFT and post.text == text
    sandbox = h.publishers[Route.INSTAGRAM_GRAPH]
    assert isinstance(sandbox, SandboxPublisher) and not sandbox.posts()


async def test_at_the_limits_it_goes_out() -> None:
    h = Harness(tier=Tier.FREE)
    text = f"{tags(30)} {tags(20, '@')}"
    text += " " + "a" * (2200 - len(text) - 1)
    assert len(text) == 2200
    composer = await h.compose(text + MEDIA, IG)
    assert "⚠️" not in composer.text
    await h.tap(composer, "Publish now")
    await h.pipeline.run_until_idle()
    sandbox = h.publishers[Route.INSTAGRAM_GRAPH]
    assert isinstance(sandbox, SandboxPublisher) and len(sandbox.posts()) == 1


async def test_emails_and_sharp_signs_inside_words_are_not_tags() -> None:
    h = Harness(tier=Tier.FREE)
    text = " ".join(f"ana{i}@example.com C#{i}" for i in range(40)) + " ##double"
    composer = await h.compose(text + MEDIA, IG)
    assert "hashtags" not in composer.text and "@mentions" not in composer.text


async def test_the_limits_are_instagrams_only() -> None:
    h = Harness(tier=Tier.PRO)
    composer = await h.compose(tags(31) + MEDIA, Network.FACEBOOK, IG)
    assert composer.text.count("hashtags; this post has 31") == 1  # Instagram's, not Facebook's
