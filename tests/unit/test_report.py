"""LIK reports: period parsing, content, and CSV/JSON reading back to the same rows."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from commands.i18n import report_labels
from knowledge.meetings.model import SessionStatus
from knowledge.publishing.report import PeriodError, build_report, from_json, parse_period, rows_from_csv, to_csv, to_html, to_json, to_markdown
from knowledge.register.model import Kind, NewEntry, Status
from knowledge.storage import MeetingRepository, RegisterRepository
from knowledge.values import Scope

T0 = datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc)


def test_periods():
    today = date(2026, 11, 22)
    assert parse_period("", today) == (date(2026, 1, 1), today)
    assert parse_period("2025", today) == (date(2025, 1, 1), date(2025, 12, 31))
    assert parse_period("Q3 2026", today) == (date(2026, 7, 1), date(2026, 9, 30))
    assert parse_period("q4 2026", today) == (date(2026, 10, 1), date(2026, 12, 31))
    assert parse_period("seit 1.3.2026", today) == (date(2026, 3, 1), today)
    assert parse_period("1.1.2026-30.6.2026", today) == (date(2026, 1, 1), date(2026, 6, 30))
    assert parse_period("1.1.2026 bis 30.6.2026", today) == (date(2026, 1, 1), date(2026, 6, 30))
    for bad in ("gestern", "Q5 2026", "30.6.2026-1.1.2026", "1.1.2026-31.2.2026"):
        with pytest.raises(PeriodError):
            parse_period(bad, today)


async def seeded_report(db, public_only=False):
    register, meetings = RegisterRepository(db), MeetingRepository(db)

    def decision(origin, text, **kw):
        kw.setdefault("created_at", T0)
        return NewEntry(kind=Kind.DECISION, scope=Scope.handlungsfeld("hf-a"), text=text, author="@a:x", recorded_by="@a:x", origin=origin, **kw)

    await register.add(decision("$1", "Fachtag <im> \"Herbst\", mit Komma", lik=("HF6", "QT2"), public=True, status=Status.IMPLEMENTED), T0)
    await register.add(decision("$2", "Intern: Budgetfrage"), T0)
    await register.add(decision("$3", "Letztes Jahr", created_at=T0 - timedelta(days=400)), T0)
    await meetings.add_action(origin="$4", scope=Scope.handlungsfeld("hf-a"), room_id=None, text="Einladung verschicken", owner="@b:x",
                              due=date(2026, 8, 1), created_by="@a:x", at=T0)
    session, _ = await meetings.start_session(origin="$5", room_id="!r", scope=Scope.handlungsfeld("hf-a"), title="AG A", chair="@a:x", at=T0, meeting_id=None)
    await meetings.end_session(session.id, T0 + timedelta(hours=1), SessionStatus.PUBLISHED)
    return await build_report(network="Netz", register=register, meetings=meetings, handlungsfelder=["hf-a"],
                              start=date(2026, 1, 1), end=date(2026, 12, 31), now=T0, public_only=public_only)


async def test_a_report_lists_decisions_meetings_and_actions_of_the_period(db):
    report = await seeded_report(db)
    kinds = sorted((r.kind, r.id) for r in report.rows)
    assert kinds == [("action", "A-1"), ("decision", "B-1"), ("decision", "B-2"), ("meeting", "P-1")]
    b1 = next(r for r in report.rows if r.id == "B-1")
    assert (b1.status, b1.lik, b1.date) == ("implemented", "HF6;QT2", "2026-07-01")
    public = await seeded_report(db, public_only=True)
    assert [r.id for r in public.rows] == ["B-1"]


async def test_csv_and_json_read_back_to_the_same_rows(db):
    report = await seeded_report(db)
    assert from_json(to_json(report)) == report
    assert rows_from_csv(to_csv(report)) == report.rows


async def test_markdown_and_html_escape_user_text(db):
    report = await seeded_report(db)
    html = to_html(report, {"hf-a": "Bereich <A>"}, report_labels("de"))
    assert "&lt;im&gt;" in html and "<im>" not in html and "Bereich &lt;A&gt;" in html
    assert '<html lang="de">' in html and "<caption>" in html
    markdown = to_markdown(report, {"hf-a": "Bereich A"}, report_labels("de"))
    assert "Fachtag \\<im\\>" in markdown and "### Beschlüsse und Vereinbarungen" in markdown
