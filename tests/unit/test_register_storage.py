"""The register's storage on SQLite and PostgreSQL: numbering, idempotency, history, chains."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from knowledge.register.model import AlreadySuperseded, EntryNotFound, Kind, NewEntry, Query, Status
from knowledge.register.service import RegisterService
from knowledge.storage import RegisterRepository
from knowledge.values import Scope

HF_A = Scope.handlungsfeld("hf-a")

T0 = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[2]


def new(kind=Kind.DECISION, text="Text", origin="$e1", scope=HF_A, **kw) -> NewEntry:
    return NewEntry(kind=kind, scope=scope, text=text, author="@a:x", recorded_by="@a:x", origin=origin, **kw)


@pytest.fixture
async def kb(db):
    base = RegisterService(RegisterRepository(db))
    await base.load()
    return base


async def test_numbers_count_per_kind_and_an_origin_records_once(kb):
    b1, created = await kb.record(new(origin="$1"), T0)
    again, created_again = await kb.record(new(origin="$1", text="other"), T0)
    b2, _ = await kb.record(new(origin="$2"), T0)
    n1, _ = await kb.record(new(Kind.NOTE, origin="$3"), T0)
    assert (b1.short_id, b2.short_id, n1.short_id) == ("B-1", "B-2", "N-1")
    assert created and not created_again and again.id == b1.id and again.text == "Text"
    assert b1.status is Status.DECIDED and n1.status is None


async def test_changes_are_recorded_with_before_and_after(kb):
    await kb.record(new(origin="$1"), T0)
    await kb.set_status((Kind.DECISION, 1), "@b:x", T0 + timedelta(hours=1), Status.IMPLEMENTED)
    entry = await kb.get(Kind.DECISION, 1, history=True)
    assert entry.status is Status.IMPLEMENTED and entry.updated_at == T0 + timedelta(hours=1)
    assert [(r.action, r.by, r.before, r.after) for r in entry.history] == [
        ("created", "@a:x", {}, {"text": "Text"}),
        ("status", "@b:x", {"status": "decided"}, {"status": "implemented"}),
    ]
    with pytest.raises(EntryNotFound):
        await kb.get(Kind.DECISION, 9)


async def test_supersede_is_one_transaction_and_only_once(kb):
    await kb.record(new(origin="$1"), T0)
    successor, old, _ = await kb.supersede((Kind.DECISION, 1), new(origin="$2", text="Neu"), T0)
    assert successor.supersedes == "B-1" and old.superseded_by == "B-2" and old.status is Status.SUPERSEDED
    with pytest.raises(AlreadySuperseded):
        await kb.supersede((Kind.DECISION, 1), new(origin="$3"), T0)
    with pytest.raises(EntryNotFound):
        await kb.supersede((Kind.DECISION, 42), new(origin="$4"), T0)
    assert await kb.repository.count() == 2  # the failed attempts left nothing behind


async def test_listing_filters_by_scope_status_tag_and_date(kb):
    await kb.record(new(origin="$1", scope=HF_A, tags=("x",)), T0)
    await kb.record(new(origin="$2", scope=Scope.handlungsfeld("hf-b")), T0 + timedelta(days=2))
    await kb.record(new(Kind.AGREEMENT, origin="$3", scope=Scope.network(), status=Status.POSTPONED), T0 + timedelta(days=4))
    kinds = (Kind.DECISION, Kind.AGREEMENT)
    everything, total = await kb.list(Query(kinds, None), 10, 0)
    assert [e.short_id for e in everything] == ["V-1", "B-2", "B-1"] and total == 3
    visible, _ = await kb.list(Query(kinds, frozenset({HF_A, Scope.network()})), 10, 0)
    assert [e.short_id for e in visible] == ["V-1", "B-1"]
    assert [e.short_id for e in (await kb.list(Query(kinds, None, tag="x"), 10, 0))[0]] == ["B-1"]
    assert [e.short_id for e in (await kb.list(Query(kinds, None, status=Status.POSTPONED), 10, 0))[0]] == ["V-1"]
    assert [e.short_id for e in (await kb.list(Query(kinds, None, since=T0 + timedelta(days=1)), 10, 0))[0]] == ["V-1", "B-2"]
    page, total = await kb.list(Query(kinds, None), 2, 2)
    assert [e.short_id for e in page] == ["B-1"] and total == 3


async def test_the_search_index_is_rebuilt_from_the_database(kb, db):
    await kb.record(new(origin="$1", text="Sprachmittlerpool Anfrageformular"), T0)
    fresh = RegisterService(RegisterRepository(db))
    await fresh.load()
    found, total = await fresh.search("anfrageformular", None, 10, 0)
    assert [e.short_id for e in found] == ["B-1"] and total == 1


async def test_pagers_are_kept_per_person_and_room(kb):
    repo = kb.repository
    await repo.save_pager("@a:x", "!r", Query(kinds=(), scopes=None, search="x"), 10)
    await repo.save_pager("@a:x", "!r", Query(kinds=(), scopes=None, search="y"), 20)
    assert await repo.load_pager("@a:x", "!r") == (Query(kinds=(), scopes=None, search="y"), 20)
    assert await repo.load_pager("@b:x", "!r") is None


async def test_bulk_add_numbers_continue_and_history_is_written(kb):
    await kb.record(new(origin="$1"), T0)
    count = await kb.repository.bulk_add([new(origin=f"$b{i}", text=f"Eintrag {i}") for i in range(3)], T0)
    assert count == 3
    assert (await kb.get(Kind.DECISION, 4, history=True)).history[0].action == "created"
    assert (await kb.get(Kind.DECISION, 4)).text == "Eintrag 2"
    b5, _ = await kb.record(new(origin="$5"), T0)
    assert b5.short_id == "B-5"
