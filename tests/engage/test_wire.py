"""Ayrshare's and Instagram's comment answers as read: both Ayrshare shapes, odd entries."""

from __future__ import annotations

import pytest

from adapters.ayrshare.comments import parse_comments, parse_reply
from adapters.instagram.comments import parse_comments as parse_instagram
from core.engage_ports import CommentGone
from core.errors import PermanentError
from core.model import Network

KEYED = {
    "status": "success",
    "id": "Ut1fWU6XkqkMayHGnJZ",
    "instagram": [
        {
            "comment": "What an amazing comment",
            "commentId": "17969247335804735",
            "created": "2024-11-26T11:49:00Z",
            "from": {"id": "103038435208332", "username": "john_smith"},
            "hidden": False,
            "likeCount": 3,
            "platform": "instagram",
            "postId": "18231730279304333",
            "username": "john_smith",
        }
    ],
    "facebook": [
        {
            "comment": "Nice",
            "commentId": "358482752285927_363474831785719",
            "created": "2024-11-26T12:00:00Z",
            "from": {"name": "Jo Fan", "id": "1"},
        },
        {"commentId": "no text"},  # half an entry: left out
        "junk",
    ],
}


def test_comments_under_network_keys_and_in_one_flat_list_read_alike() -> None:
    urls = {Network.INSTAGRAM: "https://www.instagram.com/p/X/", Network.FACEBOOK: None}
    keyed = parse_comments(KEYED, urls)
    flat_list = [e | {"platform": "facebook"} for e in KEYED["facebook"][:1]]
    flat = parse_comments(
        {"status": "success", "comments": [*KEYED["instagram"], *flat_list]}, urls
    )
    assert keyed == flat
    [ig] = keyed[Network.INSTAGRAM]
    assert (ig.external_id, ig.author, ig.text) == (
        "17969247335804735",
        "john_smith",
        "What an amazing comment",
    )
    assert ig.url == "https://www.instagram.com/p/X/" and ig.created_at is not None
    [fb] = keyed[Network.FACEBOOK]
    assert fb.author == "Jo Fan" and fb.url is None


@pytest.mark.parametrize("body", [None, [], "nope", {"status": "success"}, {"comments": "x"}])
def test_answers_without_comments_read_as_none(body: object) -> None:
    assert parse_comments(body, {}) == {}


def test_reply_answers() -> None:
    ok = {"status": "success", "instagram": {"status": "success", "commentId": "1799"}}
    assert parse_reply(ok, Network.INSTAGRAM) == "1799"
    gone = {"status": "error", "instagram": {"status": "error", "message": "Comment not found"}}
    with pytest.raises(CommentGone):
        parse_reply(gone, Network.INSTAGRAM)
    refused = {"instagram": {"status": "error", "message": "Text too long"}}
    with pytest.raises(PermanentError, match="Instagram refused the reply: Text too long"):
        parse_reply(refused, Network.INSTAGRAM)


def test_instagram_comments_oldest_first_and_odd_entries_left_out() -> None:
    body = {
        "data": [
            {"id": "2", "text": "newer", "username": "b", "timestamp": "2026-12-01T10:05:00+0000"},
            {"id": "1", "text": "older", "timestamp": "bad", "hidden": True},
            {"id": 3},
            None,
        ]
    }
    found = parse_instagram(body, None)
    assert [(c.external_id, c.author, c.hidden) for c in found] == [
        ("1", "", True),
        ("2", "b", False),
    ]
    assert found[0].created_at is None and parse_instagram({"error": {}}, None) == []
