"""Meetings, reminders, action items and minutes in chat — and the texts of scheduled posts.

Multi-field commands use one separator, `|`:
    !termin AG Gesundheit | jeden ersten Dienstag im Monat um 10 Uhr | 90 min | https://meet.example.org/ag
    !erinnere mich morgen 9 Uhr | Protokoll verschicken
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration, vRecur

from commands.context import CommandContext, Outgoing, Permission, Services
from commands.errors import BadArgument, NotFound, UserError
from commands.i18n import t
from commands.features.register import record_note
from commands.registry import Arg, Router
from commands.render import Attachment, Bold, Doc, Link, Reply
from knowledge.dates import DateError, describe_rule, localize, parse_offsets, parse_when
from knowledge.meetings.model import DEFAULT_REMINDERS, ActionItem, Firing, Meeting, ReminderTarget, Session
from knowledge.register.model import parse_short_id
from knowledge.storage import AlreadyRunning
from knowledge.values import Destination, FiringKind
from knowledge.timefmt import parse_day, spell_date, spell_datetime, spell_duration

router = Router()
MAX_TITLE = 200
MAX_TEXT = 1000
URL = re.compile(r"https?://\S+")
SHORT = re.compile(r"^([MEAP])-?(\d{1,9})$", re.IGNORECASE)
REST = Arg("text", label={"de": "Angaben", "en": "details"}, rest=True, required=False)


def _zone(ctx: CommandContext) -> ZoneInfo:
    return ZoneInfo(ctx.services.timezone)


def _when(ctx: CommandContext, text: str, allow_past: bool = False):
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
    return spell_datetime(moment, ctx.lang, ctx.services.timezone)



def _duration(ctx: CommandContext, text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*(min|minuten|minutes|m|h|std|stunden?|hours?)?\s*", text.lower())
    if not match:
        raise BadArgument("meetings.bad_duration", text=text)
    amount = float(match.group(1).replace(",", "."))
    unit = match.group(2) or "min"
    minutes = amount * 60 if unit[0] in "hs" else amount
    if not 5 <= minutes <= 24 * 60:
        raise BadArgument("meetings.bad_duration", text=text)
    return timedelta(minutes=round(minutes))


async def _meeting(ctx: CommandContext, text: str) -> Meeting:
    found = await ctx.services.meetings.meeting(_number(text, "M"))
    scopes = ctx.visible_scopes()
    if found is None or (scopes is not None and found.scope not in scopes):
        raise NotFound("meetings.not_found", id=text, list=ctx.cmd("meetings"))
    return found


def meeting_facts(ctx_lang: str, tz: str, meeting: Meeting, occurrence: datetime | None) -> list:
    facts: list = []
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
        origin=ctx.event_id, scope=ctx.room.scope, title=title, start=when.start, timezone=ctx.services.timezone,
        duration=duration, rrule=when.rrule, location=URL.sub("", place).strip() or None,
        video_link=link.group(0) if link else None, reminders=DEFAULT_REMINDERS, agenda_call=timedelta(days=7) if when.rrule else None,
        organiser=ctx.caller.user_id, room_id=ctx.room.room_id, created_by=ctx.caller.user_id, at=ctx.now,
    )
    await ctx.services.schedule_changed()
    doc = Doc().p(t(ctx.lang, "meetings.created", id=meeting_.short_id, title=title))
    doc.ul(meeting_facts(ctx.lang, ctx.services.timezone, meeting_, meeting_.next_after(ctx.now - timedelta(seconds=1))))
    doc.p(t(ctx.lang, "meetings.reminder_info", ics=ctx.cmd("meeting ics", meeting_.short_id)))
    return doc.reply(reaction="✅", objects=(meeting_.short_id,))


async def _skip(ctx: CommandContext, ident: str, day_text: str) -> Reply:
    found = await _meeting(ctx, ident)
    day = parse_day(day_text.strip()) if day_text.strip() else None
    if day is None:
        raise BadArgument("knowledge.bad_date", text=day_text.strip() or "–")
    zone = found.zone
    start = localize(datetime.combine(day, datetime.min.time()), zone)
    hits = [o for o in found.occurrences(start - timedelta(seconds=1), start + timedelta(days=1))]
    if not hits:
        raise UserError("meetings.no_occurrence_that_day", id=found.short_id, day=spell_date(day, ctx.lang))
    await ctx.services.meetings.change_meeting(found.number, exdates=(*found.exdates, hits[0]))
    await ctx.services.schedule_changed()
    return Doc().p(t(ctx.lang, "meetings.skipped", id=found.short_id, when=_spell(ctx, hits[0]))).reply(reaction="✅", objects=(found.short_id,))


async def _cancel(ctx: CommandContext, rest: str) -> Reply:
    found = await _meeting(ctx, rest)
    await ctx.services.meetings.change_meeting(found.number, cancelled=True)
    await ctx.services.schedule_changed()
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
        changes = {"title": value[:MAX_TITLE]}
    elif field == "time":
        when = _when(ctx, value)
        changes = {"start": when.start, "rrule": when.rrule or found.rrule}
    elif field == "duration":
        changes = {"duration_minutes": int(_duration(ctx, value).total_seconds() // 60)}
    elif field == "place":
        changes = {"location": value}
    elif field == "public":
        flag = value.casefold()
        if flag not in {"ja", "nein", "yes", "no"}:
            raise BadArgument("meetings.public_usage", value=value)
        changes = {"public": flag in {"ja", "yes"}}
    elif field == "link":
        if not URL.fullmatch(value):
            raise BadArgument("knowledge.bad_url", url=value[:100])
        changes = {"video_link": value}
    else:
        try:
            changes = {"reminders": parse_offsets(value)}
        except DateError:
            raise BadArgument("meetings.bad_offsets", text=value) from None
    updated = await ctx.services.meetings.change_meeting(found.number, **changes)
    await ctx.services.schedule_changed()
    doc = Doc().p(t(ctx.lang, "meetings.changed", id=updated.short_id))
    doc.ul(meeting_facts(ctx.lang, ctx.services.timezone, updated, updated.next_after(ctx.now)))
    return doc.reply(reaction="✅", objects=(updated.short_id,))


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
    return calendar.to_ical()


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
    await ctx.services.meetings.add_agenda(item.id, occurrence, topic, ctx.caller.user_id, ctx.event_id)
    return Doc().p(t(ctx.lang, "meetings.agenda_added", title=item.title, when=_spell(ctx, occurrence))).reply(
        reaction="✅", objects=(item.short_id,))


# ----- reminders ---------------------------------------------------------------------------


REMIND_HELP = {
    "de": "Erinnert dich, den Raum oder alle: „!erinnere mich morgen 9 Uhr | Protokoll schicken“, „!erinnere hier jeden Montag 9 Uhr | Wochenplan“. „alle“ (mit @room) nur für die Koordination.",
    "en": "Reminds you, the room or everyone: “!remind me tomorrow 9am | send the minutes”, “!remind here every Monday 9am | weekly plan”. “everyone” (with @room) is for coordinators.",
}
WHEN_TEXT = Arg("text", label={"de": "Zeit | Text", "en": "time | text"}, rest=True, required=False)


@router.command("remind", aliases={"de": ("erinnere", "erinnerung")}, args=(REST,), help=REMIND_HELP)
async def remind(ctx: CommandContext, text: str) -> Reply:
    return await _remind(ctx, "dm", text, named=False)


@router.subcommand("remind", "me", aliases={"de": ("mich",)}, args=(WHEN_TEXT,),
                   help={"de": "Erinnert dich per Direktnachricht.", "en": "Reminds you by direct message."})
async def remind_me(ctx: CommandContext, text: str) -> Reply:
    return await _remind(ctx, "dm", text)


@router.subcommand("remind", "here", aliases={"de": ("hier", "raum", "uns"), "en": ("room", "us")}, args=(WHEN_TEXT,),
                   help={"de": "Erinnert alle in diesem Raum.", "en": "Reminds this room."})
async def remind_here(ctx: CommandContext, text: str) -> Reply:
    return await _remind(ctx, "room", text)


@router.subcommand("remind", "everyone", aliases={"de": ("alle",)}, args=(WHEN_TEXT,),
                   help={"de": "Erinnert den Raum mit @room, so dass alle benachrichtigt werden.",
                         "en": "Reminds the room with @room, so that everyone is notified."},
                   permission=Permission.COORDINATOR, refusal="meetings.room_mention_refused")
async def remind_everyone(ctx: CommandContext, text: str) -> Reply:
    return await _remind(ctx, "everyone", text)


async def _remind(ctx: CommandContext, target: str, text: str, named: bool = True) -> Reply:
    """`named`: the target was a word (mich, hier, alle); otherwise the text starts with the time."""
    when_text, sep, message = text.partition("|")
    example = ctx.echo(t(ctx.lang, 'meetings.remind_example'))
    if not sep or not message.strip() or (not named and not when_text.split()):
        raise BadArgument("meetings.remind_usage", example=example)
    if len(message.strip()) > MAX_TEXT:
        raise BadArgument("knowledge.too_long", length=len(message.strip()), max=MAX_TEXT)
    when = _when(ctx, " ".join(when_text.split()))
    reminder, _ = await ctx.services.meetings.add_reminder(
        origin=ctx.event_id, target=ReminderTarget.DIRECT if target == "dm" else ReminderTarget.ROOM, room_id=ctx.room.room_id, text=message.strip(),
        start=when.start, timezone=ctx.services.timezone, rrule=when.rrule, created_by=ctx.caller.user_id,
        mention_room=target == "everyone", at=ctx.now,
    )
    await ctx.services.schedule_changed()
    key = "meetings.reminder_set_repeat" if when.rrule else "meetings.reminder_set"
    return Doc().p(t(ctx.lang, key, id=reminder.short_id, when=_spell(ctx, when.start),
                     rule=describe_rule(when.rrule, ctx.lang) if when.rrule else "")).reply(reaction="✅", objects=(reminder.short_id,))


@router.command(
    "reminders",
    aliases={"de": ("erinnerungen",)},
    help={"de": "Zeigt deine Erinnerungen und die dieses Raums.", "en": "Shows your reminders and this room's."},
)
async def reminders(ctx: CommandContext) -> Reply:
    repo = ctx.services.meetings
    mine = {r.id: r for r in await repo.reminders(created_by=ctx.caller.user_id)}
    mine.update({r.id: r for r in await repo.reminders(room_id=ctx.room.room_id) if r.target is ReminderTarget.ROOM})
    items = []
    for item in sorted(mine.values(), key=lambda r: r.number):
        upcoming = item.occurrences(ctx.now, ctx.now + timedelta(days=800), limit=1)
        if upcoming:
            items.append((Bold(item.short_id), f" – {_spell(ctx, upcoming[0])}: {item.text}"))
    if not items:
        return Doc().p(t(ctx.lang, "meetings.no_reminders", example=ctx.cmd('remind', t(ctx.lang, 'meetings.remind_example')))).reply()
    doc = Doc().p(t(ctx.lang, "meetings.reminders_title")).ul(items)
    doc.p(t(ctx.lang, "meetings.cancel_hint", cancel=ctx.cmd('cancel-reminder', items[0][0].text)))
    return doc.reply()


@router.command(
    "cancel-reminder",
    aliases={"de": ("erinnerung-löschen", "erinnerung-loeschen")},
    args=(Arg("reminder_id", label={"de": "Nummer", "en": "id"}),),
    help={"de": "Löscht eine Erinnerung, z. B. „!erinnerung-löschen E-3“.", "en": "Cancels a reminder, e.g. “!cancel-reminder E-3”."},
)
async def cancel_reminder(ctx: CommandContext, reminder_id: str) -> Reply:
    found = await ctx.services.meetings.reminder(_number(reminder_id, "E"))
    if found is None or found.cancelled or (found.created_by != ctx.caller.user_id and found.room_id != ctx.room.room_id):
        raise NotFound("meetings.reminder_not_found", id=reminder_id, list=ctx.cmd('reminders'))
    ctx.require_owner(found.created_by, refusal="meetings.not_your_reminder", id=found.short_id)
    await ctx.services.meetings.cancel_reminder(found.number)
    await ctx.services.schedule_changed()
    return Doc().p(t(ctx.lang, "meetings.reminder_cancelled", id=found.short_id)).reply(reaction="✅", objects=(found.short_id,))


# ----- action items ------------------------------------------------------------------------


def _action_line(ctx: CommandContext, item: ActionItem) -> tuple:
    parts: list = [Bold(item.short_id), f" {item.text} – {item.owner}"]
    if item.due:
        parts.append(" – " + t(ctx.lang, "meetings.due", date=spell_date(item.due, ctx.lang)))
        if item.overdue(ctx.now.date()):
            parts.append(" – " + t(ctx.lang, "meetings.overdue"))
    return tuple(parts)


@router.command(
    "action",
    aliases={"de": ("aufgabe",)},
    args=(Arg("owner", label={"de": "@wer", "en": "@who"}, required=False), Arg("text", label={"de": "Aufgabe [bis DATUM]", "en": "task [until DATE]"}, rest=True, required=False)),
    help={
        "de": "Hält eine Aufgabe fest: „!aufgabe @wer Einladung verschicken bis 1.12.2026“. In einer Sitzung kommt sie ins Protokoll.",
        "en": "Records an action item: “!action @who send the invitation until 2026-12-01”. During a session it goes into the minutes.",
    },
)
async def action(ctx: CommandContext, owner: str, text: str) -> Reply:
    example = ctx.echo(t(ctx.lang, 'meetings.action_example'))
    if not owner or not owner.startswith("@") or ":" not in owner:
        raise BadArgument("meetings.action_usage", example=example)
    match = re.search(r"\s+(?:bis|until|due)\s+(\S+)\s*$", text)
    due = None
    if match:
        due = parse_day(match.group(1))
        if due is None:
            raise BadArgument("knowledge.bad_date", text=match.group(1))
        if due < ctx.now.date():
            raise BadArgument("dates.past", input=match.group(1))
        text = text[: match.start()]
    text = text.strip()
    if not text:
        raise BadArgument("meetings.action_usage", example=example)
    if len(text) > MAX_TEXT:
        raise BadArgument("knowledge.too_long", length=len(text), max=MAX_TEXT)
    session = await ctx.services.minutes.running(ctx.room.room_id)
    item, _ = await ctx.services.meetings.add_action(
        origin=ctx.event_id, scope=ctx.room.scope, room_id=ctx.room.room_id, text=text, owner=owner, due=due,
        created_by=ctx.caller.user_id, at=ctx.now, session_id=session.id if session else None,
    )
    captured = await ctx.services.minutes.capture(ctx.room.room_id, "action", item.short_id, text, ctx.caller.user_id, ctx.now, ctx.event_id)
    await ctx.services.schedule_changed()
    doc = Doc().p(t(ctx.lang, "meetings.action_recorded", id=item.short_id, owner=owner, text=text))
    if due:
        doc.p(t(ctx.lang, "meetings.due", date=spell_date(due, ctx.lang)))
    if captured:
        doc.p(t(ctx.lang, "meetings.in_minutes"))
    return doc.reply(reaction="✅", objects=(item.short_id,))


@router.command(
    "tasks",
    aliases={"de": ("aufgaben",)},
    help={"de": "Zeigt deine offenen Aufgaben; „!aufgaben raum“ die des Raums, „!aufgaben alle“ alle.",
          "en": "Shows your open action items; “!tasks room” this room's, “!tasks all” all of them."},
)
async def tasks(ctx: CommandContext) -> Reply:
    return await _tasks(ctx, "mine")


@router.subcommand("tasks", "mine", aliases={"de": ("meine",)},
                   help={"de": "Zeigt deine offenen Aufgaben.", "en": "Shows your open action items."})
async def tasks_mine(ctx: CommandContext) -> Reply:
    return await _tasks(ctx, "mine")


@router.subcommand("tasks", "room", aliases={"de": ("raum",)},
                   help={"de": "Zeigt die offenen Aufgaben dieses Raums.", "en": "Shows this room's open action items."})
async def tasks_room(ctx: CommandContext) -> Reply:
    return await _tasks(ctx, "room")


@router.subcommand("tasks", "all", aliases={"de": ("alle",)},
                   help={"de": "Zeigt alle offenen Aufgaben, die du sehen darfst.", "en": "Shows all open action items you may see."})
async def tasks_all(ctx: CommandContext) -> Reply:
    return await _tasks(ctx, "all")


async def _tasks(ctx: CommandContext, mode: str) -> Reply:
    repo = ctx.services.meetings
    if mode == "mine":
        items = await repo.actions(owner=ctx.caller.user_id)
    elif mode == "room":
        items = await repo.actions(scopes=frozenset({ctx.room.scope}))
    else:
        items = await repo.actions(scopes=ctx.visible_scopes())
    if not items:
        return Doc().p(t(ctx.lang, "meetings.no_tasks")).reply()
    doc = Doc().p(t(ctx.lang, "meetings.tasks_title", count=len(items)))
    doc.ul([_action_line(ctx, i) for i in items[:20]])
    doc.p(t(ctx.lang, "meetings.done_hint", done=ctx.cmd('done', items[0].short_id)))
    return doc.reply()


@router.command(
    "done",
    aliases={"de": ("erledigt",)},
    args=(Arg("action_id", label={"de": "Nummer", "en": "id"}),),
    help={"de": "Markiert eine Aufgabe als erledigt, z. B. „!erledigt A-3“.", "en": "Marks an action item as done, e.g. “!done A-3”."},
)
async def done(ctx: CommandContext, action_id: str) -> Reply:
    item = await ctx.services.meetings.action(_number(action_id, "A"))
    scopes = ctx.visible_scopes()
    if item is None or (scopes is not None and item.scope not in scopes and item.owner != ctx.caller.user_id):
        raise NotFound("meetings.action_not_found", id=action_id, list=ctx.cmd('tasks'))
    ctx.require_owner(item.owner, item.created_by, refusal="meetings.not_your_action", id=item.short_id)
    if item.done:
        raise UserError("meetings.already_done", id=item.short_id)
    await ctx.services.meetings.set_action_done(item.number, True, ctx.now)
    await ctx.services.schedule_changed()
    return Doc().p(t(ctx.lang, "meetings.marked_done", id=item.short_id, text=item.text)).reply(reaction="✅", objects=(item.short_id,))


# ----- minutes -----------------------------------------------------------------------------


async def start_session(ctx: CommandContext, text: str) -> Reply:
    text = text.strip()
    meeting_ = None
    if SHORT.match(text) and text[:1].upper() == "M":
        meeting_ = await _meeting(ctx, text)
    else:
        for item in await ctx.services.meetings.meetings():
            if item.scope == ctx.room.scope and item.occurrences(ctx.now - timedelta(hours=3), ctx.now + timedelta(hours=3), limit=1):
                meeting_ = item
                break
    ctx.require_owner(meeting_.organiser if meeting_ else None, refusal="meetings.chair_only")
    title = meeting_.title if meeting_ else (text or ctx.room.name or t(ctx.lang, "meetings.untitled"))
    try:
        session, _ = await ctx.services.minutes.start(
            origin=ctx.event_id, room_id=ctx.room.room_id, scope=ctx.room.scope, title=title[:MAX_TITLE],
            chair=ctx.caller.user_id, at=ctx.now, meeting_id=meeting_.id if meeting_ else None,
        )
    except AlreadyRunning as exc:
        raise UserError("meetings.session_running", id=str(exc), end=ctx.cmd("session end")) from None
    await ctx.services.minutes.note_speaker(ctx.room.room_id, ctx.caller.user_id)
    return Doc().p(t(ctx.lang, "meetings.session_started", id=session.short_id, title=title)).p(
        t(ctx.lang, "meetings.session_howto", decision=ctx.cmd("decision"), action=ctx.cmd("action"),
          info=ctx.cmd("info"), link=ctx.cmd("link"), undo=ctx.cmd("undo"),
          end=ctx.cmd("session end"))
    ).reply(reaction="✅", objects=(session.short_id,))



def render_minutes(lang: str, tz: str, session: Session, draft: bool = False) -> Doc:
    items = [i for i in session.items if not i.undone]
    doc = Doc()
    title = t(lang, "meetings.minutes_draft_title" if draft else "meetings.minutes_title", id=session.short_id, title=session.title)
    doc.p(Bold(title))
    facts = [t(lang, "meetings.minutes_date", when=spell_datetime(session.started_at, lang, tz))]
    if session.ended_at:
        facts.append(t(lang, "meetings.minutes_duration", duration=spell_duration(session.ended_at - session.started_at, lang)))
    facts.append(t(lang, "meetings.minutes_chair", chair=session.chair))
    if session.speakers:
        facts.append(t(lang, "meetings.minutes_speakers", speakers=", ".join(session.speakers)))
    doc.ul(facts)
    sections = [("decision", "meetings.minutes_decisions"), ("agreement", "meetings.minutes_agreements"),
                ("action", "meetings.minutes_actions"), ("link", "meetings.minutes_links"), ("info", "meetings.minutes_info")]
    empty = True
    for kind, key in sections:
        rows = [i for i in items if i.kind == kind]
        if rows:
            empty = False
            doc.p(Bold(t(lang, key)))
            doc.ul([((Bold(i.ref), " ") if i.ref else ()) + (i.text,) for i in rows])
    if empty:
        doc.p(t(lang, "meetings.minutes_empty"))
    return doc


async def end_session(ctx: CommandContext) -> Reply:
    session = await ctx.services.minutes.running(ctx.room.room_id)
    if session is None:
        raise UserError("meetings.no_session", start=ctx.cmd("session start"))
    ctx.require_owner(session.chair, refusal="meetings.chair_only")
    status = "draft" if ctx.services.minutes_approval else "published"
    ended = await ctx.services.minutes.end(session, ctx.now, status)
    doc = render_minutes(ctx.lang, ctx.services.timezone, ended, draft=status == "draft")
    if status == "draft":
        doc.p(t(ctx.lang, "meetings.minutes_approve_hint", approve=ctx.cmd("minutes approve", ended.short_id)))
    else:
        doc.p(t(ctx.lang, "meetings.minutes_later", show=ctx.cmd('minutes', ended.short_id)))
    return doc.reply(reaction="✅", objects=(ended.short_id,))


router.group(
    "session",
    aliases={"de": ("sitzung",)},
    help={
        "de": "Startet oder beendet eine Sitzung mit Protokoll: „!sitzung start“, „!sitzung ende“. Für die Koordination und die Sitzungsleitung.",
        "en": "Starts or ends a meeting with minutes: “!session start”, “!session end”. For coordinators and the meeting chair.",
    },
)


SESSION_TITLE = Arg("title", label={"de": "M-3 oder Titel", "en": "M-3 or title"}, rest=True, required=False)


@router.subcommand("session", "start", aliases={"de": ("start", "beginn"), "en": ("begin",)}, args=(SESSION_TITLE,),
                   help={"de": "Startet eine Sitzung mit Protokoll, zu Termin M-3 oder mit einem Titel. Für die Koordination und die Sitzungsleitung.",
                         "en": "Starts a meeting with minutes, for meeting M-3 or with a title. For coordinators and the meeting chair."})
async def session_start(ctx: CommandContext, title: str) -> Reply:
    return await start_session(ctx, title)


@router.subcommand("session", "end", aliases={"de": ("ende", "schluss"), "en": ("stop",)},
                   help={"de": "Beendet die Sitzung und zeigt das Protokoll. Für die Koordination und die Sitzungsleitung.",
                         "en": "Ends the meeting and shows the minutes. For coordinators and the meeting chair."})
async def session_end(ctx: CommandContext) -> Reply:
    return await end_session(ctx)


@router.command("startmeeting", aliases={"de": ("sitzungsbeginn",)}, args=(SESSION_TITLE,),
                help={"de": "Wie „!sitzung start“.", "en": "Same as “!session start”."})
async def startmeeting(ctx: CommandContext, title: str) -> Reply:
    return await start_session(ctx, title)


@router.command("endmeeting", aliases={"de": ("sitzungsende",)}, help={"de": "Wie „!sitzung ende“.", "en": "Same as “!session end”."})
async def endmeeting(ctx: CommandContext) -> Reply:
    return await end_session(ctx)


@router.command(
    "info",
    args=(Arg("text", label={"de": "Text", "en": "text"}, rest=True, required=False),),
    help={"de": "Hält eine Information fest; in einer Sitzung kommt sie ins Protokoll.", "en": "Records a piece of information; during a session it goes into the minutes."},
)
async def info(ctx: CommandContext, text: str) -> Reply:
    return await record_note(ctx, text, minutes_kind="info")


@router.command(
    "undo",
    aliases={"de": ("rückgängig", "rueckgaengig")},
    help={"de": "Nimmt den letzten Punkt im laufenden Protokoll zurück.", "en": "Removes the last item from the running minutes."},
)
async def undo(ctx: CommandContext) -> Reply:
    session_ = await ctx.services.minutes.running(ctx.room.room_id)
    if session_ is None:
        raise UserError("meetings.no_session", start=ctx.cmd("session start"))
    last = next((i for i in reversed(session_.items) if not i.undone), None)
    ctx.require_owner(session_.chair, last.by if last else None, refusal="meetings.undo_own_only")
    removed = await ctx.services.meetings.undo_last_item(session_.id)
    if removed is None:
        raise UserError("meetings.nothing_to_undo")
    await _withdraw(ctx, removed.kind, removed.ref)
    return Doc().p(t(ctx.lang, "meetings.undone", text=removed.text)).reply(
        reaction="↩️", objects=(session_.short_id, *((removed.ref,) if removed.ref else ())))


async def _withdraw(ctx: CommandContext, kind: str, ref: str | None) -> None:
    """Undoing a minutes item also takes back what it created."""
    if not ref:
        return
    if kind == "action":
        item = await ctx.services.meetings.action(int(ref.split("-")[1]))
        if item and not item.done:
            await ctx.services.meetings.set_action_done(item.number, True, ctx.now)
            await ctx.services.schedule_changed()
        return
    parsed = parse_short_id(ref)
    if parsed:
        await ctx.services.knowledge.retract(parsed, ctx.caller.user_id, ctx.now)


@router.command(
    "minutes",
    aliases={"de": ("protokoll",)},
    args=(Arg("which", label={"de": "P-3, M-3 oder letzte", "en": "P-3, M-3 or last"}, rest=True, required=False),),
    help={"de": "Zeigt ein Protokoll: das letzte des Raums, P-3 oder das letzte zu Termin M-3.",
          "en": "Shows minutes: this room's last, P-3 or the last of meeting M-3."},
)
async def minutes(ctx: CommandContext, which: str) -> Reply:
    return await _show_minutes(ctx, which)


@router.subcommand(
    "minutes", "approve", aliases={"de": ("freigeben",)},
    args=(Arg("minutes_id", label={"de": "P-3", "en": "P-3"}, required=False),),
    help={"de": "Veröffentlicht einen Protokoll-Entwurf, z. B. „!protokoll freigeben P-3“. Für die Koordination und die Sitzungsleitung.",
          "en": "Publishes draft minutes, e.g. “!minutes approve P-3”. For coordinators and the meeting chair."},
)
async def minutes_approve(ctx: CommandContext, minutes_id: str) -> Reply:
    repo = ctx.services.meetings
    target = await repo.session(_number(minutes_id, "P")) if minutes_id else await repo.last_session(ctx.room.room_id)
    if target is None or target.room_id != ctx.room.room_id:
        raise NotFound("meetings.minutes_not_found", which=minutes_id or "–")
    ctx.require_owner(target.chair, refusal="meetings.chair_only")
    if target.status != "draft":
        raise UserError("meetings.not_a_draft", id=target.short_id)
    await repo.set_session_status(target.number, "published")
    published = await repo.session(target.number)
    return render_minutes(ctx.lang, ctx.services.timezone, published).reply(reaction="✅", objects=(target.short_id,))


async def _show_minutes(ctx: CommandContext, which: str) -> Reply:
    repo = ctx.services.meetings
    choice = which.strip()
    if not choice or choice.casefold() in {"letzte", "last"}:
        found = await repo.last_session(ctx.room.room_id)
    elif choice[:1].upper() == "M":
        meeting_ = await _meeting(ctx, choice)
        candidates = [s for s in await repo.sessions_in(None) if s.meeting_id == meeting_.id]
        found = await repo.session(candidates[-1].number) if candidates else None
    else:
        found = await repo.session(_number(choice, "P"))
        scopes = ctx.visible_scopes()
        if found and scopes is not None and found.scope not in scopes:
            found = None
    if found is None:
        raise NotFound("meetings.minutes_not_found", which=choice or t(ctx.lang, "meetings.last"))
    return render_minutes(ctx.lang, ctx.services.timezone, found, draft=found.status == "draft").reply()


# ----- scheduled posts ---------------------------------------------------------------------


async def render_firing(services: Services, firing: Firing, late: bool) -> Outgoing | None:
    """The message a due firing posts, or None if its item is gone."""
    lang, tz, repo = services.default_language, services.timezone, services.meetings
    late_note = t(lang, "meetings.late_note") if late else None
    if firing.kind in (FiringKind.MEETING_REMINDER, FiringKind.AGENDA_CALL):
        item = await repo.meeting_by_id(firing.item_id)
        if item is None or item.cancelled:
            return None
        doc = Doc()
        if late_note:
            doc.p(Bold(late_note))
        if firing.kind is FiringKind.AGENDA_CALL:
            doc.p(t(lang, "meetings.agenda_call", title=item.title, when=spell_datetime(firing.occurrence, lang, tz)))
            doc.p(t(lang, "meetings.agenda_call_how", top=services.words(lang, "agenda")))
        else:
            doc.p(Bold(t(lang, "meetings.reminder_title", title=item.title)))
            doc.ul(meeting_facts(lang, tz, item, firing.occurrence))
            agenda_items = await repo.agenda(item.id, firing.occurrence)
            if agenda_items:
                doc.p(t(lang, "meetings.agenda_title"))
                doc.ul([a.text for a in agenda_items])
            overdue = [a for a in await repo.actions(scopes=frozenset({item.scope})) if a.overdue(firing.occurrence.date())]
            if overdue:
                doc.p(t(lang, "meetings.overdue_title"))
                doc.ul([(Bold(a.short_id), f" {a.text} – {a.owner} – {t(lang, 'meetings.due', date=spell_date(a.due, lang))}") for a in overdue])
        return Outgoing(Destination.of_scope(item.scope), doc.reply(), firing.key)
    if firing.kind is FiringKind.REMINDER:
        item = await repo.reminder_by_id(firing.item_id)
        if item is None or item.cancelled:
            return None
        doc = Doc()
        if late_note:
            doc.p(Bold(late_note))
        doc.p(("@room " if item.mention_room else "") + t(lang, "meetings.reminder_fired", text=item.text))
        target = Destination.direct(item.created_by) if item.target is ReminderTarget.DIRECT else Destination.to_room(item.room_id)
        return Outgoing(target, doc.reply(), firing.key, mention_room=item.mention_room)
    if firing.kind is FiringKind.ACTION_DUE:
        item = await repo.action_by_id(firing.item_id)
        if item is None or item.done or not item.owner.startswith("@"):
            return None
        doc = Doc()
        if late_note:
            doc.p(Bold(late_note))
        doc.p(t(lang, "meetings.action_due_soon", id=item.short_id, text=item.text, date=spell_date(item.due, lang)))
        doc.p(t(lang, "meetings.done_hint", done=services.words(lang, "done", item.short_id)))
        return Outgoing(Destination.direct(item.owner), doc.reply(), firing.key)
    return None
