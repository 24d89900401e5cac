"""Unit tests for adapters.ayrshare.wire on recorded Ayrshare payloads (no I/O)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.ayrshare import records, refusals, wire
from adapters.ayrshare.refusals import DuplicateRequest
from adapters.ayrshare.wire import RawResponse
from core.errors import OutcomeUnknown, PermanentError, TransientError
from core.model import Network
from core.ports import Outcome, OutcomeKind

PAYLOADS = Path(__file__).parent.parent / "payloads" / "ayrshare"
SINCE = datetime(2026, 4, 14, 9, 25, tzinfo=UTC)


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def raw(status: int, body: Any, headers: dict[str, str] | None = None) -> RawResponse:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawResponse(status, headers or {}, data)


# --- request bodies --------------------------------------------------------------------------


def test_post_body_names_x_twitter_and_carries_the_idempotency_key() -> None:
    body = wire.post_body("Hello", (), [Network.INSTAGRAM, Network.X], "pr-1-abc")
    assert body == {
        "post": "Hello",
        "platforms": ["instagram", "twitter"],
        "idempotencyKey": "pr-1-abc",
    }


def test_post_body_gives_youtube_a_public_title_from_the_first_line() -> None:
    text = "\n  Big <news> today  \nmore details"
    body = wire.post_body(text, ("https://cdn.example.com/a.mp4",), [Network.YOUTUBE], "k")
    assert body["youTubeOptions"] == {"title": "Big news today", "visibility": "public"}
    assert body["mediaUrls"] == ["https://cdn.example.com/a.mp4"]
    assert "isVideo" not in body


def test_youtube_title_is_clipped_to_100_characters() -> None:
    title = wire.youtube_title("x" * 250)
    assert len(title) == 100
    assert title.endswith("…")
    assert wire.youtube_title("") == "Video"


@pytest.mark.parametrize(
    ("url", "networks", "flagged"),
    [
        ("https://cdn.example.com/render?id=42", [Network.TIKTOK], True),
        ("https://cdn.example.com/render?id=42", [Network.INSTAGRAM], False),
        ("https://cdn.example.com/clip.MP4", [Network.YOUTUBE], False),
        ("https://cdn.example.com/photo.jpg", [Network.TIKTOK], False),
    ],
)
def test_is_video_only_when_a_video_network_gets_an_extensionless_url(
    url: str, networks: list[Network], flagged: bool
) -> None:
    body = wire.post_body("t", (url,), networks, "k")
    assert body.get("isVideo", False) is flagged


def test_network_names_round_trip() -> None:
    for network in Network:
        assert wire.network_of(wire.platform_of(network)) is network
    assert wire.network_of("bluesky") is None
    assert wire.network_of(None) is None


# --- POST /post answers ----------------------------------------------------------------------


def test_success_payload_gives_one_published_outcome_per_network() -> None:
    networks = [Network.INSTAGRAM, Network.YOUTUBE, Network.X]
    found = records.parse_post_response(raw(200, payload("success.json")), networks)
    assert found[Network.YOUTUBE] == Outcome(
        OutcomeKind.PUBLISHED,
        url="https://youtu.be/dQw4w9WgXcQ",
        external_id="dQw4w9WgXcQ",
        provider_post_id="RhrbDtYh7hdSMc67zC8H",
    )
    assert found[Network.X].url == "https://twitter.com/adasbakery/status/1899876543210987654"
    assert found[Network.INSTAGRAM].external_id == "17992412345678901"


def test_partial_payload_gives_per_network_outcomes() -> None:
    networks = [Network.FACEBOOK, Network.TIKTOK, Network.INSTAGRAM, Network.LINKEDIN]
    found = records.parse_post_response(raw(400, payload("partial.json")), networks)
    assert found[Network.FACEBOOK].kind is OutcomeKind.PUBLISHED
    tiktok = found[Network.TIKTOK]
    assert tiktok.kind is OutcomeKind.FAILED
    assert tiktok.reconnect is True
    assert tiktok.reason == "TikTok isn't linked any more."
    # 436 is a processing timeout on Instagram's side: the same request may work later.
    assert found[Network.INSTAGRAM].kind is OutcomeKind.RETRY
    assert found[Network.INSTAGRAM].reconnect is False
    # Asked for but not mentioned at all: unknown, to be looked up.
    assert found[Network.LINKEDIN].kind is OutcomeKind.UNKNOWN


def test_request_level_quota_error_is_permanent_and_names_the_quota() -> None:
    with pytest.raises(PermanentError) as caught:
        records.parse_post_response(raw(400, payload("request_error.json")), [Network.FACEBOOK])
    assert "monthly" in caught.value.reason.lower()
    assert "quota" in caught.value.reason.lower()
    assert not isinstance(caught.value, OutcomeUnknown)


def test_scheduled_shape_is_not_a_result_so_it_is_looked_up() -> None:
    with pytest.raises(OutcomeUnknown) as caught:
        records.parse_post_response(raw(200, payload("scheduled.json")), [Network.FACEBOOK])
    assert not isinstance(caught.value, DuplicateRequest)


def test_unreadable_2xx_is_unknown_and_unreadable_4xx_is_permanent() -> None:
    with pytest.raises(OutcomeUnknown, match="unreadable"):
        records.parse_post_response(raw(200, b"<html>502 Bad Gateway</html>"), [Network.X])
    with pytest.raises(PermanentError, match="HTTP 400") as caught:
        records.parse_post_response(raw(400, b"{not json"), [Network.X])
    assert "unreadable" in caught.value.reason


def test_2xx_json_without_post_ids_is_unknown() -> None:
    with pytest.raises(OutcomeUnknown):
        records.parse_post_response(raw(200, {"status": "success"}), [Network.X])


@pytest.mark.parametrize(
    "answer",
    [
        raw(409, {"status": "error", "code": 409, "message": "Duplicate idempotencyKey."}),
        raw(409, b""),
        raw(400, {"status": "error", "message": "This idempotency key was already used."}),
        raw(400, {"status": "error", "message": "Duplicate key."}),
        raw(
            400,
            {
                "status": "error",
                "errors": [{"code": 400, "message": "idempotencyKey reused", "platform": "x"}],
                "postIds": [],
            },
        ),
    ],
)
def test_a_reused_idempotency_key_is_a_duplicate_request(answer: RawResponse) -> None:
    with pytest.raises(DuplicateRequest) as caught:
        records.parse_post_response(answer, [Network.X])
    assert isinstance(caught.value, OutcomeUnknown)


def test_duplicate_content_is_a_failure_not_a_duplicate_request() -> None:
    body = {
        "status": "error",
        "errors": [
            {"code": 137, "message": "Duplicate or similar content.", "platform": "facebook"},
            {"code": 110, "message": "Status is a duplicate.", "platform": "twitter"},
        ],
        "postIds": [],
        "id": "abc",
    }
    found = records.parse_post_response(raw(400, body), [Network.FACEBOOK, Network.X])
    assert found[Network.FACEBOOK].kind is OutcomeKind.FAILED
    assert "duplicate" in (found[Network.X].reason or "")


def test_instagram_daily_limit_on_a_429_is_a_per_network_failure() -> None:
    body = {
        "status": "error",
        "errors": [{"code": 435, "message": "Instagram limit.", "platform": "instagram"}],
        "postIds": [],
    }
    found = records.parse_post_response(raw(429, body), [Network.INSTAGRAM])
    assert found[Network.INSTAGRAM].kind is OutcomeKind.FAILED
    assert "50 posts per 24 hours" in (found[Network.INSTAGRAM].reason or "")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "42"}, 42.0),
        ({"x-ratelimit-max": "300", "x-ratelimit-count": "300"}, wire.RATE_WINDOW),
        ({"x-ratelimit-max": "300", "x-ratelimit-count": "12"}, refusals.DEFAULT_RETRY_AFTER),
        ({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}, refusals.DEFAULT_RETRY_AFTER),
        ({}, refusals.DEFAULT_RETRY_AFTER),
    ],
)
def test_429_is_transient_with_a_retry_after(headers: dict[str, str], expected: float) -> None:
    answer = raw(429, {"status": "error", "message": "Too many requests"}, headers)
    with pytest.raises(TransientError) as caught:
        records.parse_post_response(answer, [Network.FACEBOOK])
    assert caught.value.retry_after == expected


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, b"Internal Server Error", TransientError),
        (503, {"status": "error"}, TransientError),
        (401, {"status": "error", "code": 102, "message": "API Key not valid."}, PermanentError),
        (200, {"status": "error", "code": 102, "message": "API Key not valid."}, PermanentError),
        (403, b"", PermanentError),
    ],
)
def test_request_failures_raise(status: int, body: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        records.parse_post_response(raw(status, body), [Network.FACEBOOK])


def test_unknown_request_level_code_passes_on_ayrshare_s_message() -> None:
    answer = raw(400, {"status": "error", "code": 999, "message": "Something odd happened."})
    with pytest.raises(PermanentError) as caught:
        records.parse_post_response(answer, [Network.FACEBOOK])
    assert (
        caught.value.reason
        == "Ayrshare refused the post (HTTP 400): Something odd happened (code 999)."
    )


@pytest.mark.parametrize(
    ("code", "kind", "fragment", "reconnect"),
    [
        (156, OutcomeKind.FAILED, "isn't linked", True),
        (161, OutcomeKind.FAILED, "authorization", True),
        (272, OutcomeKind.FAILED, "authorization", True),
        (106, OutcomeKind.FAILED, "quota", False),
        (107, OutcomeKind.FAILED, "duplicate", False),
        (110, OutcomeKind.FAILED, "duplicate", False),
        (137, OutcomeKind.FAILED, "duplicate", False),
        (132, OutcomeKind.FAILED, "too long", False),
        (136, OutcomeKind.FAILED, "not public", False),
        (182, OutcomeKind.FAILED, "requirements", False),
        (435, OutcomeKind.FAILED, "24 hours", False),
        (436, OutcomeKind.RETRY, "process", False),
        (138, OutcomeKind.FAILED, "Some Instagram error (code 138)", False),
    ],
)
def test_error_codes_are_explained(
    code: int, kind: OutcomeKind, fragment: str, reconnect: bool
) -> None:
    got_kind, reason, got_reconnect = refusals.explain(
        code, "Some Instagram error.", Network.INSTAGRAM
    )
    assert (got_kind, got_reconnect) == (kind, reconnect)
    assert fragment in reason


# --- records, history, timestamps, users -----------------------------------------------------


def test_parse_timestamp_accepts_iso_and_firestore_shapes() -> None:
    expected = datetime(2026, 4, 14, 9, 35, tzinfo=UTC)
    assert records.parse_timestamp("2026-04-14T09:35:00Z") == expected
    assert records.parse_timestamp("2026-04-14T09:35:00.000Z") == expected
    assert records.parse_timestamp("2026-04-14T11:35:00+02:00") == expected
    firestore = {"_seconds": 1776159300, "_nanoseconds": 250000000}
    assert records.parse_timestamp(firestore) == expected.replace(microsecond=250000)
    assert records.parse_timestamp("yesterday") is None
    assert records.parse_timestamp({"_seconds": "soon"}) is None
    assert records.parse_timestamp(None) is None


def test_history_match_by_text_platforms_and_time_when_items_carry_no_key() -> None:
    items = records.parse_history(payload("history.json"))
    found = records.find_in_history(
        items,
        idempotency_key="pr-1-abc",
        text="Fresh sourdough is out of the oven!",
        platforms=["instagram", "youtube"],
        since=SINCE,
    )
    assert found is not None
    assert found["id"] == "RhrbDtYh7hdSMc67zC8H"  # not the older item with the same text


def test_history_match_reads_firestore_timestamps() -> None:
    items = records.parse_history(payload("history.json"))
    common = {"idempotency_key": "k", "text": "Fresh sourdough is out of the oven!"}
    found = records.find_in_history(items, platforms=["tiktok", "facebook"], since=SINCE, **common)
    assert found is not None
    assert found["id"] == "Hq1w2e3r4t5y6u7i8o9p"
    later = datetime(2026, 4, 14, 9, 36, tzinfo=UTC)
    assert (
        records.find_in_history(items, platforms=["tiktok", "facebook"], since=later, **common)
        is None
    )


def test_history_match_prefers_the_idempotency_key() -> None:
    items = [
        {
            "id": "a",
            "post": "Hi",
            "platforms": ["x"],
            "idempotencyKey": "other",
            "created": "2026-04-14T09:40:00Z",
        },
        {"id": "b", "post": "Different text", "platforms": ["facebook"], "idempotencyKey": "mine"},
    ]
    found = records.find_in_history(
        items, idempotency_key="mine", text="Hi", platforms=["x"], since=SINCE
    )
    assert found is not None
    assert found["id"] == "b"
    nothing = records.find_in_history(
        items, idempotency_key="absent", text="Hi", platforms=["x"], since=SINCE
    )
    assert nothing is None  # "a" carries another key, so the text match doesn't count


def test_record_outcomes_are_final_for_errors_and_unknown_while_processing() -> None:
    record = records.parse_history(payload("history.json"))[0]
    found = records.outcomes_from_record(record, [Network.FACEBOOK, Network.TIKTOK])
    assert found[Network.FACEBOOK].kind is OutcomeKind.FAILED
    assert found[Network.FACEBOOK].reconnect is True
    tiktok = found[Network.TIKTOK]
    assert tiktok.kind is OutcomeKind.PUBLISHED
    assert (tiktok.url, tiktok.external_id) == (None, None)  # TikTok still processing
    processing = {"id": "p", "status": "processing", "postIds": [], "errors": []}
    assert (
        records.outcomes_from_record(processing, [Network.X])[Network.X].kind
        is OutcomeKind.UNKNOWN
    )
    deleted = {"id": "d", "status": "deleted"}
    assert records.outcomes_from_record(deleted, [Network.X])[Network.X].kind is OutcomeKind.FAILED


def test_a_looked_up_retryable_error_is_final() -> None:
    record = {"id": "r", "status": "error", "errors": [{"code": 436, "platform": "instagram"}]}
    found = records.outcomes_from_record(record, [Network.INSTAGRAM])
    assert found[Network.INSTAGRAM].kind is OutcomeKind.FAILED


def test_user_lists_active_accounts_with_display_names() -> None:
    linked = records.parse_user(payload("user.json"))
    assert linked == {
        "instagram": "Ada's Bakery",
        "twitter": "adasbakery",
        "bluesky": "Ada on Bluesky",
    }


def test_user_without_active_accounts_has_none_linked() -> None:
    data = payload("user.json")
    del data["activeSocialAccounts"]
    assert records.parse_user(data) == {}


def test_user_links_carry_refresh_days_in_each_shape() -> None:
    data = payload("user.json")
    data["displayNames"][0]["refreshDaysRemaining"] = "12"  # digits as text
    data["displayNames"][2]["refreshRequired"] = "2026-05-01T00:00:00Z"
    links = records.parse_links(data)
    assert links["instagram"] == records.UserLink("Ada's Bakery", 12, None)
    assert links["twitter"] == records.UserLink("adasbakery", 40, None)  # a number
    assert links["bluesky"].refresh_by == datetime(2026, 5, 1, tzinfo=UTC)
    data["displayNames"][1]["refreshDaysRemaining"] = -3  # past due: nothing left
    assert records.parse_links(data)["twitter"].refresh_days == 0
    del data["displayNames"]  # listed as active without details: linked, nothing known
    assert records.parse_links(data) == dict.fromkeys(
        ["instagram", "twitter", "bluesky"], records.UserLink()
    )


def test_profile_and_jwt_answers() -> None:
    assert records.parse_profile({"status": "success", "refId": "r1", "profileKey": "K-1"}) == (
        "r1",
        "K-1",
    )
    with pytest.raises(PermanentError):
        records.parse_profile({"status": "success", "refId": "r1"})
    url = "https://profile.ayrshare.com?domain=acme&jwt=abc"
    assert records.parse_jwt_url({"status": "success", "url": url}) == url
    with pytest.raises(TransientError):
        records.parse_jwt_url({"status": "success"})


def test_post_record_of_a_failed_post_is_an_answer_not_an_error() -> None:
    record = {"id": "r1", "status": "error", "errors": [{"code": 156, "platform": "tiktok"}]}
    assert records.parse_post_record(raw(200, record)) == record
    assert records.parse_post_record(raw(404, {"status": "error", "message": "Not found"})) is None
    with pytest.raises(TransientError):
        records.parse_post_record(raw(503, b""))
    with pytest.raises(PermanentError, match="API key"):
        records.parse_post_record(raw(401, {"status": "error", "code": 102}))


def test_check_returns_json_or_raises() -> None:
    assert refusals.check(raw(200, {"status": "success", "x": 1}), "reading")["x"] == 1
    with pytest.raises(TransientError, match="unreadable"):
        refusals.check(raw(200, b"oops"), "reading")
    with pytest.raises(PermanentError, match="Post not found"):
        refusals.check(raw(404, {"status": "error", "message": "Post not found."}), "reading")


def test_social_webhook_bodies_in_each_shape() -> None:
    from adapters.ayrshare import webhook
    from core.lifecycle_ports import LinkEvent, LinkEventKind

    def body(**fields: object) -> bytes:
        return json.dumps({"action": "social", "refId": "r1"} | fields).encode()

    unlink = body(type="unlink", platform="linkedin", source="system")
    assert webhook.parse_social(unlink) == LinkEvent(
        "r1", Network.LINKEDIN, LinkEventKind.UNLINK, by_system=True
    )
    named = body(type="link", platform="twitter", details={"displayName": "ada"})
    assert webhook.parse_social(named) == LinkEvent(
        "r1", Network.X, LinkEventKind.LINK, False, "ada"
    )
    stamp = {"_seconds": 1767225600, "_nanoseconds": 0}
    refresh = webhook.parse_social(body(type="refresh", platform="linkedin", refreshBy=stamp))
    assert refresh is not None and refresh.renew_by == datetime(2026, 1, 1, tzinfo=UTC)
    for ignored in (
        body(type="rename", platform="linkedin"),  # a type we do not know
        body(type="unlink", platform="gmb"),  # a network Postroom does not publish to
        json.dumps({"action": "social", "type": "unlink", "platform": "linkedin"}).encode(),
        json.dumps({"action": "feed", "refId": "r1"}).encode(),
    ):
        assert webhook.parse_social(ignored) is None
    for junk in (b"[]", b"", b"\x00"):
        with pytest.raises(ValueError):
            webhook.parse_social(junk)
    assert webhook.delivery_key(unlink) == webhook.delivery_key(bytes(unlink))
    assert webhook.delivery_key(unlink) != webhook.delivery_key(named) >= 0
