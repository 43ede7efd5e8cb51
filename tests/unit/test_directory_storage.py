"""The directory's storage (SQLite and PostgreSQL), import validation, YAML and CSV."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from knowledge.directory.files import DirectoryImportError, parse_entries, read_file, to_csv, to_yaml
from knowledge.directory.model import RoleStatus, Visibility
from knowledge.directory.service import DirectoryService
from knowledge.directory.synonyms import SynonymTable
from knowledge.storage import DirectoryRepository

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def service(db):
    svc = DirectoryService(DirectoryRepository(db), SynonymTable.load(ROOT / "config" / "synonyms.yaml"))
    await svc.load()
    return svc


async def test_the_demo_directory_imports_once_and_survives_a_reload(service, db):
    entries = read_file(ROOT / "config" / "demo-network.yaml")
    assert len(entries) == 25
    assert await service.import_entries(entries, "test", T0) == 25
    assert await service.import_entries(entries, "test", T0) == 0
    fresh = DirectoryService(DirectoryRepository(db), service.table)
    await fresh.load()
    p18 = fresh.get("p18")
    assert p18.person is None and p18.organisation == "Landkreis Saalebogen – Ausländerbehörde"
    assert fresh.get("p25").status is RoleStatus.LEFT and fresh.get("p10").status is RoleStatus.UNCONFIRMED
    assert fresh.get("p04").funded_until == date(2026, 12, 31) and fresh.get("p04").visibility is Visibility.PUBLIC
    assert [e.id for e in fresh.held_by("@k.vogelsang:integration.example")] == ["p01"]


async def test_updates_keep_a_history_and_questions_carry_no_user(service, db):
    await service.import_entries(read_file(ROOT / "config" / "demo-network.yaml"), "test", T0)
    await service.update("p03", "@koord:x", T0, "edited", phone="+49 0000 1", languages=("de", "en", "ar"))
    history = await service.repository.history("p03")
    assert history[-1][1:] == ("@koord:x", "edited", {"phone": "+49 0000 410-530", "languages": ["de", "en"]},
                               {"phone": "+49 0000 1", "languages": ["de", "en", "ar"]})
    assert await service.repository.next_id() == "R-1" and await service.repository.next_id() == "R-2"
    await service.repository.log_question("Wer repariert Fahrräder?", T0, "hf-arbeit")
    await service.repository.log_question("Alt", T0 - timedelta(days=100), None)
    rows, total = await service.repository.open_questions(T0 - timedelta(days=90))
    assert total == 1 and rows[0][1:] == ("Wer repariert Fahrräder?", "hf-arbeit")
    assert await service.repository.prune_questions(T0 - timedelta(days=90)) == 1


def test_import_problems_name_file_entry_and_field_and_nothing_is_returned(tmp_path):
    raw = [
        {"id": "a1", "role": "Beratung", "organisation": "o-x", "deputy": "zz", "languages": ["de", "Deutsch"]},
        {"id": "a1", "role": "", "organisation": "Verein", "status": "krank", "last_confirmed": "2026-13-01",
         "contact": {"email": "kein-mail", "matrix": "lotse"}, "visibility": "geheim"},
    ]
    with pytest.raises(DirectoryImportError) as caught:
        parse_entries(raw, "net.yaml", {"o-y": "Verein Y"})
    problems = "\n".join(caught.value.problems)
    for expected in (
        "net.yaml: entry 1 (a1), field 'id': appears more than once",
        "entry 1 (a1), field 'organisation': 'o-x' is not in the organisations list",
        "entry 1 (a1), field 'deputy': refers to 'zz', which is not in the file",
        "entry 1 (a1), field 'languages': 'Deutsch' is not a language code",
        "entry 2 (a1), field 'role': is required",
        "entry 2 (a1), field 'status': 'krank' is not one of",
        "entry 2 (a1), field 'last_confirmed'",
        "entry 2 (a1), field 'email': 'kein-mail' is not an e-mail address",
        "entry 2 (a1), field 'matrix': 'lotse' is not a Matrix id",
        "entry 2 (a1), field 'visibility': 'geheim' is not one of",
    ):
        assert expected in problems


async def test_a_failed_import_stores_nothing(service):
    entries = parse_entries([{"id": "b1", "role": "R", "organisation": "O", "deputy": None}], "x")
    broken = entries + [entries[0].with_changes(id="b2", deputy="missing")]
    with pytest.raises(DirectoryImportError):
        await service.import_entries(broken, "test", T0)
    assert await service.repository.all() == []


def test_yaml_and_csv_exports_read_back_to_the_same_entries(tmp_path):
    entries = read_file(ROOT / "config" / "demo-network.yaml")
    csv_file = tmp_path / "dir.csv"
    csv_file.write_text(to_csv(entries))
    assert read_file(csv_file) == entries
    exported = yaml.safe_load(to_yaml(entries))["directory"]
    assert parse_entries(exported, "export.yaml") == entries
