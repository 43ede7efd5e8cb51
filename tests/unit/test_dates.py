"""Dates as people write them — and every way they can go wrong — plus recurrence across DST."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from commands.i18n import describe_rule
from knowledge.dates import DateError, localize, next_occurrence, occurrences, parse_offsets, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc)  # Tuesday, 3 March 2026, 09:00 in Berlin


def at(text: str, now: datetime = NOW):
    return parse_when(text, now, BERLIN)


def local(when) -> str:
    return when.start.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("text, expected", [
    ("morgen 14 Uhr", "2026-03-04 14:00"),
    ("übermorgen 9:30", "2026-03-05 09:30"),
    ("uebermorgen um 9", "2026-03-05 09:00"),
    ("heute 15:00", "2026-03-03 15:00"),
    ("14 Uhr", "2026-03-03 14:00"),
    ("8 Uhr", "2026-03-04 08:00"),  # already past today: tomorrow
    ("Di 17.3. 9:30", "2026-03-17 09:30"),
    ("17.3.2026 9.30 Uhr", "2026-03-17 09:30"),
    ("17.03.26 10:00", "2026-03-17 10:00"),
    ("2.2. 10 Uhr", "2027-02-02 10:00"),  # a past day without a year means next year
    ("Dienstag, 17. März 2026, 10:00 Uhr", "2026-03-17 10:00"),
    ("Freitag 11 Uhr", "2026-03-06 11:00"),
    ("Dienstag 11 Uhr", "2026-03-10 11:00"),  # a weekday name is never today
    ("2026-03-17", "2026-03-17 09:00"),
    ("2026-03-17T10:00", "2026-03-17 10:00"),
    ("2026-03-17T10:00+00:00", "2026-03-17 11:00"),
    ("in 2 Stunden", "2026-03-03 11:00"),
    ("in 30 Minuten", "2026-03-03 09:30"),
    ("in 3 Tagen", "2026-03-06 09:00"),
    ("tomorrow 2pm", "2026-03-04 14:00"),
    ("next Tuesday 2pm", "2026-03-10 14:00"),
    ("Tuesday 17 March 2026 at 2:30 pm", "2026-03-17 14:30"),
    ("in 2 hours", "2026-03-03 11:00"),
    ("the day after tomorrow at 10", "2026-03-05 10:00"),
])
def test_german_and_english_dates(text, expected):
    assert local(at(text)) == expected


@pytest.mark.parametrize("text, reason", [
    ("30.02.2026 10:00", "impossible"),
    ("31.4.2026 10 Uhr", "impossible"),
    ("2026-02-30T10:00", "impossible"),
    ("gestern 10 Uhr", "past"),
    ("1.3.2026 10:00", "past"),
    ("3/4 10 Uhr", "ambiguous_date"),
    ("Mi 17.3. 9:30", "weekday_mismatch"),
    ("29.3.2026 2:30", "nonexistent"),  # the hour skipped when clocks go forward
    ("25.10.2026 2:30", "ambiguous_time"),  # the hour that happens twice in October
    ("morgen um Mitternacht", "unknown_words"),
    ("irgendwann", "unknown_words"),
    ("25:00", "bad_time"),
    ("", "empty"),
    ("jeden Dienstag", "time_missing"),
])
def test_bad_dates_are_refused_with_a_reason(text, reason):
    with pytest.raises(DateError) as caught:
        at(text)
    assert caught.value.reason == reason


def test_recurrence_phrases_become_rrules():
    assert at("jeden ersten Dienstag im Monat um 10 Uhr").rrule == "FREQ=MONTHLY;BYDAY=+1TU"
    assert at("every first Tuesday of the month at 10am").rrule == "FREQ=MONTHLY;BYDAY=+1TU"
    assert at("jeden letzten Freitag im Monat 14 Uhr").rrule == "FREQ=MONTHLY;BYDAY=-1FR"
    assert at("alle 2 Wochen am Montag 9 Uhr").rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    assert at("every 2 weeks on Monday at 9").rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    assert at("jeden Mittwoch 16 Uhr").rrule == "FREQ=WEEKLY;BYDAY=WE"
    yearly = at("jährlich ab 18.2.2027 um 9:30")
    assert yearly.rrule == "FREQ=YEARLY" and local(yearly) == "2027-02-18 09:30"
    assert describe_rule("FREQ=MONTHLY;BYDAY=+1TU", "de") == "jeden 1. Dienstag im Monat"
    assert describe_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "en") == "every 2 weeks on Monday"


def test_a_weekly_ten_oclock_meeting_stays_at_ten_across_both_clock_changes():
    start = localize(datetime(2026, 3, 17, 10, 0), BERLIN)
    found = occurrences(start, "FREQ=WEEKLY;BYDAY=TU", BERLIN, start - timedelta(minutes=1),
                        datetime(2026, 11, 10, tzinfo=timezone.utc))
    assert {o.strftime("%H:%M") for o in found} == {"10:00"}
    offsets = {o.utcoffset() for o in found}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}  # winter and summer time
    around_march = [o for o in found if o.month in (3, 4)]
    assert [o.isoformat() for o in around_march[1:3]] == ["2026-03-24T10:00:00+01:00", "2026-03-31T10:00:00+02:00"]
    around_october = [o for o in found if o.month in (10, 11)]
    assert "2026-10-20T10:00:00+02:00" in [o.isoformat() for o in around_october]
    assert "2026-10-27T10:00:00+01:00" in [o.isoformat() for o in around_october]


def test_a_series_at_a_skipped_wall_clock_time_moves_forward_not_into_a_loop():
    start = localize(datetime(2026, 3, 22, 2, 30), BERLIN)
    found = occurrences(start, "FREQ=WEEKLY;BYDAY=SU", BERLIN, start - timedelta(minutes=1),
                        datetime(2026, 4, 10, tzinfo=timezone.utc))
    assert [o.isoformat() for o in found] == [
        "2026-03-22T02:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-04-05T02:30:00+02:00",
    ]


def test_the_demo_plenum_rule_and_exception_dates():
    start = localize(datetime(2026, 2, 18, 9, 30), BERLIN)
    rule = "FREQ=YEARLY;BYMONTH=2,6,10;BYDAY=+3WE"
    found = occurrences(start, rule, BERLIN, datetime(2026, 11, 22, tzinfo=timezone.utc), datetime(2027, 12, 1, tzinfo=timezone.utc))
    assert [o.strftime("%Y-%m-%d %H:%M") for o in found] == ["2027-02-17 09:30", "2027-06-16 09:30", "2027-10-20 09:30"]
    monthly = localize(datetime(2026, 1, 6, 10, 0), BERLIN)
    skip = frozenset({localize(datetime(2026, 8, 4, 10, 0), BERLIN)})
    after = datetime(2026, 7, 20, tzinfo=timezone.utc)
    assert next_occurrence(monthly, "FREQ=MONTHLY;BYDAY=+1TU", BERLIN, after, skip).date().isoformat() == "2026-09-01"


def test_reminder_offsets():
    assert parse_offsets("1d, 1h") == (timedelta(days=1), timedelta(hours=1))
    assert parse_offsets("2 Tage und 30 Minuten") == (timedelta(days=2), timedelta(minutes=30))
    assert parse_offsets("1 week") == (timedelta(weeks=1),)
    for bad in ("bald", "2 Monate", "1d und bald", ""):
        with pytest.raises(DateError):
            parse_offsets(bad)


def test_the_daily_directory_check_time_follows_wall_clock_across_dst():
    from knowledge.dates import next_local_time

    before_spring = datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc)
    assert next_local_time(before_spring, 9, 0, BERLIN).isoformat() == "2026-03-29T09:00:00+02:00"
    assert next_local_time(before_spring, 2, 30, BERLIN).isoformat() == "2026-03-29T03:30:00+02:00"  # skipped: forward
    before_autumn = datetime(2026, 10, 24, 12, 0, tzinfo=timezone.utc)
    assert next_local_time(before_autumn, 9, 0, BERLIN).isoformat() == "2026-10-25T09:00:00+01:00"


def test_parse_day_reads_the_same_words_as_parse_when():
    from datetime import date

    from knowledge.dates import parse_day

    today = date(2026, 3, 3)  # a Tuesday
    assert parse_day("31.12.2026") == parse_day("2026-12-31") == parse_day("31.12.26") == date(2026, 12, 31)
    assert parse_day("Freitag", today) == date(2026, 3, 6)
    assert parse_day("morgen", today) == date(2026, 3, 4)
    assert parse_day("17.3.", today) == date(2026, 3, 17) and parse_day("1.3.", today) == date(2027, 3, 1)
    assert parse_day("1.4.", today, past=True) == date(2025, 4, 1)  # "seit 1.4." looks back
    assert parse_day("Freitag") is None  # without a reference day only complete dates count
    for bad in ("30.02.2026", "3/4", "irgendwann", "", "Freitag Samstag"):
        assert parse_day(bad, today) is None, bad


def test_one_duration_grammar_for_lengths_and_reminder_offsets():
    from knowledge.dates import parse_duration

    assert parse_duration("90") == parse_duration("90 min") == parse_duration("1,5 h") == timedelta(minutes=90)
    assert parse_duration("1 Stunde und 30 Minuten") == timedelta(minutes=90)
    assert parse_offsets("1d 1h") == (timedelta(days=1), timedelta(hours=1))
    for bad in ("ewig", "2 Monate", "5 parsecs"):
        with pytest.raises(DateError):
            parse_duration(bad)
