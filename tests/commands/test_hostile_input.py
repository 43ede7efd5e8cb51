"""Property-based tests: whatever people type, no unhandled exception and no exception text."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.dates import DateError, When, parse_when
from knowledge.directory.files import read_file
from knowledge.directory.lookup import LookupEngine, UnknownLanguage
from knowledge.directory.synonyms import SynonymTable

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc)
BERLIN = ZoneInfo("Europe/Berlin")
WORDS = ["!beschluss", "!stand", "!wer", "!termin", "!erinnere", "!aufgabe", "!suche", "!zeige", "!link", "!sitzung",
         "B-1", "M-1", "|", "morgen", "14", "Uhr", "@a:x", "hf:hf-arbeit", "#tag", "<script>", "javascript:", "@room",
         "\u200b", "\u202e", "🎉", "e\u0301", "ersetzt", "bis", "31.02.2026", "jeden", "Dienstag", "sprache:xx"]
chatty = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join))
FAST = settings(max_examples=int(__import__("os").environ.get("LOTSE_HYPOTHESIS_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(text=chatty)
def test_the_date_parser_returns_a_date_or_a_reason(text):
    try:
        result = parse_when(text, NOW, BERLIN)
    except DateError as exc:
        assert exc.reason
    else:
        assert isinstance(result, When) and result.start.tzinfo is not None


ENGINE = LookupEngine(SynonymTable.load(ROOT / "config" / "synonyms.yaml"))
ENGINE.load(read_file(ROOT / "config" / "demo-network.yaml"))


@FAST
@given(text=chatty)
def test_the_directory_lookup_always_answers_in_one_of_four_ways(text):
    try:
        result = ENGINE.lookup(text)
    except UnknownLanguage:
        return
    assert result.kind in {"answer", "ambiguous", "none", "empty"}
    if result.kind == "answer":
        assert result.matches


@FAST
@given(text=chatty)
async def test_the_dispatcher_answers_everything_without_leaking_exceptions(chat, text):
    reply = await chat.say("!" + text.lstrip("!"))
    if reply is None:
        return
    assert "Traceback" not in reply.body and "Error" not in reply.body
    assert not reply.body.startswith("Da ist etwas schiefgelaufen"), reply.body
    assert "<script" not in reply.html and 'href="javascript' not in reply.html
