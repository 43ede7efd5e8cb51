"""One import of one or more files: every row checked, everything stored in one transaction.

Rows are streamed and written in batches inside the transaction (memory stays flat for large
files); when a problem turns up, writing stops, checking goes on to the end so that every
problem is reported, and the transaction is rolled back. `dry_run` runs the very same work and
rolls back at the end, so its counts are the real ones. With `skip_bad_rows` rows with problems
are left out (and listed) and the rest is stored.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from knowledge.directory.model import RoleEntry
from knowledge.meetings.model import Meeting
from knowledge.onboarding import calendar, decisions, directory
from knowledge.onboarding.fields import Vocabulary
from knowledge.onboarding.problems import Counts, Outcome, Problem
from knowledge.onboarding.tables import Column, Row, Table, TableError, header_fields, open_table
from knowledge.register.model import NewEntry
from knowledge.storage.onboarding import ImportTransaction, OnboardingStore, role_doc
from knowledge.text import fold
from knowledge.values import Scope

BATCH = 2000
DECISION_FIELD = {"scope": "handlungsfeld", "created_at": "date"}  # register column -> importer field
MEETING_FIELDS = ("title", "start", "timezone", "duration", "rrule", "exdates", "location", "video_link", "cancelled", "scope")
OWN_EXPORT = re.compile(r"^lotse-meeting-(\d+)@lotse$")  # UIDs of `lotse export ics` (knowledge/meetings/ics.py)
IMPORTER = "import"
KINDS = ("directory", "decisions", "meetings")


@dataclass
class Settings:
    vocabulary: Vocabulary
    timezone: ZoneInfo
    rooms: dict[str, Scope] = field(default_factory=dict)  # room alias -> scope, for network files' meetings
    meeting_scope: Scope | None = None  # where meetings from .ics files belong (None: new ones to the network)
    column_map: dict[str, str] = field(default_factory=dict)
    skip_bad_rows: bool = False
    dry_run: bool = False
    kind: str | None = None  # force the kind of table files (directory | decisions)


@lru_cache(maxsize=8192)
def noon(day: date, zone: ZoneInfo) -> datetime:
    """When a dated entry without a time is placed: noon, local time (as UTC)."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone).astimezone(timezone.utc)


class _Run:
    def __init__(self, tx: ImportTransaction, settings: Settings, outcome: Outcome):
        self.tx = tx
        self.settings = settings
        self.outcome = outcome

    @property
    def writing(self) -> bool:
        """False once a problem will refuse the import: then rows are only checked."""
        return not self.outcome.refused(self.settings.skip_bad_rows)

    def bad_row(self, problems: list[Problem], counts: Counts) -> None:
        for p in problems:
            self.outcome.problem(p)
        if self.settings.skip_bad_rows and problems and problems[0].row is not None:
            counts.skipped += 1
            self.outcome.skipped_rows.append((problems[0].file, problems[0].row))

    def fatal(self, problem: Problem) -> None:
        """A problem no skipping can help (unreadable file, bad header): the import is refused."""
        self.outcome.problem(problem)
        self.outcome.fatal = True

    def rows(self, table: Table) -> Iterator[Row]:
        try:
            yield from table.rows
        except TableError as exc:
            self.fatal(exc.problem)

    # ----- directory ------------------------------------------------------------------------

    async def directory(self, table: Table) -> None:
        counts = self.outcome.of("directory")
        for notice in table.notices:
            self.outcome.notice(notice)
        has_id = "id" in table.headers or not table.fields  # YAML rows always carry their id
        missing = [] if has_id else [n for n in ("role", "organisation") if n not in table.headers]
        if missing:
            labels = {c.field: c.label_de for c in directory.COLUMNS}
            self.fatal(Problem(table.file, "missing_columns", {"columns": ", ".join(labels[m] for m in missing)}))
            return
        seen: dict[str, int] = {}
        people: dict[str, list[str]] = {}  # person as written -> keys in this file
        stored_people: dict[str, list[str]] | None = None  # folded person -> ids in the store
        pending: list[tuple[str, str, str, int, str]] = []  # key, field, reference as written, row, column
        batch: list[directory.RoleDraft] = []

        folded_people: dict[str, set[str]] = {}
        folded_count = 0

        def file_people(name: str) -> set[str]:
            """Keys of the rows so far whose person is `name` (folded: case, umlauts); the folded index is
            built only when a reference is a name, and brought up to date then."""
            nonlocal folded_count
            if folded_count != len(seen):
                folded_people.clear()
                for person, keys in people.items():
                    folded_people.setdefault(fold(person), set()).update(keys)
                folded_count = len(seen)
            return set(folded_people.get(fold(name), set()))

        async def person_ids(name: str) -> list[str]:
            nonlocal stored_people
            if stored_people is None:
                stored_people = await self.tx.role_people()
            return sorted(file_people(name) | set(stored_people.get(fold(name), [])))

        async def flush() -> None:
            existing = await self.tx.roles_for([d.key for d in batch])
            refs = {raw for d in batch for raw in d.refs.values()}
            known = await self.tx.role_ids(sorted(refs - seen.keys()))
            created: list[RoleEntry] = []
            changed: list[tuple[RoleEntry, RoleEntry]] = []
            for d in batch:
                for name, raw in d.refs.items():
                    if raw in seen or raw in known:
                        d.values[name] = raw
                        continue
                    ids = await person_ids(raw)
                    if len(ids) == 1:
                        d.values[name] = ids[0]
                    else:
                        d.values[name] = raw
                        pending.append((d.key, name, raw, d.row, table.headers.get(name, name)))
                old = existing.get(d.key)
                new = d.merged(old)
                if old is None and not (new.role and new.organisation):
                    absent = "role" if not new.role else "organisation"
                    self.bad_row([Problem(table.file, "required", {"field": absent}, d.row, absent)], counts)
                    continue
                if old is None:
                    created.append(new)
                    counts.created += 1
                elif new != old:
                    changed.append((old, new))
                    counts.changed += 1
                    self.outcome.changed("directory", d.key, tuple(role_doc_diff(old, new)))
                else:
                    counts.unchanged += 1
            batch.clear()
            if self.writing:
                await self.tx.write_roles(created, changed)

        for row in self.rows(table):
            notices: list[Problem] = []
            draft, problems = directory.read_row(row, table.file, self.settings.vocabulary, notices)
            for notice in notices:
                self.outcome.notice(notice)
            if draft is not None and draft.key in seen:
                problems = [Problem(table.file, "duplicate_key", {"value": draft.key, "first": seen[draft.key]}, row.number,
                                    row.headers.get("id", "ID"))]
                draft = None
            if draft is None:
                self.bad_row(problems, counts)
                continue
            seen[draft.key] = row.number
            if draft.values.get("person"):
                people.setdefault(draft.values["person"], []).append(draft.key)
            batch.append(draft)
            if len(batch) >= BATCH:
                await flush()
        await flush()
        fixes: dict[str, dict[str, str]] = {}
        for key, name, raw, row_number, column in pending:
            if raw in seen:
                continue
            ids = sorted(file_people(raw))
            if len(ids) == 1:
                fixes.setdefault(key, {})[name] = ids[0]
            else:
                self.bad_row([Problem(table.file, "unknown_reference", {"value": raw}, row_number, column)], counts)
        if fixes and self.writing:
            stored = await self.tx.roles_for(sorted(fixes))
            await self.tx.write_roles([], [(e, e.with_changes(**fixes[k])) for k, e in stored.items()])

    # ----- decisions ------------------------------------------------------------------------

    async def decisions(self, table: Table, by: str) -> None:
        counts = self.outcome.of("decisions")
        for notice in table.notices:
            self.outcome.notice(notice)
        if table.fields and "text" not in table.headers and "url" not in table.headers:
            self.fatal(Problem(table.file, "missing_columns", {"columns": "Text"}))
            return
        zone = self.settings.timezone
        seen: dict[str, int] = {}
        state: dict[str, str] = {}  # key -> created/changed/unchanged, for rows with references
        links: list[tuple[str, str, str, int, str]] = []  # key, field, reference, row, column
        batch: list[decisions.EntryDraft] = []

        async def flush() -> None:
            existing = await self.tx.entries_for([d.key for d in batch])
            new_entries: list[NewEntry] = []
            changes: list[tuple[int, dict[str, Any]]] = []
            for d in batch:
                old = existing.get(d.key)
                v = d.values
                if old is None:
                    new_entries.append(NewEntry(
                        kind=v["kind"], scope=v.get("scope", Scope.network()), text=v["text"], title=v.get("title"),
                        url=v.get("url"), tags=v.get("tags", ()), lik=v.get("lik", ()), status=v.get("status"),
                        owner=v.get("owner"), due=v.get("due"), public=v.get("public", False), author=IMPORTER,
                        recorded_by=by, origin=f"import:{d.key}", external_id=d.key,
                        created_at=noon(d.day, zone) if d.day else None))
                    counts.created += 1
                    result = "created"
                else:
                    diff = {k: value for k, value in v.items()
                            if k in decisions.COMPARED and k != "kind" and old.values.get(k) != value}
                    if d.day and old.created_at.astimezone(zone).date() != d.day:
                        diff["created_at"] = noon(d.day, zone)
                    if diff:
                        changes.append((old.id, diff))
                        counts.changed += 1
                        self.outcome.changed("decisions", d.key, tuple(DECISION_FIELD.get(k, k) for k in diff))
                        result = "changed"
                    else:
                        counts.unchanged += 1
                        result = "unchanged"
                if d.refs:
                    state[d.key] = result
                    for name, ref in d.refs.items():
                        links.append((d.key, name, ref, d.row, d.row_headers.get(name, name)))
            batch.clear()
            if self.writing:
                await self.tx.insert_entries(new_entries)
                await self.tx.change_entries(changes)

        for row in self.rows(table):
            draft, problems = decisions.read_row(row, table.file, self.settings.vocabulary)
            if draft is not None and draft.key in seen:
                problems = [Problem(table.file, "duplicate_key", {"value": draft.key, "first": seen[draft.key]}, row.number,
                                    row.headers.get("id", "ID"))]
                draft = None
            if draft is None:
                self.bad_row(problems, counts)
                continue
            seen[draft.key] = row.number
            batch.append(draft)
            if len(batch) >= BATCH:
                await flush()
        await flush()
        if not links:
            return
        if not self.writing:
            # Nothing was written: references can only be checked against the file and the store.
            known = await self.tx.short_ids({ref for _, _, ref, _, _ in links})
            for _key, _name, ref, row_number, column in links:
                if ref not in seen and ref not in known:
                    self.bad_row([Problem(table.file, "unknown_reference", {"value": ref}, row_number, column)], counts)
            return
        shorts = await self.tx.short_ids({k for k, *_ in links} | {ref for _, _, ref, _, _ in links})
        current = await self.tx.entries_for(sorted({k for k, *_ in links}))
        wanted: dict[str, dict[str, Any]] = {}
        for key, name, ref, row_number, column in links:
            if ref not in shorts:
                self.bad_row([Problem(table.file, "unknown_reference", {"value": ref}, row_number, column)], counts)
                continue
            entry = current.get(key)
            if entry is not None and getattr(entry, name) != shorts[ref]:
                wanted.setdefault(key, {})[name] = shorts[ref]
        await self.tx.change_entries([(current[k].id, values) for k, values in wanted.items()])
        for key in wanted:
            if state.get(key) == "unchanged":
                counts.unchanged -= 1
                counts.changed += 1
                self.outcome.changed("decisions", key, tuple(wanted[key]))

    # ----- meetings -------------------------------------------------------------------------

    async def meetings(self, file: str, items: Iterator[tuple[calendar.MeetingDraft | None, list[Problem], list[Problem]]],
                       origin_prefix: str, scoped: bool = False) -> None:
        """`scoped`: the file names each meeting's room (network files); a calendar file does not."""
        counts = self.outcome.of("meetings")
        seen: dict[str, int] = {}
        drafts: list[calendar.MeetingDraft] = []
        for draft, problems, notices in items:
            for notice in notices:
                self.outcome.notice(notice)
            if draft is not None and draft.key in seen:
                problems, draft = [Problem(file, "duplicate_key", {"value": draft.key, "first": seen[draft.key]}, draft.row, "UID")], None
            if problems:
                if problems[0].row is None:
                    self.fatal(problems[0])
                else:
                    self.bad_row(problems, counts)
                continue
            if draft is not None:
                seen[draft.key] = draft.row
                drafts.append(draft)
        own = {d.key: int(m.group(1)) for d in drafts if (m := OWN_EXPORT.match(d.key))}
        existing = await self.tx.meetings_for([d.key for d in drafts], own)
        for d in drafts:
            mine = existing.get(d.key) if d.key in own else None
            if mine is not None and mine.external_id != d.key and mine.title != d.meeting.title and mine.start != d.meeting.start:
                del existing[d.key]  # another Lotse's export: the same number names a different meeting here
        keep_scope = self.settings.meeting_scope is None and not scoped
        for d in drafts:
            old = existing.get(d.key)
            if old is None:
                counts.created += 1
                if self.writing:
                    await self.tx.add_meeting(d.meeting, f"{origin_prefix}{d.key}")
                continue
            merged = _merge_meeting(old, d.meeting, keep_scope or d.key in own)
            if merged == old:
                counts.unchanged += 1
            else:
                counts.changed += 1
                self.outcome.changed("meetings", d.key, tuple(
                    name for name in MEETING_FIELDS if getattr(merged, name) != getattr(old, name)))
                if self.writing:
                    await self.tx.change_meeting(old.number, merged)


def role_doc_diff(old: RoleEntry, new: RoleEntry) -> list[str]:
    """The fields in which two directory entries differ."""
    before, after = role_doc(old), role_doc(new)
    return [name for name in after if before.get(name) != after[name]]


def _rule_key(rule: str | None) -> object:
    """An RRULE compared by meaning, not by the order of its parts."""
    if not rule:
        return None
    return tuple(sorted(part.strip().upper() for part in rule.split(";") if part.strip()))


def _merge_meeting(old: Meeting, new: Meeting, keep_scope: bool) -> Meeting:
    """What the file says, over what is stored; exception dates are added (a "!termin ausfallen" stays), and
    reminders, agenda call, organiser, room and visibility stay as they were set in Lotse. The scope
    stays unless the import names one (a calendar file does not know Lotse's rooms)."""
    exdates = tuple(sorted(set(old.exdates) | set(new.exdates)))
    rrule = old.rrule if _rule_key(old.rrule) == _rule_key(new.rrule) else new.rrule
    return Meeting(
        id=old.id, number=old.number, scope=old.scope if keep_scope else new.scope, title=new.title, start=new.start,
        timezone=new.timezone, duration=new.duration, rrule=rrule, exdates=exdates, location=new.location, video_link=new.video_link,
        reminders=old.reminders, agenda_call=old.agenda_call if new.agenda_call is None else new.agenda_call,
        organiser=old.organiser or new.organiser, room_id=old.room_id, cancelled=new.cancelled,
        external_id=old.external_id, public=old.public or new.public,
    )


async def _one_file(run: _Run, path: Path) -> None:
    settings = run.settings
    by = run.tx.by = f"import:{path.name}"
    suffix = path.suffix.lower()
    # The files are read in the event loop on purpose: an import is its own command-line process,
    # nothing else waits on this loop.
    if not path.is_file():  # noqa: ASYNC240
        run.fatal(Problem(str(path), "missing"))
        return
    if suffix == ".ics":
        zone_scope = settings.meeting_scope or Scope.network()
        await run.meetings(str(path), calendar.read_ics(path, zone_scope, settings.timezone, by), "ics:")
        return
    if suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))  # noqa: ASYNC240
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            run.fatal(Problem(str(path), "not_yaml"))
            return
        if not isinstance(data, dict):
            run.fatal(Problem(str(path), "no_section", {"section": "directory, decisions, meetings"}))
            return
        found = False
        if isinstance(data.get("directory"), list) and settings.kind in (None, "directory"):
            found = True
            await run.directory(directory.yaml_table(path))
        nested = data.get("knowledge")
        knowledge: dict[str, Any] = nested if isinstance(nested, dict) else data
        if (isinstance(knowledge.get("decisions"), list) or isinstance(knowledge.get("links"), list)) and settings.kind in (None, "decisions"):
            found = True
            await run.decisions(decisions.yaml_table(path), by)
        if isinstance(data.get("meetings"), list) and settings.kind in (None, "meetings"):
            found = True
            await run.meetings(str(path), calendar.read_yaml_meetings(path, data, settings.rooms), "import:", scoped=True)
        if not found:
            run.fatal(Problem(str(path), "no_section", {"section": "directory, decisions, meetings"}))
        return
    chosen: list[str] = []

    def choose(headers: list[str]) -> list[Column]:
        """A directory names a role or an organisation; anything else is read as decisions."""
        kind = settings.kind or ("directory" if {"role", "organisation"} & header_fields(
            headers, directory.COLUMNS, settings.column_map) else "decisions")
        chosen.append(kind)
        return directory.COLUMNS if kind == "directory" else decisions.COLUMNS

    try:
        table = open_table(path, choose, settings.column_map)
        kind = chosen[0]
    except TableError as exc:
        run.fatal(exc.problem)
        return
    if kind == "directory":
        await run.directory(table)
    else:
        await run.decisions(table, by)


async def run_import(store: OnboardingStore, files: list[Path], settings: Settings, now: datetime) -> Outcome:
    """Import `files` in one transaction. The outcome says what was (dry run: would be) done, and every problem."""
    outcome = Outcome()
    by = f"import:{files[0].name}" if len(files) == 1 else "import"
    async with store.transaction(now, by) as tx:
        run = _Run(tx, settings, outcome)
        for path in files:
            await _one_file(run, path)
        outcome.stored = not settings.dry_run and not outcome.refused(settings.skip_bad_rows)
        tx.keep = outcome.stored
    return outcome
