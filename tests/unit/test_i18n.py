"""The German and English catalogues stay in step."""
from __future__ import annotations

import string

from commands.i18n import catalogue, t
from commands import build_registry


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders():
    de, en = catalogue("de"), catalogue("en")
    assert sorted(de) == sorted(en)
    mismatched = [key for key in de if placeholders(de[key]) != placeholders(en[key])]
    assert mismatched == []


def test_every_command_has_help_and_labels_in_both_languages():
    for command in build_registry().commands:
        assert command.help["de"] and command.help["en"]
        for arg in command.args:
            assert arg.label["de"] and arg.label["en"]


def test_messages_are_filled_in():
    assert t("en", "error.internal", incident="abc123").startswith("Something went wrong (error ID abc123)")
    assert "Fehler-ID abc123" in t("de", "error.internal", incident="abc123")
