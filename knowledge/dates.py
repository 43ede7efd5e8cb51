"""Dates and times as people write them in chat, German and English — strictly.

Accepted (case-insensitive, German and English words mixed freely):
    heute / today, morgen / tomorrow, übermorgen / the day after tomorrow
    Montag … Sonntag, Mo … So, Monday … Sunday, Mon … Sun   (the next such day; "nächsten"/"next" allowed)
    17.3. · 17.3.2026 · 17.03.26 · 2026-03-17 (ISO)        (day before month, always; never 3/17)
    in 2 Stunden / in 30 Minuten / in 3 Tagen / in 1 Woche · in 2 hours / in 30 minutes / in 3 days
    times: 14 Uhr · 14:30 · 9.30 Uhr · 2pm · 2:30 pm · um 10 / at 10
    ISO 8601 date-times: 2026-03-17T10:00 (local time unless an offset is given)
Refused with a reason, never guessed: impossible dates (30. Februar), dates in the past,
input left over after parsing, ambiguous slashes (3/4), and local times that do not exist
(the hour skipped in March) or exist twice (the hour repeated in October).

Recurrence ("jeden ersten Dienstag im Monat um 10 Uhr", "alle 2 Wochen am Montag",
"every first Tuesday of the month at 10am", "jährlich") becomes an RRULE; occurrences are
computed on local wall-clock times with dateutil and then given the zone's offset, so a
weekly 10:00 meeting stays at 10:00 across both clock changes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta
from babel.lists import format_list
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from knowledge.text import fold


class DateError(ValueError):
    """Input that cannot be read as a date. `reason` names a catalogue key suffix."""

    def __init__(self, reason: str, **params: object):
        super().__init__(reason)
        self.reason = reason
        self.params = params


WEEKDAYS = {
    "montag": 0, "mo": 0, "monday": 0, "mon": 0,
    "dienstag": 1, "di": 1, "tuesday": 1, "tue": 1, "tues": 1,
    "mittwoch": 2, "mi": 2, "wednesday": 2, "wed": 2,
    "donnerstag": 3, "do": 3, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "freitag": 4, "fr": 4, "friday": 4, "fri": 4,
    "samstag": 5, "sa": 5, "sonnabend": 5, "saturday": 5, "sat": 5,
    "sonntag": 6, "so": 6, "sunday": 6, "sun": 6,
}
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # RFC 5545 day codes
ORDINALS = {
    "ersten": 1, "erster": 1, "erste": 1, "1.": 1, "first": 1, "1st": 1,
    "zweiten": 2, "zweiter": 2, "zweite": 2, "2.": 2, "second": 2, "2nd": 2,
    "dritten": 3, "dritter": 3, "dritte": 3, "3.": 3, "third": 3, "3rd": 3,
    "vierten": 4, "vierter": 4, "vierte": 4, "4.": 4, "fourth": 4, "4th": 4,
    "letzten": -1, "letzter": -1, "letzte": -1, "last": -1,
}
UNITS = {
    "minute": "minutes", "minuten": "minutes", "min": "minutes", "minutes": "minutes", "mins": "minutes",
    "stunde": "hours", "stunden": "hours", "std": "hours", "hour": "hours", "hours": "hours", "h": "hours",
    "tag": "days", "tage": "days", "tagen": "days", "day": "days", "days": "days",
    "woche": "weeks", "wochen": "weeks", "week": "weeks", "weeks": "weeks",
    "monat": "months", "monate": "months", "monaten": "months", "month": "months", "months": "months",
}
FILLER = {"am", "um", "at", "on", "the", "of", "den", "dem", "im", "uhr", "next", "naechsten", "naechster",
          "naechste", "kommenden", "kommender", "this", "diesen", "ab", "from", "starting", "beginnend"}
RELATIVE_DAYS = {"heute": 0, "today": 0, "morgen": 1, "tomorrow": 1, "uebermorgen": 2, "gestern": -1, "yesterday": -1}
MONTHS = {
    "januar": 1, "jan": 1, "january": 1, "februar": 2, "feb": 2, "february": 2, "maerz": 3, "marz": 3, "mar": 3,
    "march": 3, "april": 4, "apr": 4, "mai": 5, "may": 5, "juni": 6, "jun": 6, "june": 6, "juli": 7, "jul": 7,
    "july": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "dezember": 12, "dez": 12, "december": 12, "dec": 12,
}


@dataclass(frozen=True)
class When:
    """A parsed point in time, optionally recurring."""

    start: datetime  # aware, in the zone it was read in
    rrule: str | None = None  # RRULE text (without DTSTART), for recurring events
    has_time: bool = True


def _normalise(text: str) -> str:
    text = fold(text)
    text = text.replace("the day after tomorrow", "uebermorgen")
    text = re.sub(r"(\d)\s*(am|pm)\b", r"\1\2", text)
    return re.sub(r"\s+", " ", text.replace(",", " ")).strip()


def localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """Attach the zone to a wall-clock time; refuse times that do not exist or exist twice."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        # fold=0 and fold=1 differ: the time is repeated (October) or skipped (March).
        roundtrip = first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None)
        if roundtrip != naive:
            raise DateError("nonexistent", time=naive.strftime("%H:%M"))
        raise DateError("ambiguous_time", time=naive.strftime("%H:%M"))
    return first


def _parse_time(tokens: list[str]) -> time | None:
    """Take a time off the token list (in place) if there is one."""
    for i, token in enumerate(tokens):
        match = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?(am|pm)?", token)
        if not match:
            continue
        is_time = bool(match.group(2) or match.group(3))
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        preceding = tokens[i - 1] if i else ""
        if not is_time and (following == "uhr" or preceding in {"um", "at", "gegen"}):
            is_time = True
        if not is_time:
            continue
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if match.group(3) == "pm" and hour < 12:
            hour += 12
        elif match.group(3) == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            raise DateError("bad_time", text=token)
        del tokens[i]
        if following == "uhr":
            del tokens[i]
        return time(hour, minute)
    return None


def _make_day(day: int, month: int, year: int | None, today: date, text: str, past: bool = False) -> date:
    try:
        found = date(year or today.year, month, day)
    except ValueError:
        raise DateError("impossible", text=text) from None
    if year is None and not past and found < today:
        found = date(today.year + 1, month, day)  # "17.3." in April means next March
    if year is None and past and found > today:
        found = date(today.year - 1, month, day)  # "seit 1.12." in March means last December
    return found


def _year(text: str | None) -> int | None:
    if not text:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _parse_day(tokens: list[str], today: date, past: bool = False) -> date | None:
    """Take a day off the token list (in place). An explicit date wins over a weekday name;
    if both are given they must agree."""
    found: date | None = None
    for i, token in enumerate(tokens):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", token):
            del tokens[i]
            try:
                found = date.fromisoformat(token)
            except ValueError:
                raise DateError("impossible", text=token) from None
            break
        match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})?", token)
        if match:
            del tokens[i]
            found = _make_day(int(match.group(1)), int(match.group(2)), _year(match.group(3)), today, token, past)
            break
        match = re.fullmatch(r"(\d{1,2})\.?", token)
        if match and i + 1 < len(tokens) and tokens[i + 1] in MONTHS:
            year = tokens[i + 2] if i + 2 < len(tokens) and re.fullmatch(r"\d{4}", tokens[i + 2]) else None
            text = " ".join(tokens[i:i + (3 if year else 2)])
            month = MONTHS[tokens[i + 1]]
            del tokens[i:i + (3 if year else 2)]
            found = _make_day(int(match.group(1)), month, _year(year), today, text, past)
            break
        if re.fullmatch(r"\d{1,2}/\d{1,2}(/\d{2,4})?", token):
            raise DateError("ambiguous_date", text=token)
    for i, token in enumerate(tokens):
        if token in RELATIVE_DAYS and found is None:
            del tokens[i]
            return today + timedelta(days=RELATIVE_DAYS[token])
        if token in WEEKDAYS:
            del tokens[i]
            if found is not None:
                if found.weekday() != WEEKDAYS[token]:
                    raise DateError("weekday_mismatch", day=found.isoformat())
                return found
            # A weekday name is the next such day, never today ("heute" is for today).
            return today + timedelta(days=(WEEKDAYS[token] - today.weekday() - 1) % 7 + 1)
    return found


def parse_day(text: str, today: date | None = None, *, past: bool = False) -> date | None:
    """One calendar day, with the same words as `parse_when`: 31.12.2026, 31.12.26, 2026-12-31,
    "3. März 2027" and — given `today` — 17.3. (the next one; with `past` the last one),
    heute/morgen, weekday names. Day before month, always. None if the text is not one day
    (impossible dates included); callers answer with the format to use."""
    tokens = [t for t in _normalise(text).split(" ") if t]
    if not tokens:
        return None
    if today is None:
        # Without a reference day only complete dates count.
        if any(t in RELATIVE_DAYS or t in WEEKDAYS for t in tokens):
            return None
        today = date.max
    try:
        found = _parse_day(tokens, today, past)
    except DateError:
        return None
    if found is None or [t for t in tokens if t not in FILLER]:
        return None
    return found


def parse_when(text: str, now: datetime, zone: ZoneInfo, allow_past: bool = False) -> When:
    """One point in time, or a recurring one. Raises DateError with a reason."""
    raw = text.strip()
    if not raw:
        raise DateError("empty")
    iso = re.fullmatch(r"\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|z)?", raw.lower())
    if iso:
        try:
            parsed = datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
        except ValueError:
            raise DateError("impossible", text=raw) from None
        start = parsed.astimezone(zone) if parsed.tzinfo else localize(parsed, zone)
        return _check_future(When(start), now, allow_past)
    tokens = _normalise(raw).split(" ")
    local_now = now.astimezone(zone)
    recurrence = _parse_recurrence(tokens, local_now.date())
    relative = re.fullmatch(r"in (\d+) (\w+)", " ".join(tokens))
    if relative and recurrence is None:
        amount, unit = int(relative.group(1)), UNITS.get(relative.group(2))
        if unit is None:
            raise DateError("unknown_words", words=relative.group(2))
        start = (now + relativedelta(**{unit: amount})).astimezone(zone)  # type: ignore[arg-type]  # kwargs by unit name
        return When(start.replace(second=0, microsecond=0))
    at = _parse_time(tokens)
    if recurrence is not None:
        rule, first_day = recurrence
        if at is None:
            raise DateError("time_missing")
        leftover = [t for t in tokens if t not in FILLER]
        if leftover:
            raise DateError("unknown_words", words=" ".join(leftover))
        naive_rule = rrulestr(rule, dtstart=datetime.combine(first_day or local_now.date(), at))
        first = naive_rule.after(local_now.replace(tzinfo=None), inc=True)
        if first is None:
            raise DateError("no_occurrence")
        return When(localize(first, zone), rule)
    day = _parse_day(tokens, local_now.date())
    leftover = [t for t in tokens if t not in FILLER]
    if leftover:
        raise DateError("unknown_words", words=" ".join(leftover))
    if day is None and at is None:
        raise DateError("not_understood", text=raw)
    if day is None:
        day = local_now.date()
        if at is not None and at <= local_now.time().replace(tzinfo=None):
            day += timedelta(days=1)  # "14 Uhr" after 14:00 means tomorrow
    if at is None:
        return _check_future(When(localize(datetime.combine(day, time(9, 0)), zone), has_time=False), now, allow_past, day_only=True)
    return _check_future(When(localize(datetime.combine(day, at), zone)), now, allow_past)


def _check_future(when: When, now: datetime, allow_past: bool, day_only: bool = False) -> When:
    if allow_past:
        return when
    if day_only and when.start.date() >= now.astimezone(when.start.tzinfo).date():
        return when
    if when.start <= now:
        raise DateError("past")
    return when


def _parse_recurrence(tokens: list[str], today: date) -> tuple[str, date | None] | None:
    """Find and remove a recurrence phrase; return the RRULE text and an optional first day."""
    text = " ".join(tokens)
    if text.lower().startswith("rrule:") or text.startswith("freq="):
        raise DateError("rrule_needs_time")
    patterns = [
        # jeden ersten Dienstag im Monat / every first tuesday of the month
        (r"(?:jeden|jede|every) (\S+) (\w+) (?:im|of the|in the|of) (?:monat|month)", "monthly_nth"),
        (r"(?:jeden|every) (\w+) (?:alle|every) (\d+) (?:wochen|weeks)", "weekly_n_day_first"),
        (r"(?:alle|every) (\d+) (?:wochen|weeks) (?:am|on)? ?(\w+)", "weekly_n"),
        (r"(?:jeden|jede|every|immer) (\w+)", "weekly"),
        (r"(?:taeglich|daily|every day|jeden tag)", "daily"),
        (r"(?:monatlich|monthly)", "monthly"),
        (r"(?:jaehrlich|yearly|annually|every year|jedes jahr)", "yearly"),
        (r"(?:woechentlich|weekly)", "weekly_plain"),
    ]
    for pattern, kind in patterns:
        match = re.search(pattern, text)
        if not match:
            continue
        first_day = None
        if kind == "monthly_nth":
            nth, day = ORDINALS.get(match.group(1)), WEEKDAYS.get(match.group(2))
            if nth is None or day is None:
                continue
            rule = f"FREQ=MONTHLY;BYDAY={nth:+d}{RRULE_DAYS[day]}"
        elif kind in ("weekly_n", "weekly_n_day_first"):
            interval, day_word = (match.group(1), match.group(2)) if kind == "weekly_n" else (match.group(2), match.group(1))
            day = WEEKDAYS.get(day_word)
            if day is None:
                continue
            rule = f"FREQ=WEEKLY;INTERVAL={int(interval)};BYDAY={RRULE_DAYS[day]}"
        elif kind == "weekly":
            day = WEEKDAYS.get(match.group(1))
            if day is None:
                continue
            rule = f"FREQ=WEEKLY;BYDAY={RRULE_DAYS[day]}"
        else:
            rule = {"daily": "FREQ=DAILY", "monthly": "FREQ=MONTHLY", "yearly": "FREQ=YEARLY", "weekly_plain": "FREQ=WEEKLY"}[kind]
        rest = (text[: match.start()] + " " + text[match.end():]).split()
        if kind in ("monthly", "yearly", "weekly_plain", "daily"):
            # the day part, if any, says where the series starts ("monatlich ab 3.3.2027 um 10")
            probe = list(rest)
            first_day = _parse_day(probe, today) if any(re.fullmatch(r"[\d.\-]+", t) for t in probe) else None
            if first_day:
                rest = probe
            if kind == "monthly" and first_day:
                rule += f";BYMONTHDAY={first_day.day}"
        tokens[:] = rest
        return rule, first_day
    return None


# ----- occurrences on local wall-clock time ------------------------------------------------


def occurrences(start: datetime, rule: str | None, zone: ZoneInfo, after: datetime, before: datetime,
                exdates: frozenset[datetime] = frozenset(), limit: int = 500) -> list[datetime]:
    """Aware occurrence starts in (after, before], on wall-clock time in `zone`.

    The rule runs on naive local times (10:00 stays 10:00 whatever the offset); each result
    then gets the offset valid on its day. A wall-clock time that a clock change skips moves
    forward by the gap (02:30 → 03:30 on the March change); a repeated one takes the first.
    """
    local_start = start.astimezone(zone).replace(tzinfo=None)
    if rule is None:
        candidates = [local_start]
    else:
        series = rrulestr(rule, dtstart=local_start)
        lo = after.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
        hi = before.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
        candidates = series.between(lo, hi, inc=True)[: limit * 2]
    excluded = {e.astimezone(zone).replace(tzinfo=None) for e in exdates}
    out = []
    for naive in candidates:
        if naive in excluded:
            continue
        aware = naive.replace(tzinfo=zone, fold=0)
        if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != naive:
            aware = (naive + timedelta(hours=1)).replace(tzinfo=zone)  # skipped hour: move forward
        if after < aware <= before:
            out.append(aware)
        if len(out) >= limit:
            break
    return out


def next_occurrence(start: datetime, rule: str | None, zone: ZoneInfo, after: datetime,
                    exdates: frozenset[datetime] = frozenset(), horizon_days: int = 800) -> datetime | None:
    found = occurrences(start, rule, zone, after, after + timedelta(days=horizon_days), exdates, limit=1)
    return found[0] if found else None


def next_local_time(now: datetime, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The next moment after `now` at hour:minute wall-clock time (a time skipped by the
    clock change moves forward, as for every series here)."""
    # With tzinfo=zone attached directly, the wall-clock value is kept as it is.
    series_start = datetime.combine(now.astimezone(zone).date() - timedelta(days=1), time(hour, minute), tzinfo=zone)
    found = next_occurrence(series_start, "FREQ=DAILY", zone, now)
    if found is None:
        raise RuntimeError("no next local time found")
    return found


DURATION_UNITS = {**UNITS, "d": "days", "m": "minutes", "w": "weeks"}
_DURATION_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]*)")
_DURATION_REST = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]*)|[,;\s]|\bund\b|\band\b")


def _duration_parts(text: str, default_unit: str | None) -> list[timedelta]:
    """'1d, 1h, 30min' / '2 Tage und 1 Stunde' / '90' → one span per number with its unit."""
    folded = fold(text)
    found = _DURATION_PART.findall(folded)
    if not found or _DURATION_REST.sub("", folded):
        raise DateError("bad_duration", text=text)
    parts = []
    for amount, unit in found:
        key = DURATION_UNITS.get(unit) if unit else default_unit
        if key is None or key == "months":  # a month has no fixed length
            raise DateError("bad_duration", text=text)
        parts.append(timedelta(**{key: float(amount.replace(",", "."))}))
    return parts


def parse_duration(text: str, default_unit: str = "minutes") -> timedelta:
    """How long: '90' (minutes), '90 min', '1,5 h', '2 Stunden', '1 h 30 min'. The one duration
    parser; `parse_offsets` reads lists with the same words."""
    return sum(_duration_parts(text, default_unit), timedelta())


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """'1d, 1h, 30min' / '2 Tage und 1 Stunde' → offsets before an event, longest first."""
    try:
        offsets = set(_duration_parts(text, None))
    except DateError:
        raise DateError("bad_offsets", text=text) from None
    return tuple(sorted(offsets, reverse=True))


# ----- spelled out for people ("Dienstag, 3. März 2026, 10:00 Uhr") -----------------------
# Accessibility: never a bare numeric date in a message. Babel (CLDR) names the days,
# months and units in the reader's language.

_DATETIME_PATTERNS = {
    "de": "EEEE, d. MMMM y, HH:mm 'Uhr'",
    "en": "EEEE, d MMMM y, HH:mm",
}
_DATE_PATTERNS = {
    "de": "EEEE, d. MMMM y",
    "en": "EEEE, d MMMM y",
}


def spell_datetime(moment: datetime, lang: str, timezone: str = "Europe/Berlin") -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return format_datetime(local, _DATETIME_PATTERNS.get(lang, _DATETIME_PATTERNS["de"]), locale=lang)


def spell_date(day: date, lang: str) -> str:
    """'Dienstag, 3. März 2026' / 'Tuesday, 3 March 2026'."""
    return format_date(day, _DATE_PATTERNS.get(lang, _DATE_PATTERNS["de"]), locale=lang)


def spell_duration(span: timedelta, lang: str) -> str:
    """Exact to the minute, in at most two units: '90 Minuten' is '1 Stunde und 30 Minuten',
    never rounded to '2 Stunden'. Under a minute: '0 Minuten'."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units: list[tuple[int, Literal["day", "hour", "minute"]]] = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    parts = [format_timedelta(timedelta(**{f"{unit}s": amount}), granularity=unit, threshold=10**9, locale=lang)
             for amount, unit in units if amount][:2]
    if not parts:
        return format_timedelta(timedelta(0), granularity="minute", threshold=10**9, locale=lang)
    return format_list(parts, locale=lang)
