"""'Who handles …?' — the accuracy suite (tests/lookup_cases.yaml) with a floor, and the rules
behind it, on the demo network."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.directory.files import read_file
from knowledge.directory.lookup import LookupEngine, UnknownLanguage
from knowledge.directory.lookup_eval import evaluate
from knowledge.directory.synonyms import SynonymTable

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "lookup_cases.yaml"
ACCURACY_FLOOR = 0.95


@pytest.fixture(scope="module")
def engine() -> LookupEngine:
    engine = LookupEngine(SynonymTable.load(ROOT / "config" / "synonyms.yaml"))
    engine.load(read_file(ROOT / "config" / "demo-network.yaml"))
    return engine


def test_the_accuracy_suite_meets_its_floor_with_no_confident_wrong_answer(engine):
    outcomes = evaluate(engine, CASES)
    assert len(outcomes) >= 150
    misses = [f"{o.question!r}: expected {o.expected}, got {o.kind} {o.got}" for o in outcomes if not o.correct]
    accuracy = 1 - len(misses) / len(outcomes)
    assert accuracy >= ACCURACY_FLOOR, "\n".join(misses)
    no_answer = [o for o in outcomes if o.expected == "none"]
    assert len(no_answer) >= 15
    assert [o.question for o in no_answer if o.confident_wrong] == []
    assert [o.question for o in outcomes if o.confident_wrong] == []


def test_abbreviations_match_exactly_never_fuzzily(engine):
    assert engine.lookup("MBE").matches[0].entry.id == "p11"
    assert engine.lookup("MBEX").kind == "none"
    assert engine.lookup("MBF").kind == "none"


def test_ambiguous_terms_list_distinct_candidates_with_their_topic(engine):
    result = engine.lookup("Pflege")
    assert result.kind == "ambiguous" and set(result.topics) == {"gesundheit", "arbeit"}
    ids = [m.entry.id for m in result.matches]
    assert len(ids) == len(set(ids)) and {m.topic for m in result.matches} == {"gesundheit", "arbeit"}


def test_a_language_filter_that_finds_nobody_names_who_speaks_it(engine):
    result = engine.lookup("wer spricht Ukrainisch in der Beratung?")
    assert result.kind == "none" and result.language == "uk" and result.topics == ("beratung",)
    assert [m.entry.id for m in result.extra["speakers"]] == ["p05"]


def test_unknown_language_codes_are_refused(engine):
    with pytest.raises(UnknownLanguage):
        engine.lookup("beratung sprache:xx")


def test_questions_of_only_question_words_are_empty(engine):
    assert engine.lookup("Wer ist zuständig für?").kind == "empty"
    assert engine.lookup("   ").kind == "empty"


def test_handlungsfeld_filter(engine):
    result = engine.lookup("beratung hf:hf-wohnen")
    assert [m.entry.id for m in result.matches] == ["p11"]


def test_room_only_entries_are_shown_only_in_their_rooms(engine):
    hidden = engine.get("p22").with_changes(visibility=engine.get("p22").visibility.ROOM)
    engine.upsert(hidden)
    try:
        assert "p22" not in [m.entry.id for m in engine.lookup("Psychotherapie", visible={"hf-arbeit"}).matches]
        assert "p22" in [m.entry.id for m in engine.lookup("Psychotherapie", visible={"hf-gesundheit"}).matches]
    finally:
        engine.upsert(hidden.with_changes(visibility=hidden.visibility.NETWORK))
