"""Retention through the real wiring on SQLite and PostgreSQL, on an injected clock: served
media deleted a set time after its post finished, snapshots thinned after 14 days."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.db.retention import SqlRetentionStore
from bot.bootstrap import Services
from bot.media import FileMediaHost
from core.metrics import Metric, Snapshot
from core.model import MessageRef
from core.ports import UnitOfWorkFactory
from core.retention import Retention, RetentionPolicy, RetentionStore
from tests.e2e.conftest import BuildServices
from tests.e2e.test_ayrshare_flow import actor, button, pro_profile, say
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock

DAY = timedelta(days=1)


async def _stored(host: FileMediaHost, clock: FixedClock, name: str) -> tuple[str, Path]:
    url = await host.host(b"\xff\xd8 not much of a jpeg", filename=name, mime="image/jpeg")
    path = host.directory / url.rsplit("/", 1)[1]
    _touch(path, clock.now())
    return url, path


def _touch(path: Path, when: datetime) -> None:
    """The file's time on the injected clock (the filesystem only knows the real one)."""
    os.utime(path, (when.timestamp(), when.timestamp()))


async def _publish(services: Services, text: str) -> None:
    composer = await say(services, text)
    message = MessageRef(actor().chat, "1")
    await services.postroom.handle_tap(actor(), button(composer, "Publish now"), message)
    await services.pipeline.run_until_idle()


async def test_media_goes_a_set_time_after_its_post_finished(
    make_services: BuildServices, clock: FixedClock
) -> None:
    fake = FakeAyrshare()
    services = await make_services(fake, public_url="https://bot.example")
    host = services.media_host
    assert isinstance(host, FileMediaHost) and services.retention is not None
    await pro_profile(services, fake, "facebook", "instagram")
    published, published_file = await _stored(host, clock, "published.jpg")
    failed, failed_file = await _stored(host, clock, "failed.jpg")
    scheduled, scheduled_file = await _stored(host, clock, "scheduled.jpg")
    draft, draft_file = await _stored(host, clock, "draft.jpg")
    _, orphan_file = await _stored(host, clock, "discarded.jpg")  # a draft thrown away

    await _publish(services, f"/post Out now media: {published}")
    fake.fail_platform("facebook", 110, "Status is a duplicate.")
    fake.fail_platform("instagram", 110, "Status is a duplicate.")
    await _publish(services, f"/post Refused media: {failed}")
    await say(services, f"/post Next month media: {scheduled}")
    await say(services, "/schedule in 20d")
    await say(services, f"/post Still thinking media: {draft}")
    async with services.uow() as uow:
        posts, _ = await uow.posts.list_for_profile(1, offset=0, limit=10)
    states = sorted(p.state.value for p in posts)
    assert states == ["draft", "failed", "published", "scheduled"]

    clock.advance(6 * DAY)  # within the 7 days: nothing goes
    assert (await services.retention.run()).media_removed == 0
    clock.advance(2 * DAY)
    _, fresh_file = await _stored(host, clock, "just-sent.jpg")  # an album's first photo
    report = await services.retention.run()
    assert report.media_removed == 3
    assert not published_file.exists() and not failed_file.exists()
    assert not orphan_file.exists()
    # Still needed: the scheduled post's, the draft's, and one stored a moment ago.
    assert scheduled_file.exists() and draft_file.exists() and fresh_file.exists()

    # Once the scheduled post has gone out, its media goes 7 days later.
    fake.platform_errors.clear()
    clock.advance(12 * DAY + timedelta(minutes=1))  # it falls due (scheduled "in 20d")
    await services.pipeline.run_until_idle()
    async with services.uow() as uow:
        (sent,) = [
            p
            for p in (await uow.posts.list_for_profile(1, offset=0, limit=9))[0]
            if p.text == "Next month"
        ]
    assert sent.state.value == "published"
    assert (await services.retention.run()).media_removed == 1  # the photo no post took
    assert scheduled_file.exists() and not fresh_file.exists()
    clock.advance(8 * DAY)
    await services.retention.run()
    assert not scheduled_file.exists() and draft_file.exists()


async def _hourly_snapshots(
    uow_factory: UnitOfWorkFactory, start: datetime, item_id: int, days: int
) -> None:
    for hour in range(days * 24):
        async with uow_factory() as uow:
            await uow.analytics.record(
                item_id,
                {Metric.VIEWS: 10 * hour},
                taken_at=start + timedelta(hours=hour),
                next_sync_at=None,
            )
            await uow.commit()


async def _snapshots(uow_factory: UnitOfWorkFactory, item_id: int) -> list[Snapshot]:
    async with uow_factory() as uow:
        found = await uow.analytics.snapshots(
            [item_id], since=datetime(2000, 1, 1, tzinfo=UTC), until=FAR
        )
    return list(found)


START = datetime(2026, 11, 24, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)


async def _check_thinning(
    uow_factory: UnitOfWorkFactory, store: RetentionStore, item_id: int, clock: FixedClock
) -> None:
    clock.set(START)
    await _hourly_snapshots(uow_factory, START, item_id, days=20)
    clock.set(START + 20 * DAY)
    retention = Retention(store, clock, RetentionPolicy())
    report = await retention.run()
    cutoff = START + 6 * DAY  # 14 days before "now"
    snapshots = await _snapshots(uow_factory, item_id)
    old = [s for s in snapshots if s.taken_at < cutoff]
    recent = [s for s in snapshots if s.taken_at >= cutoff]
    # The last snapshot of each of the first 6 days (23:00), every hourly one since.
    assert [s.taken_at for s in old] == [START + d * DAY + timedelta(hours=23) for d in range(6)]
    assert [s.values[Metric.VIEWS] for s in old] == [10 * (d * 24 + 23) for d in range(6)]
    assert len(recent) == 14 * 24
    assert report.snapshots_removed == 6 * 23
    # A second pass finds nothing more to do.
    assert (await retention.run()).snapshots_removed == 0


async def test_snapshots_are_kept_hourly_for_14_days_then_daily(
    make_services: BuildServices, clock: FixedClock
) -> None:
    fake = FakeAyrshare()
    services = await make_services(fake)
    await pro_profile(services, fake, "facebook")
    await _publish(services, "/post Measured")
    async with services.uow() as uow:
        assert await uow.analytics.adopt_published(clock.now(), limit=10) == 1
        await uow.commit()
        (item,) = await uow.analytics.items(1)
    await _check_thinning(services.uow, SqlRetentionStore(services.engine), item.id, clock)
