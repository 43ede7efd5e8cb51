"""Composition root: builds every part from the config and runs them.

No other module reads the config or creates long-lived objects; everything is passed down.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo
from importlib.metadata import PackageNotFoundError, version

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import LotseConfig
from bot.encryption import KeyRequests, TrustPolicy, Undecryptable, bootstrap, cross_signing_for
from bot.delivery import Delivery
from bot.events import EventHandler, InvitePolicy, RoomDirectory
from bot.matrix import HomeserverUnavailable, MatrixClient, MatrixError
from bot.sync import SyncLoop, backoff_delay
from commands import build_registry
from commands.features import directory as directory_jobs
from commands.context import BotStatus, DirectoryPolicy, Outgoing, Services
from commands.features.core import HANDLED_EVENT_RETENTION_DAYS
from commands.features.digest import DigestBatch
from commands.dispatcher import AccessPolicy, Dispatcher, FloodGuard
from commands.posts import render_post
from bot.matrix import transaction_id
from bot.scheduling import Planner
from bot.config import WEEKDAY_CODES
from knowledge.dates import next_occurrence
from knowledge.directory.model import RoleStatus
from knowledge.publishing.digest import DigestTarget, digest_firings
from knowledge.meetings.model import Firing
from knowledge.meetings.minutes import Minutes
from knowledge.directory.service import DirectoryService
from knowledge.register.service import KnowledgeBase
from knowledge.storage import (
    AuditRepository,
    BotStateRepository,
    Database,
    DirectoryRepository,
    MeetingRepository,
    PreferenceRepository,
    RegisterRepository,
)
from knowledge.directory.synonyms import SynonymTable
from knowledge.values import Destination, Scope

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat"
FINISHED_RETENTION_DAYS = 365  # task, reminder and delivery state after completion (DOMAIN.md §6)
LEFT_RETENTION_DAYS = 90  # personal fields of people who left
MENTION_RETENTION_DAYS = 90  # which of Lotse's messages named whom (for redaction on request)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def next_local_time(now: datetime, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The next moment after `now` at hour:minute wall-clock time (a time skipped by the
    clock change moves forward, as for every series in knowledge.dates)."""
    # With tzinfo=zone attached directly, the wall-clock value is kept as it is.
    series_start = datetime.combine(now.astimezone(zone).date() - timedelta(days=1), time(hour, minute), tzinfo=zone)
    found = next_occurrence(series_start, "FREQ=DAILY", zone, now)
    if found is None:
        raise RuntimeError("no next local time found")
    return found


def lotse_version() -> str:
    try:
        return version("lotse")
    except PackageNotFoundError:
        return "0.0.0+unknown"


class Lotse:
    """One running bot. `start()` connects, `run()` syncs until `stop` is set, `close()` tidies up."""

    def __init__(self, config: LotseConfig, clock: Callable[[], datetime] = utcnow):
        self.config = config
        self.clock = clock
        self.started_at = clock()
        self.db = Database(config.database_url)
        self.state = BotStateRepository(self.db)
        self.preferences = PreferenceRepository(self.db)
        self.knowledge = KnowledgeBase(RegisterRepository(self.db))
        self.directory = DirectoryService(
            DirectoryRepository(self.db),
            SynonymTable.load(*config.directory.synonyms),
            {hf.id: hf.topics for hf in config.network.handlungsfelder},
        )
        self.meetings = MeetingRepository(self.db)
        self.audit = AuditRepository(self.db)
        self.minutes = Minutes(self.meetings)
        settings = config.directory
        self.directory_policy = DirectoryPolicy(
            reconfirm_days=settings.reconfirm_months * 365 // 12,
            unconfirmed_after_days=settings.unconfirmed_after_days,
            funding_warning_days=settings.funding_warning_weeks * 7,
            question_retention_days=settings.question_retention_days,
        )
        self.client = MatrixClient(
            config.matrix.homeserver, config.matrix.user_id, config.matrix.device_name, config.storage.data_dir
        )
        self.rooms = RoomDirectory()
        self.delivery = Delivery(self.client, self.state, self.rooms)
        self.registry = build_registry()
        access = config.access
        self.dispatcher = Dispatcher(
            self.registry,
            Services(
                preferences=self.preferences,
                status=self.status,
                timezone=config.bot.timezone,
                privacy_contact=config.network.privacy_contact,
                knowledge=self.knowledge,
                scopes_of=lambda user_id: self.events.scopes_of(user_id),
                handlungsfelder={hf.id: {"de": hf.name_de, "en": hf.name_en} for hf in config.network.handlungsfelder},
                directory=self.directory,
                directory_policy=self.directory_policy,
                deliver=self.deliver,
                digest_post_empty=config.digests.post_empty,
                default_language=config.bot.default_language,
                meetings=self.meetings,
                minutes=self.minutes,
                schedule_changed=self.schedule_changed,
                minutes_approval=config.meetings.minutes_approval,
                network_name=config.network.name,
                digest_batch=DigestBatch(),
                audit=self.audit,
                redact_mentions=self.redact_mentions,
                count_mentions=self.count_mentions,
            ),
            prefix=config.bot.command_prefix,
            default_lang=config.bot.default_language,
            access=AccessPolicy(
                admins=frozenset(access.admins),
                coordinators=frozenset(access.coordinators) | frozenset(access.admins),
                room_coordinators={hf.id: frozenset(hf.coordinators) for hf in config.network.handlungsfelder},
            ),
            clock=clock,
            bot_names=("Lotse", config.matrix.user_id.split(":")[0].lstrip("@")),
            flood=FloodGuard(config.bot.flood_limit, config.bot.flood_window_seconds),
        )
        own_server = config.matrix.user_id.partition(":")[2]
        self.events = EventHandler(
            self.client,
            self.state,
            self.dispatcher,
            self.rooms,
            InvitePolicy(
                allowed_servers=frozenset(access.allowed_servers or (own_server,)),
                allowed_users=frozenset(access.allowed_users) | frozenset(access.coordinators) | frozenset(access.admins),
            ),
            clock,
            timedelta(minutes=config.bot.catch_up_minutes),
            config.bot.default_language,
            self.knowledge,
            on_departure=self._on_departure,
            minutes=self.minutes,
            server_clock=utcnow,
        )
        encryption = config.encryption
        self.trust = TrustPolicy(self.client, encryption.trust)
        self.client.before_encrypted_send = self.trust.apply
        self.key_requests = KeyRequests(self.client, self.trust)
        self.events.undecryptable = Undecryptable(
            self.client, self.state, encryption.undecryptable_wait_seconds, self.events.tell_undecryptable
        )
        self.sync = SyncLoop(
            self.client, self.state, self._on_sync, clock, heartbeat=config.storage.data_dir / HEARTBEAT_FILE
        )
        self.scheduler = AsyncIOScheduler(timezone=config.bot.timezone)
        self.planner = Planner(
            self.meetings, self.state, self.scheduler, self._fire, clock, ZoneInfo(config.bot.timezone),
            grace=timedelta(seconds=config.meetings.late_after_seconds),
            extra=self._digest_firings,
        )

    async def _on_sync(self, response, first_start: bool) -> None:
        self.trust.forget(response.device_list.changed)
        await self.events.on_sync(response, first_start)
        await self.key_requests.handle(list(response.to_device_events))

    async def status(self) -> BotStatus:
        return BotStatus(
            version=lotse_version(),
            started_at=self.started_at,
            rooms=len(self.client.nio.rooms),
            database={"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(self.db.backend, self.db.backend),
            last_sync=self.sync.last_sync,
        )

    async def start(self, stop: asyncio.Event) -> bool:
        """Open the database, log in (retrying while the homeserver is down), join the configured
        rooms. False if `stop` was set before the homeserver answered."""
        await self.db.open()
        await self.knowledge.load()
        await self.directory.load()
        await self.minutes.load()
        password = self.config.secret(self.config.matrix.password_env)
        token = self.config.secret(self.config.matrix.access_token_env)
        failures = 0
        while not stop.is_set():
            try:
                await self.client.login(password, token)
                break
            except HomeserverUnavailable as exc:
                failures += 1
                delay = backoff_delay(failures)
                log.warning("homeserver not reachable (%s); retrying in %.1f s", exc, delay)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                except asyncio.TimeoutError:
                    pass
        else:
            return False
        await self._set_up_encryption(password)
        await self._join_configured_rooms()
        self.scheduler.add_job(self.housekeeping, "interval", hours=6, id="housekeeping", next_run_time=self.clock())
        self._schedule_directory_check()
        self.scheduler.start()
        return True

    async def _set_up_encryption(self, password: str | None) -> None:
        """Publish the device keys and make sure the device is cross-signed (problems are logged;
        Lotse still works, but clients that require cross-signing will not read it)."""
        await self.client.upload_device_keys()
        if self.config.encryption.cross_signing:
            await bootstrap(cross_signing_for(self.client, self.config.encryption, self.config.secret, password))

    async def _join_configured_rooms(self) -> None:
        network = self.config.network
        targets = [(network.coordination_room, None)] + [(hf.room, hf.id) for hf in network.handlungsfelder]
        for ref, hf_id in targets:
            try:
                room_id = await self.client.join(ref)
            except (MatrixError, HomeserverUnavailable) as exc:
                log.warning("could not join configured room %s: %s", ref, exc)
                continue
            if hf_id is None:
                self.rooms.coordination.add(room_id)
            else:
                self.rooms.handlungsfelder[room_id] = hf_id

    async def housekeeping(self) -> None:
        now = self.clock()
        removed = await self.state.prune_handled(now - timedelta(days=HANDLED_EVENT_RETENTION_DAYS))
        log.info("housekeeping: removed %d handled-event records older than %d days", removed, HANDLED_EVENT_RETENTION_DAYS)
        questions = await self.directory.repository.prune_questions(now - timedelta(days=self.directory_policy.question_retention_days))
        log.info("housekeeping: removed %d unanswered questions past retention", questions)
        finished = await self.meetings.prune_finished(now - timedelta(days=FINISHED_RETENTION_DAYS))
        log.info("housekeeping: removed %d finished action items, past reminders and delivery records", finished)
        audit = await self.audit.prune(now - timedelta(days=FINISHED_RETENTION_DAYS))
        log.info("housekeeping: removed %d audit entries older than a year", audit)
        mentions = await self.state.prune_mentions(now - timedelta(days=MENTION_RETENTION_DAYS))
        log.info("housekeeping: removed %d records of messages that named a person", mentions)
        cleared = 0
        for role in self.directory.all():
            if role.status is RoleStatus.LEFT and (role.person or role.matrix_id):
                left_at = [at for at, _by, _action, _before, after in await self.directory.repository.history(role.id)
                           if after.get("status") == RoleStatus.LEFT.value]
                if not left_at or min(left_at) < now - timedelta(days=LEFT_RETENTION_DAYS):
                    await self.directory.update(role.id, "lotse", now, "retention", person=None, matrix_id=None)
                    cleared += 1
        log.info("housekeeping: removed the personal fields of %d roles whose holders left", cleared)

    def _schedule_directory_check(self) -> None:
        """Daily at the configured local time, computed on wall-clock time (no CronTrigger)."""
        hour, minute = (int(x) for x in self.config.directory.check_time.split(":"))
        zone = ZoneInfo(self.config.bot.timezone)
        now = self.clock()
        next_run = next_local_time(now, hour, minute, zone)
        self.scheduler.add_job(self._daily_directory_check, "date", run_date=datetime.now(timezone.utc) + (next_run - now),
                               id="directory", replace_existing=True, misfire_grace_time=6 * 3600)

    async def _daily_directory_check(self) -> None:
        try:
            await self.keep_directory()
        finally:
            self._schedule_directory_check()

    async def keep_directory(self) -> None:
        """Re-confirmation requests, unconfirmed marks and funding reminders (once a day)."""
        services = self.dispatcher.services
        now = self.clock()
        for outgoing in await directory_jobs.confirmation_round(services, now) + await directory_jobs.funding_round(services, now):
            await self.delivery.send_safely(outgoing)

    async def count_mentions(self, user_id: str) -> int:
        return len(await self.state.mentions_of(user_id))

    async def redact_mentions(self, user_id: str) -> int:
        """Redact Lotse's own messages that named the user (on their request)."""
        done = 0
        for room_id, event_id in await self.state.mentions_of(user_id):
            try:
                await self.client.redact(room_id, event_id, "Auf Wunsch der genannten Person gelöscht", transaction_id(event_id, "redact"))
                done += 1
            except MatrixError as exc:
                log.warning("could not redact %s: %s", event_id, exc.errcode)
            await self.state.forget_mention(event_id)
        return done

    async def schedule_changed(self) -> None:
        if self.scheduler.running:
            await self.planner.plan()

    async def _digest_firings(self, after: datetime, before: datetime) -> list[Firing]:
        """Weekly digests: one per Handlungsfeld room, the network roll-up, one per subscriber."""
        settings = self.config.digests
        default = settings.schedule
        targets = []
        for hf in self.config.network.handlungsfelder:
            schedule = hf.digest or default
            if schedule.enabled:
                targets.append(DigestTarget(Destination.of_scope(Scope.handlungsfeld(hf.id)), WEEKDAY_CODES[schedule.weekday],
                                            schedule.time))
        if default.enabled:
            if settings.network_rollup:
                targets.append(DigestTarget(Destination.coordination(), WEEKDAY_CODES[default.weekday], default.time))
            for user_id, lang in await self.preferences.digest_subscribers():
                targets.append(DigestTarget(Destination.direct(user_id), WEEKDAY_CODES[default.weekday], default.time, lang))
        return digest_firings(targets, ZoneInfo(self.config.bot.timezone), after, before)

    async def _fire(self, firing: Firing, late: bool) -> None:
        outgoing = await render_post(self.dispatcher.services, firing, late)
        if outgoing is not None:
            await self.delivery.send(outgoing)

    async def _on_departure(self, user_id: str, key: str) -> None:
        notice = directory_jobs.departure_notice(self.dispatcher.services, user_id, key)
        if notice:
            await self.delivery.send_safely(notice)

    async def deliver(self, outgoing: Outgoing) -> None:
        await self.delivery.send(outgoing)

    async def run(self, stop: asyncio.Event) -> None:
        """Sync until `stop`; scheduled posts start once the first sync made the rooms known."""
        planner = asyncio.create_task(self._start_planner())
        try:
            await self.sync.run(stop)
        finally:
            planner.cancel()

    async def _start_planner(self) -> None:
        await self.sync.ready.wait()
        try:
            await self.planner.start()
        except Exception:
            log.exception("could not plan scheduled posts; retrying in a minute")
            self.planner.retry_soon()

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.client.close()
        await self.db.close()


async def serve(config: LotseConfig, stop: asyncio.Event, clock: Callable[[], datetime] = utcnow) -> None:
    """Run Lotse until `stop` is set."""
    app = Lotse(config, clock)
    try:
        if await app.start(stop):
            await app.run(stop)
    finally:
        await app.close()
