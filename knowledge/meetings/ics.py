"""Meetings as iCalendar files (RFC 5545), for Outlook and Thunderbird."""
from __future__ import annotations

from icalendar import Calendar, Event, vDuration, vRecur

from knowledge.meetings.model import Meeting


def ics_calendar(meetings: list[Meeting]) -> bytes:
    """An iCalendar file (RFC 5545) with the zone's definition, for Outlook and Thunderbird."""
    calendar = Calendar()
    calendar.add("prodid", "-//Lotse//Integrationsnetzwerk//DE")
    calendar.add("version", "2.0")
    for item in meetings:
        event = Event()
        event.add("uid", f"lotse-meeting-{item.id}@lotse")
        event.add("summary", item.title)
        event.add("dtstart", item.start)
        event.add("duration", vDuration(item.duration).dt)
        event.add("dtstamp", item.start)
        if item.rrule:
            event.add("rrule", vRecur.from_ical(item.rrule))
        for skipped in item.exdates:
            event.add("exdate", skipped)
        if item.location:
            event.add("location", item.location)
        if item.video_link:
            event.add("url", item.video_link)
            event.add("description", item.video_link)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical
