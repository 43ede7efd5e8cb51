"""Keeping the store lawful and the directory true, on a schedule.

- `RetentionPolicy` + `housekeeping()`: what is deleted when (the privacy notice quotes the
  same figures): handled-event records, unanswered questions, finished tasks and past
  reminders, audit entries, records of which messages named whom, and the personal fields
  of people who left.
- `DirectoryPolicy` + `DirectoryKeeping`: ask holders to re-confirm their roles, mark silent
  entries unconfirmed, warn before a funded post ends. The rounds change the directory and
  return whom to tell; the commands package writes the messages.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from knowledge.directory.model import RoleEntry, RoleStatus
from knowledge.directory.service import DirectoryService
from knowledge.storage import AuditRepository, BotStateRepository, MeetingRepository

log = logging.getLogger(__name__)

LOTSE = "lotse"  # who the history names for changes Lotse makes on its own


@dataclass(frozen=True)
class RetentionPolicy:
    handled_event_days: int = 30  # which events were answered (at most once, also after restarts)
    finished_days: int = 365  # task, reminder and delivery state after completion; audit entries
    left_days: int = 90  # personal fields of people who left
    mention_days: int = 90  # which of Lotse's messages named whom (for redaction on request)
    question_days: int = 90  # unanswered questions (kept without who asked)


@dataclass(frozen=True)
class DirectoryPolicy:
    """How the directory is kept true (config `directory`)."""

    reconfirm_days: int = 182
    unconfirmed_after_days: int = 30
    funding_warning_days: int = 56


async def housekeeping(policy: RetentionPolicy, now: datetime, *, state: BotStateRepository, directory: DirectoryService,
                       meetings: MeetingRepository, audit: AuditRepository) -> dict[str, int]:
    """Delete what is past its retention period. Returns how much of each kind went."""
    days = timedelta(days=1)
    done = {
        "handled events": await state.prune_handled(now - policy.handled_event_days * days),
        "unanswered questions": await directory.prune_questions(now - policy.question_days * days),
        "finished action items, past reminders and delivery records": await meetings.prune_finished(
            now - policy.finished_days * days),
        "audit entries": await audit.prune(now - policy.finished_days * days),
        "records of messages that named a person": await state.prune_mentions(now - policy.mention_days * days),
        "roles whose holders left, personal fields": await _clear_left(policy, now, directory),
    }
    for what, count in done.items():
        log.info("housekeeping: removed %d %s", count, what)
    return done


async def _clear_left(policy: RetentionPolicy, now: datetime, directory: DirectoryService) -> int:
    cleared = 0
    for role in directory.all():
        if role.status is RoleStatus.LEFT and (role.person or role.matrix_id):
            left_at = await directory.left_since(role.id)
            if left_at is None or left_at < now - timedelta(days=policy.left_days):
                await directory.update(role.id, LOTSE, now, "retention", person=None, matrix_id=None)
                cleared += 1
    return cleared


# A re-confirmation request that may not have arrived is offered again for this many days.
RESEND_DAYS = 7


class DirectoryKeeping:
    def __init__(self, directory: DirectoryService, policy: DirectoryPolicy):
        self.directory = directory
        self.policy = policy

    async def confirmation_round(self, now: datetime) -> list[RoleEntry]:
        """Roles whose holders are asked to re-confirm (every N months; marked as asked, with the
        day). Roles asked in the last RESEND_DAYS days are offered again: the bot sends a request
        only if it was not delivered (its key names the day of asking). Entries asked long
        enough ago without an answer are marked unconfirmed."""
        today = now.date()
        asked: list[RoleEntry] = []
        for role in self.directory.all():
            if role.status in (RoleStatus.VACANT, RoleStatus.LEFT) or not role.needs_confirmation(today, self.policy.reconfirm_days):
                continue
            requested = role.confirmation_requested
            if requested is None or (role.last_confirmed and requested < role.last_confirmed):
                if not role.matrix_id:
                    continue
                asked.append(await self.directory.update(role.id, LOTSE, now, "confirmation_requested",
                                                         confirmation_requested=today))
                continue
            if role.matrix_id and _days(today, requested) < RESEND_DAYS:
                asked.append(role)
            if _days(today, requested) >= self.policy.unconfirmed_after_days and role.status is RoleStatus.ACTIVE:
                await self.directory.update(role.id, LOTSE, now, "unconfirmed", status=RoleStatus.UNCONFIRMED)
        return asked

    async def funding_round(self, now: datetime) -> list[RoleEntry]:
        """Funded posts that end within the warning period (marked as reminded). Reminded posts
        are offered again until they end: the bot sends only what was not delivered."""
        today = now.date()
        ending: list[RoleEntry] = []
        for role in self.directory.all():
            if not role.funded_until or _days(role.funded_until, today) > self.policy.funding_warning_days:
                continue
            if role.funding_reminded:
                if role.funded_until >= today:
                    ending.append(role)
                continue
            ending.append(await self.directory.update(role.id, LOTSE, now, "funding_reminded", funding_reminded=True))
        return ending


def _days(later: date, earlier: date) -> int:
    return (later - earlier).days
