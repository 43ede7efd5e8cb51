"""What an import reports. Messages are catalogue keys with parameters, translated by the caller
(`onboarding.problem.<key>` in commands/locales), so that the CLI answers in the user's language."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MAX_REPORTED = 200  # problems listed one by one; beyond that, only counted


@dataclass(frozen=True)
class Problem:
    """Something in a file that stops its row (or the whole file) from being imported."""

    file: str
    key: str
    params: Mapping[str, object] = field(default_factory=dict)
    row: int | None = None  # 1-based, as the spreadsheet shows it (the header is row 1)
    column: str | None = None  # the header as written in the file


@dataclass
class Counts:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0


MAX_CHANGES = 50  # changed entries listed one by one (with their fields); beyond that, only counted


@dataclass(frozen=True)
class Change:
    """An existing entry the import changes (or, in a dry run, would change)."""

    kind: str  # directory, decisions, meetings
    key: str  # the row's key: its ID, a derived key, a calendar UID
    fields: tuple[str, ...]  # the importer's field names (directory.COLUMNS / decisions.COLUMNS), or meeting fields


@dataclass
class Outcome:
    """Per kind (directory, decisions, links, meetings) what was (or would be) created, changed, left alone."""

    counts: dict[str, Counts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)  # not stopping anything, e.g. ignored columns
    problem_total: int = 0
    skipped_rows: list[tuple[str, int]] = field(default_factory=list)  # (file, row) left out by --skip-bad-rows
    changes: list[Change] = field(default_factory=list)
    stored: bool = False
    fatal: bool = False  # a problem with a whole file: --skip-bad-rows cannot help

    def refused(self, skip_bad_rows: bool) -> bool:
        return self.fatal or (self.problem_total > 0 and not skip_bad_rows)

    def of(self, kind: str) -> Counts:
        return self.counts.setdefault(kind, Counts())

    def problem(self, problem: Problem) -> None:
        self.problem_total += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(problem)

    def changed(self, kind: str, key: str, fields: tuple[str, ...]) -> None:
        if len(self.changes) < MAX_CHANGES:
            self.changes.append(Change(kind, key, fields))

    def notice(self, notice: Problem) -> None:
        if notice not in self.notices and len(self.notices) < MAX_REPORTED:
            self.notices.append(notice)


class ImportRefused(Exception):
    """The import stopped before storing anything; `outcome` says why."""

    def __init__(self, outcome: Outcome):
        super().__init__(f"{outcome.problem_total} problems")
        self.outcome = outcome
