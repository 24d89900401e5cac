"""Command parsing and per-network content limits."""

from __future__ import annotations

import pytest

from core.commands import parse_command, split_media
from core.errors import DomainError
from core.limits import check_media_urls, problems
from core.model import Network


def test_commands_with_bot_name_and_arguments() -> None:
    cmd = parse_command("/post@PostroomBot  Launch day!")
    assert cmd is not None
    assert (cmd.name, cmd.args, cmd.bot) == ("post", "Launch day!", "PostroomBot")
    assert parse_command("hello /post") is None
    assert parse_command("/") is None


def test_media_marker_splits_text_and_urls() -> None:
    text, media = split_media("Hello world media: https://a.example/1.jpg https://a.example/2.mp4")
    assert text == "Hello world"
    assert media == ("https://a.example/1.jpg", "https://a.example/2.mp4")
    assert split_media("no media here") == ("no media here", ())


@pytest.mark.parametrize(
    "url", ["ftp://a.example/x.jpg", "javascript:alert(1)", "/etc/passwd", "https://"]
)
def test_media_must_be_http_urls(url: str) -> None:
    with pytest.raises(DomainError, match="https://"):
        check_media_urls([url])


def test_x_text_limit_names_the_network_and_counts() -> None:
    found = problems(Network.X, "a" * 281, ())
    assert found == ["X allows 280 characters; this post has 281."]
    assert problems(Network.X, "a" * 280, ()) == []


def test_video_networks_need_a_video() -> None:
    assert any("needs a video" in p for p in problems(Network.YOUTUBE, "hi", ("https://a/b.jpg",)))
    assert problems(Network.YOUTUBE, "hi", ("https://a/b.mp4",)) == []
    assert any("photo or video" in p for p in problems(Network.INSTAGRAM, "hi", ()))


def test_too_many_media_and_mixed_media() -> None:
    five = tuple(f"https://a/{i}.jpg" for i in range(5))
    assert any("at most 4" in p for p in problems(Network.X, "hi", five))
    mixed = ("https://a/1.jpg", "https://a/2.mp4")
    assert any("not both" in p for p in problems(Network.TIKTOK, "hi", mixed))
    assert problems(Network.INSTAGRAM, "hi", mixed) == []  # carousels mix
