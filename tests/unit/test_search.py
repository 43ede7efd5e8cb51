"""Search: how people actually type."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from knowledge.register.model import Entry, Kind
from knowledge.register.search import SearchIndex
from knowledge.text import fold, words
from knowledge.values import Scope

T0 = datetime(2026, 3, 3, tzinfo=timezone.utc)


def entry(i: int, text: str, scope: Scope = Scope.network(), retracted: bool = False, tags=()) -> Entry:
    return Entry(id=i, kind=Kind.NOTE, number=i, scope=scope, text=text, author="@a:x", recorded_by="@a:x",
                 created_at=T0 + timedelta(minutes=i), updated_at=T0, tags=tags, retracted=retracted)


def index(*entries: Entry) -> SearchIndex:
    idx = SearchIndex()
    idx.rebuild(SearchIndex.row(e) for e in entries)
    return idx


def test_folding_handles_umlauts_gender_forms_unicode_forms_and_zero_width():
    assert fold("Ärzte") == fold("Aerzte") == "aerzte"
    assert fold("Berater:innen") == fold("BeraterInnen") == fold("Berater*innen") == "berater"
    assert fold("Cafe\u0301") == fold("Café") == "cafe"
    assert words("Sprach\u200bmittler für die Stadt") == ["sprachmittler", "stadt"]


def test_typos_substrings_and_umlaut_spellings_find_the_entry():
    idx = index(entry(1, "Sprachmittlerpool Anfrage"), entry(2, "Fachtag Pflege"), entry(3, "Ärztliche Versorgung"))
    assert idx.search("Sprachmitlerpool", None) == [1]
    assert idx.search("sprachmittler", None) == [1]
    assert idx.search("Aerztliche", None) == [3]
    assert idx.search("Mondlandung", None) == []
    assert idx.search("der die das", None) == []


def test_scopes_and_retraction_filter_results():
    idx = index(entry(1, "Fachtag", scope=Scope.handlungsfeld("a")), entry(2, "Fachtag", scope=Scope.handlungsfeld("b")),
                entry(3, "Fachtag", retracted=True))
    assert idx.search("fachtag", frozenset({Scope.handlungsfeld("a")})) == [1]
    assert sorted(idx.search("fachtag", None)) == [1, 2]


def test_ranking_prefers_more_matching_words_then_recency():
    idx = index(entry(1, "Fachtag Pflege"), entry(2, "Fachtag Migration Pflege"), entry(3, "Fachtag Pflege neu"))
    assert idx.search("migration pflege", None)[0] == 2
    assert idx.search("pflege", None)[:2] == [3, 2]


def test_upsert_replaces_the_old_words():
    idx = index(entry(1, "Alter Text"))
    idx.upsert(entry(1, "Neuer Inhalt"))
    assert idx.search("alter", None) == [] and idx.search("inhalt", None) == [1]
    assert len(idx) == 1
