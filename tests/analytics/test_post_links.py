"""Post links read down to the network's post id: every form of one post's link is one post."""

from __future__ import annotations

import pytest

from core.analytics.post_links import native_key, parse_link
from core.model import Network

SAME_POST = [
    # YouTube: watch?v=, youtu.be, shorts, live, embed, m. and www., si/t/feature, fragments.
    (
        Network.YOUTUBE,
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        [
            "https://youtu.be/dQw4w9WgXcQ?si=Ab12Cd34Ef56Gh78",
            "https://youtu.be/dQw4w9WgXcQ?t=10",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=10s&feature=share",
            "https://www.youtube.com/watch?feature=shared&v=dQw4w9WgXcQ#t=10",
            "https://youtube.com/shorts/dQw4w9WgXcQ?si=xyz",
            "https://www.youtube.com/live/dQw4w9WgXcQ",
            "https://www.youtube.com/embed/dQw4w9WgXcQ",
            "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RD",
        ],
    ),
    # TikTok: the web link, the mobile one, with share parameters.
    (
        Network.TIKTOK,
        "https://www.tiktok.com/@ana/video/7311234567890123456",
        [
            "https://www.tiktok.com/@ana/video/7311234567890123456?is_from_webapp=1&sender_device=pc",
            "https://m.tiktok.com/v/7311234567890123456.html",
            "https://www.tiktok.com/@ana/video/7311234567890123456/#comments",
        ],
    ),
    # X: twitter.com and x.com, mobile., /i/web/, photo suffixes, ids of 19 digits and more.
    (
        Network.X,
        "https://x.com/ana/status/1790000000000000001",
        [
            "https://twitter.com/ana/status/1790000000000000001?s=20",
            "https://mobile.twitter.com/ana/status/1790000000000000001",
            "https://x.com/i/web/status/1790000000000000001",
            "https://x.com/ana/status/1790000000000000001/photo/1",
        ],
    ),
    (
        Network.X,
        "https://x.com/ana/status/123456789012345678901234",
        ["https://twitter.com/ana/statuses/123456789012345678901234"],
    ),
    # Instagram: /p/, /reel/, with a user name in the path, instagr.am, igsh parameters.
    (
        Network.INSTAGRAM,
        "https://www.instagram.com/p/C4xYz12AbCd/",
        [
            "https://instagram.com/p/C4xYz12AbCd?igsh=MWQ1ZGUxMzBkMA==",
            "https://www.instagram.com/reel/C4xYz12AbCd/?utm_source=ig_web_copy_link",
            "https://www.instagram.com/ana.bakes/p/C4xYz12AbCd/",
            "https://instagr.am/p/C4xYz12AbCd/",
        ],
    ),
    # Facebook: /posts/, permalink.php, m., and the Graph API's "<page>_<post>" path.
    (
        Network.FACEBOOK,
        "https://www.facebook.com/anasbakery/posts/1234567890123456",
        [
            "https://m.facebook.com/story.php?story_fbid=1234567890123456&id=100064",
            "https://www.facebook.com/permalink.php?story_fbid=1234567890123456&id=100064",
            "https://www.facebook.com/100064_1234567890123456",
        ],
    ),
    (
        Network.FACEBOOK,
        "https://www.facebook.com/watch/?v=987654321098765",
        [
            "https://www.facebook.com/anasbakery/videos/987654321098765/",
            "https://www.facebook.com/anasbakery/videos/fresh-bread/987654321098765/",
            "https://www.facebook.com/reel/987654321098765",
        ],
    ),
    # LinkedIn: the feed URN link (plain and escaped) and the /posts/ slug with its id.
    (
        Network.LINKEDIN,
        "https://www.linkedin.com/feed/update/urn:li:activity:7123456789012345678/",
        [
            "https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7123456789012345678",
            "https://www.linkedin.com/posts/ana-bakes_sourdough-activity-7123456789012345678-AbCd?utm_source=share",
        ],
    ),
]


@pytest.mark.parametrize(("network", "first", "others"), SAME_POST)
def test_every_form_of_a_posts_link_is_the_same_post(
    network: Network, first: str, others: list[str]
) -> None:
    link = parse_link(first)
    assert link is not None and link.network is network and link.key is not None
    for other in others:
        again = parse_link(other)
        assert again is not None, other
        assert (again.network, again.key) == (network, link.key), other
        if network not in (Network.TIKTOK, Network.FACEBOOK):  # one link form per post
            assert again.url == link.url, other
        assert "?si=" not in again.url and "#" not in again.url and "utm" not in again.url


def test_different_posts_stay_apart_and_odd_links_keep_their_path() -> None:
    keys = {
        parse_link(url).key  # type: ignore[union-attr]
        for url in (
            "https://youtu.be/dQw4w9WgXcQ",
            "https://youtu.be/9bZkp7q19f0",
            "https://x.com/ana/status/1790000000000000001",
            "https://x.com/ana/status/1790000000000000002",
        )
    }
    assert len(keys) == 4
    short = parse_link("https://vm.tiktok.com/ZMabc123/?utm=1#x")
    assert short is not None and short.key is None  # only TikTok can resolve a short link
    assert short.url == "https://vm.tiktok.com/ZMabc123"
    fb = parse_link("https://www.facebook.com/permalink.php?story_fbid=123456&id=99&mibextid=x")
    assert fb is not None
    assert fb.url == "https://www.facebook.com/permalink.php?story_fbid=123456&id=99"
    assert parse_link("https://example.com/watch?v=dQw4w9WgXcQ") is None
    assert parse_link("https://notyoutube.com/watch?v=dQw4w9WgXcQ") is None


def test_ids_a_network_gave_on_publishing_meet_the_links() -> None:
    urn = "urn:li:share:7012345678901234567"
    assert (
        native_key(Network.LINKEDIN, urn)
        == parse_link(f"https://www.linkedin.com/feed/update/{urn}").key
    )  # type: ignore[union-attr]
    assert native_key(Network.FACEBOOK, "100064_1234567890123456") == "facebook:1234567890123456"
    assert native_key(Network.YOUTUBE, "dQw4w9WgXcQ") == "youtube:dQw4w9WgXcQ"
    assert parse_link("https://youtu.be/dQw4w9WgXcQ").fetch_id == "dQw4w9WgXcQ"  # type: ignore[union-attr]
    # Instagram shortcodes are not the media ids Ayrshare looks posts up by.
    assert parse_link("https://www.instagram.com/p/C4xYz12AbCd/").fetch_id is None  # type: ignore[union-attr]
