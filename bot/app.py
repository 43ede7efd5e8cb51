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
from bot.events import EventHandler, InvitePolicy, RoomDirectory
from bot.matrix import HomeserverUnavailable, MatrixClient, MatrixError
from bot.sync import SyncLoop, backoff_delay
from commands import build_registry
from commands import directory as directory_jobs
from commands import digest as digest_posts
from commands import meetings as meeting_posts
from commands.context import BotStatus, DirectoryPolicy, Outgoing, Services
from commands.core import HANDLED_EVENT_RETENTION_DAYS
from commands.dispatcher import AccessPolicy, Dispatcher, FloodGuard
from bot.matrix import notice_content, transaction_id
from bot.scheduling import Planner
from bot.config import WEEKDAY_CODES
from knowledge.dates import next_occurrence
from knowledge.directory import RoleStatus
from knowledge.digest import digest_firings
from knowledge.meetings import Firing
from knowledge.minutes import Minutes
from knowledge.directory_service import DirectoryService
from knowledge.knowledge_base import KnowledgeBase
from knowledge.storage import (
    AuditRepository,
    BotStateRepository,
    Database,
    DirectoryRepository,
    MeetingRepository,
    PreferenceRepository,
    RegisterRepository,
)
from knowledge.synonyms import SynonymTable

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat"
FINISHED_RETENTION_DAYS = 365  # task, reminder and delivery state after completion (DOMAIN.md §6)
LEFT_RETENTION_DAYS = 90  # personal fields of people who left
MENTION_RETENTION_DAYS = 90  # which of Lotse's messages named whom (for redaction on request)
# A directory message that could not be delivered is tried again within the round (after two
# syncs, or these pauses when not syncing), then by a new round after DIRECTORY_RETRY_MINUTES.
DIRECTORY_RETRY_SECONDS = (2.0, 10.0, 30.0)
DIRECTORY_RETRY_MINUTES = 15


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
                default_language=config.bot.default_language,
                meetings=self.meetings,
                minutes=self.minutes,
                schedule_changed=self.schedule_changed,
                minutes_approval=config.meetings.minutes_approval,
                network_name=config.network.name,
                digest_batch=digest_posts.DigestBatch(),
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
        undelivered = 0
        try:
            undelivered = await self.keep_directory()
        except Exception:
            log.exception("the directory check failed; trying again in %d minutes", DIRECTORY_RETRY_MINUTES)
            undelivered = 1
        finally:
            if undelivered:
                self.scheduler.add_job(self._daily_directory_check, "date", id="directory", replace_existing=True,
                                       run_date=datetime.now(timezone.utc) + timedelta(minutes=DIRECTORY_RETRY_MINUTES),
                                       misfire_grace_time=6 * 3600)
            else:
                self._schedule_directory_check()

    async def keep_directory(self) -> int:
        """Re-confirmation requests, unconfirmed marks and funding reminders (once a day).

        Each message is delivered on its own: one that fails (a direct message the homeserver
        is not ready for, say) neither stops the others nor is lost. It is tried again a few
        times within the round, and the rounds offer it again until it was delivered (its key
        is recorded on delivery). Returns how many are still undelivered.
        """
        services = self.dispatcher.services
        now = self.clock()
        offered = await directory_jobs.confirmation_round(services, now) + await directory_jobs.funding_round(services, now)
        pending = [outgoing for outgoing in offered if not await self.meetings.delivered(outgoing.key)]
        for delay in (*DIRECTORY_RETRY_SECONDS, None):
            pending = [outgoing for outgoing in pending if not await self._deliver_and_record(outgoing)]
            if not pending or delay is None:
                break
            await self._pause_before_retry(delay)
        for outgoing in pending:
            log.warning("could not deliver %s; the next directory check tries again", outgoing.key)
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
        except asyncio.TimeoutError:
            pass

    async def _deliver_and_record(self, outgoing: Outgoing) -> bool:
        """Deliver and record the key; False (and a log line) if anything went wrong."""
        try:
            await self.deliver(outgoing)
        except Exception as exc:  # noqa: BLE001 - one message must not stop the round; CancelledError passes
            log.warning("could not deliver %s to %s: %s: %s", outgoing.key, outgoing.target.split(":")[0],
                        type(exc).__name__, exc)
            return False
        await self.meetings.record_delivery(outgoing.key, self.clock(), False)
        return True

    async def deliver_safely(self, outgoing: Outgoing) -> None:
        """For scheduled jobs: one message that cannot be delivered must not stop the others."""
        try:
            await self.deliver(outgoing)
        except (MatrixError, HomeserverUnavailable) as exc:
            log.warning("could not deliver %s to %s: %s", outgoing.key, outgoing.target.split(":")[0], exc)

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
                targets.append((f"scope:hf:{hf.id}", WEEKDAY_CODES[schedule.weekday], schedule.time))
        if default.enabled:
            if settings.network_rollup:
                targets.append(("network", WEEKDAY_CODES[default.weekday], default.time))
            for user_id, lang in await self.preferences.digest_subscribers():
                targets.append((f"dm:{user_id}|{lang}", WEEKDAY_CODES[default.weekday], default.time))
        return digest_firings(targets, ZoneInfo(self.config.bot.timezone), after, before)

    async def _fire(self, firing: Firing, late: bool) -> None:
        if firing.kind == "digest":
            outgoing = await digest_posts.render_digest_firing(
                self.dispatcher.services, firing, late, self.events.scopes_of, self.config.digests.post_empty
            )
            if outgoing is not None:
                await self.deliver(outgoing)
            return
        outgoing = await meeting_posts.render_firing(self.dispatcher.services, firing, late)
        if outgoing is not None:
            await self.deliver(outgoing)

    async def _on_departure(self, user_id: str, key: str) -> None:
        notice = directory_jobs.departure_notice(self.dispatcher.services, user_id, key)
        if notice:
            await self.deliver_safely(notice)

    async def deliver(self, outgoing: Outgoing) -> None:
        """Send a job's or handler's message to the coordination room or as a direct message, once."""
        room_id = await self._target_room(outgoing.target)
        if room_id is None:
            log.warning("no room for target %s; message %s not delivered", outgoing.target.split(":")[0], outgoing.key)
            return
        content = notice_content(outgoing.reply.body, outgoing.reply.html, mention_room=outgoing.mention_room)
        await self.client.send(room_id, content, transaction_id(outgoing.key, "outgoing"))
        for number, attachment in enumerate(outgoing.reply.attachments):
            await self.client.send_file(room_id, attachment.filename, attachment.content, attachment.mimetype,
                                        transaction_id(outgoing.key, f"file{number}"))

    async def _target_room(self, target: str) -> str | None:
        """coordination | dm:@user | room:!id | scope:hf:<id> / scope:network / scope:room:!id"""
        kind, _, rest = target.partition(":")
        if kind == "coordination" or target == "scope:network":
            return next(iter(sorted(self.rooms.coordination)), None)
        if kind == "dm":
            return await self._direct_room(rest)
        if kind == "room":
            return rest
        if kind == "scope":
            if rest.startswith("hf:"):
                return next((r for r, hf in self.rooms.handlungsfelder.items() if hf == rest[3:]), None)
            if rest.startswith("room:"):
                return rest[5:]
        raise ValueError(f"unknown target {target!r}")

    async def _direct_room(self, user_id: str) -> str:
        key = f"dm:{user_id}"
        room_id = await self.state.get(key)
        if room_id and room_id in self.client.nio.rooms:
            return room_id
        room_id = await self.client.create_direct_room(user_id)
        await self.state.set(key, room_id)
        return room_id

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
