"""Configuration: the example loads, bad files list every problem, the CLI exits 2."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.__main__ import main
from bot.config import ConfigError, load_config, parse_config
from bot.starter import starter_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "lotse.example.yaml"


def minimal(**overrides) -> dict:
    data = {
        "matrix": {"homeserver": "https://hs.example.org", "user_id": "@lotse:example.org"},
        "storage": {"data_dir": "/tmp/lotse"},
        "network": {"name": "Netz", "coordination_room": "#koord:example.org"},
    }
    data.update(overrides)
    return data


def test_the_commented_example_config_loads():
    config = load_config(EXAMPLE)
    assert config.matrix.user_id == "@lotse:landkreis-beispiel.example.org"
    assert [hf.id for hf in config.network.handlungsfelder] == ["hf-gesundheit", "hf-arbeit"]
    assert config.bot.timezone == "Europe/Berlin"


def test_defaults_fill_what_is_left_out(tmp_path):
    config = parse_config(minimal(storage={"data_dir": str(tmp_path)}))
    assert config.bot.default_language == "de"
    assert config.bot.catch_up_minutes == 15
    assert config.database_url == f"sqlite:///{tmp_path / 'lotse.db'}"


def test_every_problem_is_reported_at_once_with_its_key_path():
    data = minimal(
        matrix={"homeserver": "matrix.example.org", "user_id": "lotse", "pasword_env": "X"},
        bot={"timezone": "Europe/Atlantis", "default_language": "fr"},
    )
    data["network"]["handlungsfelder"] = [{"id": "HF Eins", "name_de": "a", "name_en": "b", "room": "hf1"}]
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    problems = "\n".join(caught.value.problems)
    assert "matrix.homeserver: must be a URL" in problems
    assert "matrix.user_id: must look like @name:server, e.g. @lotse:example.org" in problems
    assert "matrix.pasword_env: is not a known setting" in problems
    assert "bot.timezone: is not a known time zone" in problems
    assert "bot.default_language: must be 'de' or 'en'" in problems
    assert "network.handlungsfelder.0.id: must use lower-case letters" in problems
    assert "network.handlungsfelder.0.room: must be a room alias" in problems
    assert len(caught.value.problems) == 7


def test_duplicate_handlungsfeld_ids_are_refused():
    hf = {"id": "hf-a", "name_de": "A", "name_en": "A", "room": "#a:example.org"}
    data = minimal()
    data["network"]["handlungsfelder"] = [hf, dict(hf, room="#b:example.org")]
    with pytest.raises(ConfigError, match="appears twice"):
        parse_config(data)


def test_check_config_exits_2_with_a_readable_list_and_no_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("matrix:\n  homeserver: nope\nstorage: {}\n")
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "matrix.homeserver" in err and "storage.data_dir: is required but missing" in err
    assert "network: is required but missing" in err
    assert "Traceback" not in err


def test_check_config_reports_broken_yaml_with_its_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("matrix:\n  homeserver: [unclosed\n")
    assert main(["check-config", str(bad)]) == 2
    assert "is not valid YAML at line" in capsys.readouterr().err


def test_check_config_accepts_the_example(capsys):
    assert main(["check-config", str(EXAMPLE)]) == 0
    assert "OK (2 Handlungsfelder, 3 rooms)" in capsys.readouterr().out


def test_init_writes_a_valid_config_from_the_demo_network_without_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_PASSWORD", "super-secret-pw")
    text = starter_config(
        "http://127.0.0.1:8008", "@lotse:integration.example", tmp_path, ROOT / "config" / "demo-network.yaml"
    )
    assert "super-secret-pw" not in text
    config = parse_config(yaml.safe_load(text))
    assert len(config.network.handlungsfelder) == 9
    gesundheit = next(hf for hf in config.network.handlungsfelder if hf.id == "hf-gesundheit")
    assert gesundheit.room == "#hf-gesundheit:integration.example"
    assert gesundheit.lik == ("HF6",)
    assert "@m.hollenbach:integration.example" in gesundheit.coordinators
    assert config.access.coordinators == ("@k.vogelsang:integration.example",)
    assert config.access.allowed_servers == ("integration.example",)


def test_init_cli_prints_yaml(tmp_path, capsys):
    code = main(["init", "--homeserver", "http://127.0.0.1:8008", "--user-id", "@lotse:example.org",
                 "--data-dir", str(tmp_path), "--allow-server", "partner.example.org"])
    assert code == 0
    config = parse_config(yaml.safe_load(capsys.readouterr().out))
    assert config.access.allowed_servers == ("partner.example.org",)


def test_init_refuses_a_bad_user_id(tmp_path, capsys):
    code = main(["init", "--homeserver", "http://127.0.0.1:8008", "--user-id", "lotse", "--data-dir", str(tmp_path)])
    assert code == 2
    assert "user_id" in capsys.readouterr().err


def test_export_ics_writes_the_meetings(tmp_path, capsys):
    import asyncio

    from bot.__main__ import run_import

    config_file = tmp_path / "lotse.yaml"
    config_file.write_text(starter_config("http://127.0.0.1:8008", "@lotse:integration.example", tmp_path,
                                          ROOT / "config" / "demo-network.yaml"))
    asyncio.run(run_import(load_config(config_file), ROOT / "config" / "demo-network.yaml"))
    out = tmp_path / "all.ics"
    assert main(["export", "ics", "--config", str(config_file), "--out", str(out)]) == 0
    text = out.read_text()
    assert text.count("BEGIN:VEVENT") == 2 and "RRULE:FREQ=YEARLY;BYDAY=+3WE;BYMONTH=2,6,10" in text
    assert "EXDATE;TZID=Europe/Berlin:20260804T100000" in text and "BEGIN:VTIMEZONE" in text


def test_check_config_warns_when_servers_do_not_fit_together(tmp_path, capsys):
    data = minimal(access={"coordinators": ["@k:partner.example.net"], "allowed_servers": ["partner.example.net"]})
    data["matrix"]["homeserver"] = "https://matrix.elsewhere.example.com"
    data["network"]["handlungsfelder"] = [{"id": "hf-a", "name_de": "A", "name_en": "A", "room": "#a:partner.example.net"}]
    data["storage"]["data_dir"] = str(tmp_path)
    path = tmp_path / "lotse.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["check-config", str(path)]) == 0  # usable, but:
    captured = capsys.readouterr()
    assert "OK (1 Handlungsfelder, 2 rooms, 4 warning(s))" in captured.out
    err = captured.err
    assert "matrix.homeserver: https://matrix.elsewhere.example.com does not look like the homeserver of example.org" in err
    assert "network.handlungsfelder.0.room: 1 room(s) on partner.example.net (#a:partner.example.net), Lotse is on example.org" in err
    assert "access.coordinators: 1 coordinator(s) or admin(s) on partner.example.net (@k:partner.example.net)" in err
    assert "access.allowed_servers: does not include Lotse's own server example.org" in err


@pytest.mark.parametrize("homeserver", ["https://example.org", "https://matrix.example.org/", "http://127.0.0.1:8008",
                                        "http://localhost:8008"])
def test_no_warning_for_a_config_whose_servers_fit(homeserver):
    from bot.config import config_warnings

    data = minimal(access={"coordinators": ["@k:example.org"], "allowed_servers": ["example.org", "partner.example.net"]})
    data["matrix"]["homeserver"] = homeserver
    assert config_warnings(parse_config(data)) == []
    assert config_warnings(load_config(EXAMPLE)) == []


@pytest.mark.parametrize("text, what", [
    ("matrix:\n  homeserver: [unclosed\n", 'line 2, column 15 ("homeserver: [unclosed"): a list in [brackets] is not closed'),
    ("matrix:\n\thomeserver: x\n", "line 2, column 1 (\"homeserver: x\"): there is a tab"),
    ("matrix:\n  user_id: @lotse:example.org\n", 'a value starting with @ must be in quotes, e.g. "@lotse:example.org"'),
    ("matrix:\n  homeserver: http://x: y\n", "there is a colon where none is expected"),
    ("matrix:\n  homeserver: x\n storage: 1\n", "line 3, column 2 (\"storage: 1\"): the indentation of this line does not fit"),
    ('network:\n  name: "Netz\nstorage: 1\n', 'line 2, column 9 ("name: "Netz"): a quote is not closed'),
])
def test_broken_yaml_is_explained_with_its_line(tmp_path, capsys, text, what):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert what in err
    assert "is not valid YAML at line" in err and "while scanning" not in err and "Traceback" not in err


@pytest.mark.parametrize("override, expected", [
    ({"storage": {"data_dir": 5}}, "storage.data_dir: must be a path (text), e.g. /var/lib/lotse"),
    ({"storage": {"data_dir": None}}, "storage.data_dir: must be a path (text)"),
    ({"storage": "x"}, "storage: must be a section of 'key: value' lines"),
    ({"bot": {"catch_up_minutes": -1}}, "bot.catch_up_minutes: must be at least 0"),
    ({"bot": {"catch_up_minutes": 1.5}}, "bot.catch_up_minutes: must be a whole number"),
    ({"bot": {"flood_limit": 99999}}, "bot.flood_limit: must be at most 10000"),
    ({"access": {"coordinators": "@a:example.org"}}, "access.coordinators: must be a list"),
    ({"encryption": {"trust": "some"}}, "encryption.trust: must be 'all' or 'cross_signed'"),
    ({"meetings": {"minutes_approval": "vielleicht"}}, "meetings.minutes_approval: must be true or false"),
    ({"network": None}, "network: must be a section of 'key: value' lines"),
    ({"directory": {"synonyms": "/nope.yaml"}}, "directory.synonyms: must be a list"),
])
def test_wrong_values_get_a_sentence_never_the_library_message(override, expected):
    with pytest.raises(ConfigError) as caught:
        parse_config(minimal(**override))
    [problem] = caught.value.problems
    assert problem.startswith(expected)
    for library_words in ("<class", "Input should", "valid dictionary", "instance of", "valid tuple", "Value error"):
        assert library_words not in problem


def test_without_password_or_token_run_and_crypto_name_the_variables(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("LOTSE_PASSWORD", raising=False)
    monkeypatch.delenv("LOTSE_ACCESS_TOKEN", raising=False)
    path = tmp_path / "lotse.yaml"
    path.write_text(yaml.safe_dump(minimal(storage={"data_dir": str(tmp_path / "data")})))
    for argv in (["crypto", "status", "--config", str(path)], ["run", "--config", str(path)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "set the environment variable LOTSE_PASSWORD" in err and "LOTSE_ACCESS_TOKEN" in err
        assert "homeserver could not be used" not in err
