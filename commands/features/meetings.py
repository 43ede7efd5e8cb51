"""Meetings in chat: `!termin` and its subcommands, `!termine`, `!top` — and the posts before
a meeting (reminders with agenda and overdue action items, calls for agenda items).

Multi-field commands use one separator, `|`:
    !termin AG Gesundheit | jeden ersten Dienstag im Monat um 10 Uhr | 90 min | https://meet.example.org/ag
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from commands.context import CommandContext, Outgoing, Services
from commands.errors import BadArgument, NotFound, UserError
from commands.i18n import describe_rule, t
from commands.permission import Permission
from commands.registry import Arg, Router
from commands.render import Attachment, Bold, Doc, Item, Link, Reply
from knowledge.dates import (
    DateError,
    When,
    localize,
    parse_day,
    parse_duration,
    parse_offsets,
    parse_when,
    spell_date,
    spell_datetime,
    spell_duration,
)
from knowledge.meetings.ics import ics_calendar
from knowledge.meetings.model import DEFAULT_REMINDERS, Firing, Meeting
from knowledge.meetings.service import MeetingChanges
from knowledge.values import Destination, FiringKind

router = Router()
MAX_TITLE = 200
MAX_TEXT = 1000
URL = re.compile(r"https?://\S+")
SHORT = re.compile(r"^([MEAP])-?(\d{1,9})$", re.IGNORECASE)
REST = Arg("text", label={"de": "Angaben", "en": "details"}, rest=True, required=False)


def _zone(ctx: CommandContext) -> ZoneInfo:
    return ZoneInfo(ctx.services.network.timezone)


def _when(ctx: CommandContext, text: str, allow_past: bool = False) -> When:
    try:
        return parse_when(text, ctx.now, _zone(ctx), allow_past=allow_past)
    except DateError as exc:
        raise BadArgument(f"dates.{exc.reason}", **{"input": text, **exc.params}) from None


def _number(text: str, prefix: str) -> int:
    match = SHORT.match(text.strip())
    if not match or match.group(1).upper() != prefix:
        raise BadArgument("meetings.bad_id", text=text, example=f"{prefix}-3")
    return int(match.group(2))


def _spell(ctx: CommandContext, moment: datetime) -> str:
    return spell_datetime(moment, ctx.lang, ctx.services.network.timezone)



def _duration(ctx: CommandContext, text: str) -> timedelta:
    """A meeting's length: between five minutes and a day, to the minute."""
    try:
        span = parse_duration(text)
    except DateError:
        raise BadArgument("meetings.bad_duration", text=text) from None
    if not timedelta(minutes=5) <= span <= timedelta(days=1):
        raise BadArgument("meetings.bad_duration", text=text)
    return timedelta(minutes=round(span.total_seconds() / 60))


async def _meeting(ctx: CommandContext, text: str) -> Meeting:
    found = await ctx.services.meetings.meeting(_number(text, "M"))
    scopes = ctx.visible_scopes()
    if found is None or (scopes is not None and found.scope not in scopes):
        raise NotFound("meetings.not_found", id=text, list=ctx.cmd("meetings"))
    return found


def meeting_facts(ctx_lang: str, tz: str, meeting: Meeting, occurrence: datetime | None) -> list[Item]:
    facts: list[Item] = []
    if occurrence:
        facts.append(t(ctx_lang, "meetings.when", when=spell_datetime(occurrence, ctx_lang, tz),
                       duration=spell_duration(meeting.duration, ctx_lang)))
    if meeting.rrule:
        facts.append(t(ctx_lang, "meetings.repeats", rule=describe_rule(meeting.rrule, ctx_lang)))
    if meeting.location:
        facts.append(t(ctx_lang, "meetings.place", place=meeting.location))
    if meeting.public:
        facts.append(t(ctx_lang, "meetings.is_public"))
    if meeting.video_link:
        facts.append((t(ctx_lang, "meetings.video"), Link(meeting.video_link, t(ctx_lang, "meetings.video_link_text", title=meeting.title))))
    return facts


# ----- meetings ----------------------------------------------------------------------------


MEETING_ID = Arg("meeting_id", label={"de": "Nummer", "en": "id"})


@router.command(
    "meeting",
    aliases={"de": ("termin",)},
    args=(REST,),
    help={
        "de": "Legt einen Termin an: „!termin Titel | Zeit | Dauer | Ort oder Link“.",
        "en": "Creates a meeting: “!meeting title | time | duration | place or link”.",
    },
    permission=Permission.COORDINATOR,
)
async def meeting(ctx: CommandContext, text: str) -> Reply:
    return await _create(ctx, text)


@router.subcommand(
    "meeting", "ics", args=(MEETING_ID,),
    help={"de": "Schickt den Termin als .ics-Datei für den Kalender, z. B. „!termin ics M-3“.",
          "en": "Sends the meeting as an .ics file for your calendar, e.g. “!meeting ics M-3”."},
)
async def meeting_ics(ctx: CommandContext, meeting_id: str) -> Reply:
    return await _ics(ctx, meeting_id)


@router.subcommand(
    "meeting", "skip", aliases={"de": ("ausfallen",)},
    args=(MEETING_ID, Arg("day", label={"de": "Datum", "en": "date"}, rest=True, required=False)),
    help={"de": "Lässt einen Termin einer Reihe ausfallen, z. B. „!termin ausfallen M-3 4.8.2026“.",
          "en": "Skips one date of a recurring meeting, e.g. “!meeting skip M-3 2026-08-04”."},
    permission=Permission.COORDINATOR,
)
async def meeting_skip(ctx: CommandContext, meeting_id: str, day: str) -> Reply:
    return await _skip(ctx, meeting_id, day)


@router.subcommand(
    "meeting", "cancel", aliases={"de": ("absagen",)}, args=(MEETING_ID,),
    help={"de": "Sagt einen Termin ganz ab, z. B. „!termin absagen M-3“.", "en": "Cancels a meeting, e.g. “!meeting cancel M-3”."},
    permission=Permission.COORDINATOR,
)
async def meeting_cancel(ctx: CommandContext, meeting_id: str) -> Reply:
    return await _cancel(ctx, meeting_id)


@router.subcommand(
    "meeting", "edit", aliases={"de": ("ändern", "aendern")},
    args=(MEETING_ID, Arg("field", label={"de": "Feld", "en": "field"}, required=False),
          Arg("value", label={"de": "Wert", "en": "value"}, rest=True, required=False)),
    help={"de": "Ändert einen Termin, z. B. „!termin ändern M-3 ort Raum 2“ oder „… öffentlich ja“.",
          "en": "Changes a meeting, e.g. “!meeting edit M-3 place room 2” or “… public yes”."},
    permission=Permission.COORDINATOR,
)
async def meeting_edit(ctx: CommandContext, meeting_id: str, field: str, value: str) -> Reply:
    return await _edit(ctx, meeting_id, field, value)


async def _create(ctx: CommandContext, text: str) -> Reply:
    parts = [p.strip() for p in text.split("|")]
    example = ctx.echo(t(ctx.lang, 'meetings.example'))
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise BadArgument("meetings.create_usage", example=example)
    title = parts[0]
    if len(title) > MAX_TITLE:
        raise BadArgument("knowledge.too_long", length=len(title), max=MAX_TITLE)
    when = _when(ctx, parts[1])
    duration = _duration(ctx, parts[2]) if len(parts) > 2 and parts[2] else timedelta(minutes=60)
    place = parts[3] if len(parts) > 3 else ""
    link = URL.search(place)
    meeting_, _ = await ctx.services.meetings.add_meeting(
        origin=ctx.event_id, scope=ctx.room.scope, title=title, start=when.start, timezone=ctx.services.network.timezone,
        duration=duration, rrule=when.rrule, location=URL.sub("", place).strip() or None,
        video_link=link.group(0) if link else None, reminders=DEFAULT_REMINDERS, agenda_call=timedelta(days=7) if when.rrule else None,
        organiser=ctx.caller.user_id, room_id=ctx.room.room_id, created_by=ctx.caller.user_id, at=ctx.now,
    )
    doc = Doc().p(t(ctx.lang, "meetings.created", id=meeting_.short_id, title=title))
    doc.ul(meeting_facts(ctx.lang, ctx.services.network.timezone, meeting_, meeting_.next_after(ctx.now - timedelta(seconds=1))))
    doc.p(t(ctx.lang, "meetings.reminder_info", ics=ctx.cmd("meeting ics", meeting_.short_id)))
    return doc.reply(reaction="✅", objects=(meeting_.short_id,))


async def _skip(ctx: CommandContext, ident: str, day_text: str) -> Reply:
    found = await _meeting(ctx, ident)
    day = parse_day(day_text, ctx.now.date()) if day_text.strip() else None
    if day is None:
        raise BadArgument("knowledge.bad_date", text=day_text.strip() or "–")
    zone = found.zone
    start = localize(datetime.combine(day, datetime.min.time()), zone)
    hits = [o for o in found.occurrences(start - timedelta(seconds=1), start + timedelta(days=1))]
    if not hits:
        raise UserError("meetings.no_occurrence_that_day", id=found.short_id, day=spell_date(day, ctx.lang))
    await ctx.services.meetings.skip_occurrence(found, hits[0])
    return Doc().p(t(ctx.lang, "meetings.skipped", id=found.short_id, when=_spell(ctx, hits[0]))).reply(reaction="✅", objects=(found.short_id,))


async def _cancel(ctx: CommandContext, rest: str) -> Reply:
    found = await _meeting(ctx, rest)
    await ctx.services.meetings.cancel(found)
    return Doc().p(t(ctx.lang, "meetings.cancelled", id=found.short_id, title=found.title)).reply(reaction="✅", objects=(found.short_id,))


FIELD_WORDS = {
    "de": {"titel": "title", "zeit": "time", "dauer": "duration", "ort": "place", "link": "link", "erinnerungen": "reminders",
           "öffentlich": "public", "oeffentlich": "public"},
    "en": {"title": "title", "time": "time", "duration": "duration", "place": "place", "link": "link", "reminders": "reminders",
           "public": "public"},
}
FIELDS = {**FIELD_WORDS["de"], **FIELD_WORDS["en"]}


async def _edit(ctx: CommandContext, ident: str, field_word: str, value: str) -> Reply:
    found = await _meeting(ctx, ident)
    field = FIELDS.get(field_word.casefold())
    if field is None or not value.strip():
        raise BadArgument("meetings.edit_usage", fields=", ".join(FIELD_WORDS[ctx.lang]))
    value = value.strip()
    if field == "title":
        changes = MeetingChanges(title=value[:MAX_TITLE])
    elif field == "time":
        when = _when(ctx, value)
        changes = MeetingChanges(start=when.start, rrule=when.rrule or found.rrule)
    elif field == "duration":
        changes = MeetingChanges(duration=_duration(ctx, value))
    elif field == "place":
        changes = MeetingChanges(location=value)
    elif field == "public":
        flag = value.casefold()
        if flag not in {"ja", "nein", "yes", "no"}:
            raise BadArgument("meetings.public_usage", value=value)
        changes = MeetingChanges(public=flag in {"ja", "yes"})
    elif field == "link":
        if not URL.fullmatch(value):
            raise BadArgument("knowledge.bad_url", url=value[:100])
        changes = MeetingChanges(video_link=value)
    else:
        try:
            changes = MeetingChanges(reminders=parse_offsets(value))
        except DateError:
            raise BadArgument("meetings.bad_offsets", text=value) from None
    updated = await ctx.services.meetings.edit(found, changes)
    doc = Doc().p(t(ctx.lang, "meetings.changed", id=updated.short_id))
    doc.ul(meeting_facts(ctx.lang, ctx.services.network.timezone, updated, updated.next_after(ctx.now)))
    return doc.reply(reaction="✅", objects=(updated.short_id,))


async def _ics(ctx: CommandContext, rest: str) -> Reply:
    found = await _meeting(ctx, rest)
    attachment = Attachment(f"{found.short_id}.ics", ics_calendar([found]), "text/calendar")
    return Doc().p(t(ctx.lang, "meetings.ics", id=found.short_id, title=found.title)).reply(attachments=(attachment,))


@router.command(
    "meetings",
    aliases={"de": ("termine",)},
    help={"de": "Zeigt die nächsten Termine der Räume, in denen du bist.", "en": "Shows the next meetings of the rooms you are in."},
)
async def meetings(ctx: CommandContext) -> Reply:
    scopes = ctx.visible_scopes()
    upcoming = []
    for item in await ctx.services.meetings.meetings():
        if scopes is not None and item.scope not in scopes:
            continue
        for occurrence in item.occurrences(ctx.now, ctx.now + timedelta(days=90), limit=3):
            upcoming.append((occurrence, item))
    if not upcoming:
        return Doc().p(t(ctx.lang, "meetings.none_upcoming", example=ctx.cmd('meeting', t(ctx.lang, 'meetings.example')))).reply()
    upcoming.sort(key=lambda pair: pair[0])
    doc = Doc().p(t(ctx.lang, "meetings.upcoming_title"))
    doc.ul([(Bold(_spell(ctx, o)), f" – {m.title} ({m.short_id})") for o, m in upcoming[:10]])
    return doc.reply()


@router.command(
    "agenda",
    aliases={"de": ("top",)},
    args=(Arg("topic", label={"de": "Thema", "en": "topic"}, rest=True, required=False),),
    help={
        "de": "Schlägt ein Thema für die Tagesordnung des nächsten Termins in diesem Raum vor (TOP = Tagesordnungspunkt).",
        "en": "Proposes a topic for the agenda of the next meeting in this room.",
    },
)
async def agenda(ctx: CommandContext, topic: str) -> Reply:
    topic = topic.strip().removeprefix("add ").strip()
    if not topic:
        raise BadArgument("meetings.agenda_empty", example=ctx.echo(t(ctx.lang, 'meetings.agenda_example')))
    if len(topic) > 300:
        raise BadArgument("knowledge.too_long", length=len(topic), max=300)
    candidates = []
    for item in await ctx.services.meetings.meetings():
        if item.scope == ctx.room.scope:
            occurrence = item.next_after(ctx.now)
            if occurrence:
                candidates.append((occurrence, item))
    if not candidates:
        raise UserError("meetings.no_meeting_here", create=ctx.cmd('meeting'))
    occurrence, item = min(candidates, key=lambda pair: pair[0])
    await ctx.services.meetings.add_agenda(item, occurrence, topic, ctx.caller.user_id, ctx.event_id)
    return Doc().p(t(ctx.lang, "meetings.agenda_added", title=item.title, when=_spell(ctx, occurrence))).reply(
        reaction="✅", objects=(item.short_id,))


# ----- scheduled posts ---------------------------------------------------------------------


async def render_meeting_post(services: Services, firing: Firing, late: bool) -> Outgoing | None:
    """A reminder before a meeting, or a call for agenda items; None if the meeting is gone."""
    tz, meetings_ = services.network.timezone, services.meetings
    item = await meetings_.meeting_by_id(firing.item_id)
    if item is None or item.cancelled or firing.occurrence is None:
        return None
    reader = Destination.of_scope(item.scope)
    lang = await services.language_for(reader)
    doc = Doc()
    if late:
        doc.p(Bold(t(lang, "meetings.late_note")))
    if firing.kind is FiringKind.AGENDA_CALL:
        doc.p(t(lang, "meetings.agenda_call", title=item.title, when=spell_datetime(firing.occurrence, lang, tz)))
        doc.p(t(lang, "meetings.agenda_call_how", top=services.words(lang, "agenda")))
    else:
        doc.p(Bold(t(lang, "meetings.reminder_title", title=item.title)))
        doc.ul(meeting_facts(lang, tz, item, firing.occurrence))
        agenda_items = await meetings_.agenda(item, firing.occurrence)
        if agenda_items:
            doc.p(t(lang, "meetings.agenda_title"))
            doc.ul([a.text for a in agenda_items])
        overdue = [a for a in await meetings_.actions(scopes=frozenset({item.scope})) if a.overdue(firing.occurrence.date())]
        if overdue:
            doc.p(t(lang, "meetings.overdue_title"))
            doc.ul([(Bold(a.short_id), f" {a.text} – {a.owner} – {t(lang, 'meetings.due', date=spell_date(a.due, lang))}")
                    for a in overdue if a.due])
    return Outgoing(reader, doc.reply(), firing.key)
