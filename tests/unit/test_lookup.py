"""'Who handles …?' on the demo network: floors on the dev sets, and the rules behind them.

The held-out set has its own test (test_lookup_heldout.py), which sees aggregate figures only.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.directory.files import read_file
from knowledge.directory.lookup import LookupEngine, UnknownLanguage
from knowledge.directory.lookup.analysis import Analyzer, KnownWords, Lexicon
from knowledge.directory.lookup.evaluation import aggregate, evaluate
from knowledge.directory.model import RoleEntry, RoleStatus
from knowledge.directory.synonyms import SynonymTable

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "tests" / "lookup_dev" / "questions.yaml"
TUNED = ROOT / "tests" / "lookup_cases.yaml"
OLD_HELDOUT = ROOT / "bench" / "lookup_heldout.yaml"

# Reached on the dev sets when the engine was last tuned; a change that loses ground fails here.
DEV_FLOORS = {DEV: (0.92, 0.01), TUNED: (0.88, 0.03), OLD_HELDOUT: (0.82, 0.03)}  # (top-1 at least, confident-wrong at most)


@pytest.fixture(scope="module")
def engine() -> LookupEngine:
    engine = LookupEngine(SynonymTable.load(ROOT / "config" / "synonyms.yaml"))
    engine.load(read_file(ROOT / "config" / "demo-network.yaml"))
    return engine


def ids(result) -> list[str]:
    return [m.entry.id for m in result.matches]


@pytest.mark.parametrize("path", list(DEV_FLOORS), ids=lambda p: p.parent.name + "/" + p.name)
def test_the_dev_sets_meet_their_floors(engine, path):
    outcomes = evaluate(engine, path)
    figures = aggregate(outcomes)["all"]
    top1_floor, wrong_ceiling = DEV_FLOORS[path]
    misses = [f"{o.question!r}: expected {o.expected}, got {o.result} {list(o.got)}" for o in outcomes if not o.top1]
    assert figures["top1"] >= top1_floor, "\n".join(misses)
    assert figures["confident_wrong"] <= wrong_ceiling, "\n".join(misses)


def test_no_question_of_the_blind_dev_set_nobody_answers_gets_a_confident_name(engine):
    outcomes = [o for o in evaluate(engine, DEV) if not o.answerable]
    assert len(outcomes) >= 30
    assert [o.question for o in outcomes if o.confident_wrong] == []


def test_abbreviations_match_only_as_written_in_capitals(engine):
    assert ids(engine.lookup("MBE"))[0] == "p11"
    assert ids(engine.lookup("JMD Kontakt"))[0] == "p10"
    assert engine.lookup("MBEX").kind == "none"
    # English "to", "do", "it" are no abbreviations (TO = Tagesordnung) and no evidence at all.
    assert engine.lookup("what to do about it").kind in ("empty", "none")


def test_stop_words_of_every_language_are_no_evidence(engine):
    for question in ("who is it for", "wer ist das denn", "кто это и где", "kto to jest", "cine este acolo", "من هو هذا"):
        assert engine.lookup(question).kind in ("empty", "none"), question


def test_compounds_split_only_at_real_morpheme_boundaries():
    lexicon = Lexicon.load(ROOT / "config" / "vocabulary" / "stopwords.yaml")
    analyzer = Analyzer(lexicon)
    known = KnownWords({"impfung", "antrag", "wohngeld", "grant", "ladung", "werk", "beratung", "schulden"})
    assert analyzer.split("masernimpfung", known) == ("masern", "impfung")
    assert analyzer.split("wohngeldantrag", known) == ("wohngeld", "antrag")
    assert analyzer.split("migrant", known) is None  # never "Mi|grant"
    assert analyzer.split("einladung", known) is None  # a word of its own, not "Ein|ladung"
    assert analyzer.split("netzwerk", known) is None
    assert analyzer.split("schuldnerberatung", known) == ("schuldner", "beratung")


def test_everyday_compounds_find_their_service(engine):
    assert ids(engine.lookup("Masernimpfung für die Kita"))[0] in ("p03", "p20")
    assert ids(engine.lookup("Masernimpfung"))[0] == "p03"
    assert ids(engine.lookup("Wohngeldantrag"))[0] in ("p11", "p17")
    assert ids(engine.lookup("Ausbildungsplatz als Tischler"))[0] in ("p10", "p08", "p09")
    assert ids(engine.lookup("Schuldnerberatung"))[0] == "p11"


def test_hyphenated_closed_and_open_compounds_are_one_word(engine):
    for spelling in ("Dolmetscher-Hotline", "Dolmetscherhotline", "Dolmetscher Hotline"):
        assert ids(engine.lookup(spelling))[0] == "p04", spelling
    for spelling in ("Integrations-Kurs", "Integrationskurs", "Integrations Kurs"):
        assert ids(engine.lookup(spelling))[0] in ("p15", "p24"), spelling


def test_the_directory_itself_is_vocabulary(engine):
    role = RoleEntry(id="p90", role="Quartiersmanagerin Nordviertel", organisation="Stadt Saalstedt – Stadtteilbüro",
                     person="Hanna Testfall", topics=("wohnen",))
    engine.upsert(role)
    try:
        assert ids(engine.lookup("Quartiersmanagerin Nordviertel"))[0] == "p90"
        assert ids(engine.lookup("Wer ist Hanna Testfall?"))[0] == "p90"
        assert ids(engine.lookup("Stadtteilbüro Nordviertel"))[0] == "p90"
    finally:
        engine._remove("p90")


def test_nationality_is_no_language_filter(engine):
    for question in ("Ein moldauischer Tischler hat keinen Lohn bekommen", "kroatische Saisonkräfte ohne Vertrag",
                     "a Moldovan carpenter was not paid"):
        result = engine.lookup(question)
        assert result.language is None and result.kind != "none", question
        assert ids(result)[0] in ("p06", "p07"), question
    # Origin is a hint: the counsellor who speaks the language comes first.
    assert ids(engine.lookup("Erntehelfer aus Rumänien bekommt keinen Lohn"))[0] == "p07"
    assert ids(engine.lookup("Erntehelfer aus Polen bekommt keinen Lohn"))[0] == "p06"
    # Only "spricht …" / "speaks …" / "auf …" / sprache: filter.
    assert engine.lookup("Wer spricht Rumänisch?").language == "ro"
    assert engine.lookup("Beratung auf Polnisch").language == "pl"
    assert ids(engine.lookup("Wer spricht Rumänisch?")) == ["p07"]


def test_unconfirmed_and_left_roles_keep_their_rank(engine):
    assert ids(engine.lookup("Anerkennung ausländischer Berufsabschlüsse"))[0] == "p25"
    assert engine.get("p25").status is RoleStatus.LEFT
    assert ids(engine.lookup("Jugendmigrationsdienst"))[0] == "p10"
    assert engine.get("p10").status is RoleStatus.UNCONFIRMED


def test_generic_words_in_organisation_names_earn_no_bonus(engine):
    # "Beratung" is in many organisation names: it must not pull them before the youth service.
    assert ids(engine.lookup("Beratung für Jugendliche"))[0] == "p10"


def test_questions_about_things_nobody_in_the_network_does_get_nobody(engine):
    for question in ("Wo melde ich mein Auto um?", "Wer macht meine Steuererklärung?", "where do I pay a parking fine",
                     "Wer stellt die Geburtsurkunde aus?"):
        result = engine.lookup(question)
        assert result.kind == "none", question
        assert result.extra.get("elsewhere"), question


def test_community_languages_find_the_right_roles(engine):
    assert ids(engine.lookup("Де записатися на курс німецької мови?"))[0] in ("p15", "p24")
    assert ids(engine.lookup("Нужен переводчик к врачу"))[0] == "p04"
    assert ids(engine.lookup("Szukam przedszkola dla córki"))[0] == "p20"
    assert ids(engine.lookup("Am nevoie de ajutor cu permisul de ședere"))[0] in ("p18", "p11")
    assert ids(engine.lookup("أبحث عن شقة"))[0] in ("p17", "p11", "p07")


def test_a_named_persons_deputy(engine):
    result = engine.lookup("Frau Vogelsang ist im Urlaub, wer vertritt sie?")
    assert result.kind == "answer" and ids(result) == ["p02"]


def test_age_decides_between_youth_and_adult_counselling(engine):
    assert ids(engine.lookup("Ein 19-Jähriger versteht die Briefe vom Amt nicht"))[0] == "p10"
    assert ids(engine.lookup("Eine 45-Jährige versteht die Briefe vom Amt nicht"))[0] == "p11"


def test_learned_phrases_answer_the_next_person(engine):
    assert engine.lookup("Wer organisiert das Lesezeichen-Projekt?").kind == "none"
    engine.learn("Lesezeichen-Projekt", "entry", "p13")
    try:
        result = engine.lookup("Wer organisiert das Lesezeichen-Projekt?")
        assert result.kind == "answer" and ids(result)[0] == "p13"
        assert ids(engine.lookup("Lesezeichen-Projekt: an wen wende ich mich?"))[0] == "p13"
    finally:
        engine.forget_learned()


def test_a_language_filter_that_finds_nobody_names_who_speaks_it(engine):
    result = engine.lookup("wer spricht Ukrainisch in der Beratung?")
    assert result.kind == "none" and result.language == "uk"
    assert [m.entry.id for m in result.extra["speakers"]] == ["p05"]


def test_unknown_language_codes_are_refused(engine):
    with pytest.raises(UnknownLanguage):
        engine.lookup("beratung sprache:xx")


def test_questions_of_only_question_words_are_empty(engine):
    assert engine.lookup("Wer ist zuständig für?").kind == "empty"
    assert engine.lookup("   ").kind == "empty"


def test_handlungsfeld_filter(engine):
    result = engine.lookup("beratung hf:hf-wohnen")
    assert ids(result) == ["p11"]


def test_room_only_entries_are_shown_only_in_their_rooms(engine):
    hidden = engine.get("p22").with_changes(visibility=engine.get("p22").visibility.ROOM)
    engine.upsert(hidden)
    try:
        assert "p22" not in ids(engine.lookup("Psychotherapie", visible={"hf-arbeit"}))
        assert "p22" in ids(engine.lookup("Psychotherapie", visible={"hf-gesundheit"}))
    finally:
        engine.upsert(hidden.with_changes(visibility=hidden.visibility.NETWORK))


def test_the_lemma_table_was_built_from_the_current_vocabulary():
    import gzip

    from devtools.build_lexicon import OUT, vocabulary_digest

    with gzip.open(OUT / "lemmas.tsv.gz", "rt", encoding="utf-8") as handle:
        header = handle.readline()
    assert header.startswith("# generated by devtools/build_lexicon.py")
    assert header.rstrip().endswith(vocabulary_digest()), (
        "config/vocabulary or config/synonyms.yaml changed: run `.venv/bin/pip install -e '.[lexicon]' && "
        ".venv/bin/python -m devtools.build_lexicon`")


def test_lemmas_meet_inflected_forms_in_every_language(engine):
    lemma = engine.analyzer.lexicon.lemma
    assert lemma("aerzte") == "arzt" and lemma("wohnungen") == "wohnung"
    assert lemma("визнанням") == "визнання"  # Ukrainian instrumental
    assert lemma("przedszkola") == "przedszkole"  # Polish genitive
    assert lemma("pasaportul") == lemma("pasaport")  # Romanian definite article (folded)
