"""Reminders in chat: `!erinnere` (for me, the room, everyone), `!erinnerungen`,
`!erinnerung-löschen` — and the reminder posts themselves.

    !erinnere mich morgen 9 Uhr | Protokoll verschicken
"""
from __future__ import annotations

from datetime import timedelta

from commands.context import CommandContext, Outgoing, Services
from commands.errors import BadArgument, NotFound
from commands.features.meetings import MAX_TEXT, REST, _number, _spell, _when
from commands.i18n import describe_rule, t
from commands.permission import Permission
from commands.registry import Arg, Router
from commands.render import Bold, Doc, Reply
from knowledge.meetings.model import Firing, ReminderTarget
from knowledge.values import Destination

router = Router()

REMIND_HELP = {
    "de": "Erinnert dich, den Raum oder alle: „!erinnere mich morgen 9 Uhr | Protokoll schicken“, „!erinnere hier jeden "
          "Montag 9 Uhr | Wochenplan“. „alle“ (mit @room) nur für die Koordination.",
    "en": "Reminds you, the room or everyone: “!remind me tomorrow 9am | send the minutes”, “!remind here every Monday "
          "9am | weekly plan”. “everyone” (with @room) is for coordinators.",
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
        start=when.start, timezone=ctx.services.network.timezone, rrule=when.rrule, created_by=ctx.caller.user_id,
        mention_room=target == "everyone", at=ctx.now,
    )
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
    await ctx.services.meetings.cancel_reminder(found)
    return Doc().p(t(ctx.lang, "meetings.reminder_cancelled", id=found.short_id)).reply(reaction="✅", objects=(found.short_id,))


async def render_reminder_post(services: Services, firing: Firing, late: bool) -> Outgoing | None:
    """A reminder that fell due; None if it was cancelled."""
    item = await services.meetings.reminder_by_id(firing.item_id)
    if item is None or item.cancelled:
        return None
    target = Destination.direct(item.created_by) if item.target is ReminderTarget.DIRECT else Destination.to_room(item.room_id)
    lang = await services.language_for(target)
    doc = Doc()
    if late:
        doc.p(Bold(t(lang, "meetings.late_note")))
    doc.p(("@room " if item.mention_room else "") + t(lang, "meetings.reminder_fired", text=item.text))
    return Outgoing(target, doc.reply(), firing.key, mention_room=item.mention_room)
