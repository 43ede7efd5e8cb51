"""Composition root: builds every part from the config and runs them — wiring only.

No other module reads the config or creates long-lived objects; everything is passed down.
What Lotse does lives elsewhere: retention and directory keeping in knowledge.upkeep,
which digests exist in knowledge.publishing.digest, where a message goes in bot.delivery,
what a scheduled post says in commands.posts, when it is due in bot.scheduling.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from importlib.metadata import PackageNotFoundError, version
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import WEEKDAY_CODES, LotseConfig
from bot.delivery import Delivery
from bot.encryption import KeyRequests, TrustPolicy, Undecryptable, bootstrap, cross_signing_for
from bot.events import EventHandler, InvitePolicy, RoomDirectory
from bot.matrix import HomeserverUnavailable, MatrixClient, MatrixError
from bot.scheduling import Planner, schedule_daily
from bot.sync import SyncLoop, backoff_delay
from commands import build_registry
from commands.context import BotPort, BotStatus, NetworkInfo, Outgoing, Services
from commands.dispatcher import AccessPolicy, Dispatcher, FloodGuard
from commands.features import directory as directory_posts
from commands.i18n import t
from commands.posts import render_post
from commands.registry import CommandWords
from knowledge.directory.service import DirectoryService
from knowledge.directory.synonyms import SynonymTable
from knowledge.meetings.minutes import MinutesService
from knowledge.meetings.model import Firing
from knowledge.meetings.service import MeetingService
from knowledge.preferences import Preferences
from knowledge.privacy import PrivacyService
from knowledge.publishing.digest import DigestPlan, DigestService, DigestTarget
from knowledge.register.service import RegisterService
from knowledge.storage import (
    AuditRepository,
    BotStateRepository,
    Database,
    DirectoryRepository,
    MeetingRepository,
    PreferenceRepository,
    RegisterRepository,
)
from knowledge.upkeep import DirectoryPolicy, RetentionPolicy, housekeeping
from knowledge.values import Destination, Scope

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat"
# A directory message that could not be delivered is tried again within the round (after two
# syncs, or these pauses when not syncing), then by another round after DIRECTORY_RETRY_MINUTES.
DIRECTORY_RETRY_SECONDS = (2.0, 10.0, 30.0)
DIRECTORY_RETRY_MINUTES = 15


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def lotse_version() -> str:
    try:
        return version("lotse")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def network_info(config: LotseConfig) -> NetworkInfo:
    settings = config.directory
    return NetworkInfo(
        name=config.network.name,
        handlungsfelder={hf.id: {"de": hf.name_de, "en": hf.name_en} for hf in config.network.handlungsfelder},
        timezone=config.bot.timezone,
        default_language=config.bot.default_language,
        privacy_contact=config.network.privacy_contact,
        minutes_approval=config.meetings.minutes_approval,
        digest_post_empty=config.digests.post_empty,
        directory=DirectoryPolicy(
            reconfirm_days=settings.reconfirm_months * 365 // 12,
            unconfirmed_after_days=settings.unconfirmed_after_days,
            funding_warning_days=settings.funding_warning_weeks * 7,
        ),
        retention=RetentionPolicy(question_days=settings.question_retention_days),
    )


def digest_plan(config: LotseConfig) -> DigestPlan:
    """One digest per Handlungsfeld room (each may have its own schedule), the network roll-up
    in the coordination room, and one per subscriber by direct message."""
    default = config.digests.schedule
    fixed = [DigestTarget(Destination.of_scope(Scope.handlungsfeld(hf.id)), WEEKDAY_CODES[schedule.weekday], schedule.time)
             for hf in config.network.handlungsfelder if (schedule := hf.digest or default).enabled]
    if default.enabled and config.digests.network_rollup:
        fixed.append(DigestTarget(Destination.coordination(), WEEKDAY_CODES[default.weekday], default.time))
    subscribers = (WEEKDAY_CODES[default.weekday], default.time) if default.enabled else None
    return DigestPlan(tuple(fixed), subscribers, ZoneInfo(config.bot.timezone))


class Lotse:
    """One running bot. `start()` connects, `run()` syncs until `stop` is set, `close()` tidies up."""

    def __init__(self, config: LotseConfig, clock: Callable[[], datetime] = utcnow):
        self.config = config
        self.clock = clock
        self.started_at = clock()
        self.zone = ZoneInfo(config.bot.timezone)
        network = self.network = network_info(config)

        # Storage and the feature services over it.
        self.db = Database(config.database_url)
        self.state = BotStateRepository(self.db)
        self.preferences = Preferences(PreferenceRepository(self.db))
        self.register = RegisterService(RegisterRepository(self.db))
        self.directory = DirectoryService(
            DirectoryRepository(self.db),
            SynonymTable.load(*config.directory.synonyms),
            {hf.id: hf.topics for hf in config.network.handlungsfelder},
        )
        self.meeting_store = MeetingRepository(self.db)
        self.meetings = MeetingService(self.meeting_store, on_change=self.schedule_changed)
        self.minutes = MinutesService(self.meeting_store)
        self.audit = AuditRepository(self.db)
        self.digests = DigestService(self.register, self.meetings, self.directory, network.handlungsfelder,
                                     network.directory.reconfirm_days)
        self.privacy = PrivacyService(self.preferences.repository, self.register, self.directory, self.meeting_store, self.audit)

        # Matrix: the client, where messages go, what users can say.
        self.client = MatrixClient(
            config.matrix.homeserver, config.matrix.user_id, config.matrix.device_name, config.storage.data_dir
        )
        self.rooms = RoomDirectory()
        self.delivery = Delivery(self.client, self.state, self.rooms, t(network.default_language, "privacy.redaction_reason"))
        self.registry = build_registry()
        prefix = config.bot.command_prefix
        services = Services(
            network=network,
            bot=BotPort(status=self.status, scopes_of=lambda user_id: self.events.scopes_of(user_id),
                        deliver=self.delivery.send, count_mentions=self.delivery.count_mentions,
                        redact_mentions=self.delivery.redact_mentions),
            words=CommandWords(self.registry, prefix),
            preferences=self.preferences,
            register=self.register,
            directory=self.directory,
            meetings=self.meetings,
            minutes=self.minutes,
            digests=self.digests,
            privacy=self.privacy,
            audit=self.audit,
        )
        access = config.access
        self.dispatcher = Dispatcher(
            self.registry,
            services,
            prefix=prefix,
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
            self.register,
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

        # Scheduled posts and daily upkeep.
        plan = digest_plan(config)
        self.scheduler = AsyncIOScheduler(timezone=config.bot.timezone)
        self.planner = Planner(
            self.meeting_store, self.state, self.scheduler, self._fire, clock, self.zone,
            grace=timedelta(seconds=config.meetings.late_after_seconds),
            extra=lambda after, before: plan.firings(self.preferences, after, before),
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
        await self.register.load()
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
                except TimeoutError:
                    pass
        else:
            return False
        await self._set_up_encryption(password)
        await self._join_configured_rooms()
        self.scheduler.add_job(self.housekeeping, "interval", hours=6, id="housekeeping", next_run_time=self.clock())
        schedule_daily(self.scheduler, "directory", self.config.directory.check_time, self.zone, self.clock, self.keep_directory)
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
        await housekeeping(self.network.retention, self.clock(), state=self.state, directory=self.directory,
                           meetings=self.meeting_store, audit=self.audit)

    async def keep_directory(self) -> int:
        """Re-confirmation requests, unconfirmed marks and funding reminders (once a day).

        Each message is delivered on its own: one that fails (a direct message the homeserver
        is not ready for, say) neither stops the others nor is lost. It is tried again a few
        times within the round; the rounds offer it again until it was delivered (its key is
        recorded on delivery), and a round that left something undelivered is repeated after
        DIRECTORY_RETRY_MINUTES. Returns how many are still undelivered.
        """
        services, now = self.dispatcher.services, self.clock()
        offered = await directory_posts.confirmation_round(services, now) + await directory_posts.funding_round(services, now)
        pending = [outgoing for outgoing in offered if not await self.meeting_store.delivered(outgoing.key)]
        for delay in (*DIRECTORY_RETRY_SECONDS, None):
            pending = [outgoing for outgoing in pending if not await self._deliver_and_record(outgoing)]
            if not pending or delay is None:
                break
            await self._pause_before_retry(delay)
        for outgoing in pending:
            log.warning("could not deliver %s; trying again in %d minutes", outgoing.key, DIRECTORY_RETRY_MINUTES)
        if pending and self.scheduler.running:
            self.scheduler.add_job(self.keep_directory, "date", id="directory-retry", replace_existing=True,
                                   run_date=datetime.now(timezone.utc) + timedelta(minutes=DIRECTORY_RETRY_MINUTES),
                                   misfire_grace_time=6 * 3600)
        return len(pending)

    async def _pause_before_retry(self, delay: float) -> None:
        """While syncing: until two more syncs are done, so that a room created before the
        failure (a new direct message) is known and reused rather than created again; at most
        a minute. Without a running sync: `delay` seconds."""
        if not self.sync.ready.is_set():
            await asyncio.sleep(delay)
            return

        async def two_syncs() -> None:
            for _ in range(2):
                await self.sync.synced.wait()

        try:
            await asyncio.wait_for(two_syncs(), timeout=max(delay, 60.0))
        except TimeoutError:
            pass

    async def _deliver_and_record(self, outgoing: Outgoing) -> bool:
        """Deliver and record the key; False (and a log line) if anything went wrong."""
        try:
            await self.delivery.send(outgoing)
        except Exception as exc:  # one message must not stop the round; CancelledError passes
            log.warning("could not deliver %s to a %s: %s: %s", outgoing.key, outgoing.target.describe(),
                        type(exc).__name__, exc)
            return False
        await self.meeting_store.record_delivery(outgoing.key, self.clock(), False)
        return True

    async def schedule_changed(self) -> None:
        if self.scheduler.running:
            await self.planner.plan()

    async def _fire(self, firing: Firing, late: bool) -> None:
        outgoing = await render_post(self.dispatcher.services, firing, late)
        if outgoing is not None:
            await self.delivery.send(outgoing)

    async def _on_departure(self, user_id: str, key: str) -> None:
        notice = directory_posts.departure_notice(self.dispatcher.services, user_id, key)
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
