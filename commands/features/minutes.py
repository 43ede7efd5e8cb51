"""Action items and minutes in chat: `!aufgabe`, `!aufgaben`, `!erledigt`, `!sitzung start|ende`,
`!info`, `!rückgängig`, `!protokoll` — and the note to an owner the day before a task is due.

During a session, what the register records (`!beschluss`, `!link` …) also goes into the
minutes; `!rückgängig` takes the last item back, and what it created with it.
"""
from __future__ import annotations

import re
from datetime import timedelta

from commands.context import CommandContext, Outgoing, Services
from commands.errors import BadArgument, NotFound, UserError
from commands.features.meetings import MAX_TEXT, MAX_TITLE, SHORT, _meeting, _number
from commands.features.register import record_note
from commands.i18n import t
from commands.registry import Arg, Router
from commands.render import Bold, Doc, Inline, Reply
from knowledge.dates import parse_day, spell_date, spell_datetime, spell_duration
from knowledge.meetings.model import ActionItem, Firing, MinutesItemKind, Session, SessionStatus
from knowledge.register.model import parse_short_id
from knowledge.storage import AlreadyRunning
from knowledge.values import Destination

router = Router()

def _action_line(ctx: CommandContext, item: ActionItem) -> tuple[Inline, ...]:
    parts: list[Inline] = [Bold(item.short_id), f" {item.text} – {item.owner}"]
    if item.due:
        parts.append(" – " + t(ctx.lang, "meetings.due", date=spell_date(item.due, ctx.lang)))
        if item.overdue(ctx.now.date()):
            parts.append(" – " + t(ctx.lang, "meetings.overdue"))
    return tuple(parts)


@router.command(
    "action",
    aliases={"de": ("aufgabe",)},
    args=(Arg("owner", label={"de": "@wer", "en": "@who"}, required=False),
          Arg("text", label={"de": "Aufgabe [bis DATUM]", "en": "task [until DATE]"}, rest=True, required=False)),
    help={
        "de": "Hält eine Aufgabe fest: „!aufgabe @wer Einladung verschicken bis 1.12.2026“. In einer Sitzung kommt sie ins Protokoll.",
        "en": "Records an action item: “!action @who send the invitation until 2026-12-01”. During a session it goes into the minutes.",
    },
)
async def action(ctx: CommandContext, owner: str, text: str) -> Reply:
    example = ctx.echo(t(ctx.lang, 'meetings.action_example'))
    if ctx.person(owner) is None:
        raise BadArgument("meetings.action_usage", example=example)
    match = re.search(r"\s+(?:bis|until|due)\s+(\S+)\s*$", text)
    due = None
    if match:
        due = parse_day(match.group(1), ctx.now.date())
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
    captured = await ctx.services.minutes.capture(ctx.room.room_id, MinutesItemKind.ACTION, item.short_id, text, ctx.caller.user_id, ctx.now, ctx.event_id)
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
    await ctx.services.meetings.mark_done(item, ctx.now)
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
    sections = [(MinutesItemKind.DECISION, "meetings.minutes_decisions"), (MinutesItemKind.AGREEMENT, "meetings.minutes_agreements"),
                (MinutesItemKind.ACTION, "meetings.minutes_actions"), (MinutesItemKind.LINK, "meetings.minutes_links"),
                (MinutesItemKind.INFO, "meetings.minutes_info")]
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
    status = SessionStatus.DRAFT if ctx.services.network.minutes_approval else SessionStatus.PUBLISHED
    ended = await ctx.services.minutes.end(session, ctx.now, status)
    doc = render_minutes(ctx.lang, ctx.services.network.timezone, ended, draft=status is SessionStatus.DRAFT)
    if status is SessionStatus.DRAFT:
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
    help={"de": "Hält eine Information fest; in einer Sitzung kommt sie ins Protokoll.",
          "en": "Records a piece of information; during a session it goes into the minutes."},
)
async def info(ctx: CommandContext, text: str) -> Reply:
    return await record_note(ctx, text, minutes_kind=MinutesItemKind.INFO)


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
    removed = await ctx.services.minutes.undo_last_item(session_)
    if removed is None:
        raise UserError("meetings.nothing_to_undo")
    await _withdraw(ctx, removed.kind, removed.ref)
    return Doc().p(t(ctx.lang, "meetings.undone", text=removed.text)).reply(
        reaction="↩️", objects=(session_.short_id, *((removed.ref,) if removed.ref else ())))


async def _withdraw(ctx: CommandContext, kind: MinutesItemKind, ref: str | None) -> None:
    """Undoing a minutes item also takes back what it created."""
    if not ref:
        return
    if kind is MinutesItemKind.ACTION:
        item = await ctx.services.meetings.action(int(ref.split("-")[1]))
        if item and not item.done:
            await ctx.services.meetings.mark_done(item, ctx.now)
        return
    parsed = parse_short_id(ref)
    if parsed:
        await ctx.services.register.retract(parsed, ctx.caller.user_id, ctx.now)


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
    minutes_ = ctx.services.minutes
    target = await minutes_.session(_number(minutes_id, "P")) if minutes_id else await minutes_.last_session(ctx.room.room_id)
    if target is None or target.room_id != ctx.room.room_id:
        raise NotFound("meetings.minutes_not_found", which=minutes_id or "–")
    ctx.require_owner(target.chair, refusal="meetings.chair_only")
    if target.status is not SessionStatus.DRAFT:
        raise UserError("meetings.not_a_draft", id=target.short_id)
    published = await minutes_.publish(target)
    return render_minutes(ctx.lang, ctx.services.network.timezone, published).reply(reaction="✅", objects=(target.short_id,))


async def _show_minutes(ctx: CommandContext, which: str) -> Reply:
    repo = ctx.services.minutes
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
    return render_minutes(ctx.lang, ctx.services.network.timezone, found, draft=found.status is SessionStatus.DRAFT).reply()


async def render_action_post(services: Services, firing: Firing, late: bool) -> Outgoing | None:
    """The owner hears, the day before, that an action item is due; None if it is done."""
    item = await services.meetings.action_by_id(firing.item_id)
    if item is None or item.done or item.due is None or not item.owner.startswith("@"):
        return None
    lang = await services.language_for(Destination.direct(item.owner))
    doc = Doc()
    if late:
        doc.p(Bold(t(lang, "meetings.late_note")))
    doc.p(t(lang, "meetings.action_due_soon", id=item.short_id, text=item.text, date=spell_date(item.due, lang)))
    doc.p(t(lang, "meetings.done_hint", done=services.words(lang, "done", item.short_id)))
    return Outgoing(Destination.direct(item.owner), doc.reply(), firing.key)
