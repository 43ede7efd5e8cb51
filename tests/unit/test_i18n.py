"""The German and English catalogues stay in step."""
from __future__ import annotations

import string

from commands import build_registry
from commands.i18n import catalogue, t


def placeholders(message) -> set[str]:
    """The {placeholders} of a message; of all its plural forms, if it has some."""
    forms = message.values() if isinstance(message, dict) else [message]
    return {name for text in forms for _, name, _, _ in string.Formatter().parse(text) if name}


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


def test_plural_forms_follow_babel_cldr_rules():
    assert t("de", "privacy.redacted", count=1) == "Ich habe 1 meiner Nachrichten gelöscht, in der du genannt wurdest."
    assert t("de", "privacy.redacted", count=3).startswith("Ich habe 3 meiner Nachrichten gelöscht, in denen")
    assert t("en", "digest.attention_stale", count=1, ids="p03").startswith("1 directory entry unchecked")
    assert t("en", "digest.attention_stale", count=2, ids="p03, p04").startswith("2 directory entries unchecked")
    for lang in ("de", "en"):
        for key, message in catalogue(lang).items():
            if isinstance(message, dict):
                assert "one" in message and "other" in message, key


def test_recurrences_are_spelled_with_babel_day_names_and_catalogue_phrases():
    from commands.i18n import describe_rule

    assert describe_rule("FREQ=WEEKLY;BYDAY=FR", "de") == "jeden Freitag"
    assert describe_rule("FREQ=MONTHLY;BYDAY=-1WE", "en") == "every last Wednesday of the month"
    assert describe_rule("FREQ=DAILY", "de") == "täglich"
