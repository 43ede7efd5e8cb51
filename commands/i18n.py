"""The vocabulary: one message catalogue per language in `commands/locales/`, plus what
Babel (CLDR) knows — day names, plural rules, lists. Every word a user reads comes from here
(dates and durations are spelled by Babel in knowledge.dates).

Keys and `{placeholders}` are identical across languages (a test checks it). A message
with forms per number is a mapping of CLDR plural categories (`one`, `other`, …); `t`
chooses by its `count` parameter.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.dates import get_day_names

LANGUAGES = ("de", "en")
LOCALES = Path(__file__).parent / "locales"


Message = str | dict[str, str]  # plain, or one text per CLDR plural category


@cache
def catalogue(lang: str) -> dict[str, Message]:
    with open(LOCALES / f"{lang}.yaml", encoding="utf-8") as fh:
        loaded: dict[str, Message] = yaml.safe_load(fh)
        return loaded


def t(lang: str, key: str, **params: object) -> str:
    """The message `key` in `lang`, with params filled in. Unknown keys are a bug."""
    lang = lang if lang in LANGUAGES else "de"
    message = catalogue(lang)[key]
    if isinstance(message, dict):
        count = params.get("count")
        if not isinstance(count, int):
            raise TypeError(f"{key} has plural forms and needs an integer count")
        message = message.get(Locale.parse(lang).plural_form(count), message["other"])
    return message.format(**params) if params else message


_RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def describe_rule(rule: str, lang: str) -> str:
    """A recurrence (RFC 5545 RRULE) in words: 'jeden 1. Dienstag im Monat', 'every 2 weeks on
    Monday'. Day names from Babel, the phrases from the catalogue."""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    freq, interval, byday = parts.get("FREQ"), int(parts.get("INTERVAL", 1)), parts.get("BYDAY", "")
    match = re.fullmatch(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", byday.split(",")[0]) if byday else None
    day = get_day_names("wide", locale=lang)[_RRULE_DAYS.index(match.group(2))] if match else None
    nth = int(match.group(1)) if match and match.group(1) else None
    if freq == "WEEKLY":
        if day is None:
            return t(lang, "rule.weekly")
        return t(lang, "rule.weekly_day", day=day) if interval == 1 else t(lang, "rule.weekly_interval", day=day, interval=interval)
    if freq == "MONTHLY" and nth:
        ordinal = t(lang, f"rule.nth.{'last' if nth == -1 else nth}") if nth in (1, 2, 3, 4, -1) else f"{nth}."
        return t(lang, "rule.monthly_nth", nth=ordinal, day=day)
    if freq == "YEARLY" and nth and parts.get("BYMONTH"):
        return t(lang, "rule.yearly_detail", rule=rule)
    if freq in ("DAILY", "MONTHLY", "YEARLY"):
        return t(lang, f"rule.{freq.lower()}")
    return rule


_REPORT_WORDS = ("title", "period", "generated", "decisions", "meetings", "actions", "id", "what", "status", "lik", "date",
                 "owner", "due", "none", "public")
_REGISTER_STATES = ("decided", "in_progress", "implemented", "postponed", "rejected", "superseded")
_WORK_STATES = ("open", "done", "published", "draft", "running")


def report_labels(lang: str) -> dict[str, Any]:
    """The words of a LIK report (knowledge.publishing.report) in `lang`."""
    lang = lang if lang in LANGUAGES else "de"
    labels: dict[str, Any] = {word: t(lang, f"report.{word}") for word in _REPORT_WORDS}
    labels["states"] = {**{s: t(lang, f"state.{s}") for s in _REGISTER_STATES},
                        **{s: t(lang, f"report.state.{s}") for s in _WORK_STATES}}
    labels["lang"] = lang
    return labels
