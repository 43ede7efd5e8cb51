"""Dates and durations spelled out for people ("Dienstag, 3. März 2026, 10:00 Uhr").

Accessibility (DOMAIN.md §7): never a bare numeric date in a message.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta

_PATTERNS = {
    "de": "EEEE, d. MMMM y, HH:mm 'Uhr'",
    "en": "EEEE, d MMMM y, HH:mm",
}


def spell_datetime(moment: datetime, lang: str, timezone: str = "Europe/Berlin") -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return format_datetime(local, _PATTERNS.get(lang, _PATTERNS["de"]), locale=lang)


def spell_duration(span: timedelta, lang: str) -> str:
    """Exact to the minute, in at most two units: '90 Minuten' is '1 Stunde und 30 Minuten',
    never rounded to '2 Stunden'. Under a minute: '0 Minuten'."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    parts = [format_timedelta(timedelta(**{f"{unit}s": amount}), granularity=unit, threshold=10**9, locale=lang)
             for amount, unit in units if amount][:2]
    if not parts:
        return format_timedelta(timedelta(0), granularity="minute", threshold=10**9, locale=lang)
    return f" {'und' if lang == 'de' else 'and'} ".join(parts)


_DAY_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y")


def parse_day(text: str) -> date | None:
    """A calendar day written as 31.12.2026, 31.12.26 or 2026-12-31 (day before month, always)."""
    for fmt in _DAY_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def spell_date(day: date, lang: str) -> str:
    """'Dienstag, 3. März 2026' / 'Tuesday, 3 March 2026'."""
    return format_date(day, "EEEE, d. MMMM y" if lang == "de" else "EEEE, d MMMM y", locale=lang)
