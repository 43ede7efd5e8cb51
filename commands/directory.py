"""Who handles what: asking the directory, and keeping it true when people come and go."""
from __future__ import annotations

from datetime import datetime, timedelta

from commands.context import CommandContext, Outgoing, Permission, Services
from commands.errors import BadArgument, NotFound, PermissionDenied
from commands.i18n import t
from commands.registry import Arg, Router
from commands.render import Bold, Doc, Link, Reply
from knowledge.directory import EDITABLE_FIELDS, LIST_FIELDS, LookupResult, RoleEntry, RoleNotFound, RoleStatus, Visibility
from knowledge.directory_io import STATUS_ALIASES
from knowledge.lookup import UnknownLanguage
from knowledge.timefmt import parse_day, spell_date, spell_datetime

router = Router()
MAX_QUESTION = 300
# A re-confirmation request that may not have arrived is offered again for this many days.
RESEND_DAYS = 7


def _visible_hfs(ctx: CommandContext) -> set[str] | None:
    if ctx.room.is_coordination:
        return None
    return {ctx.room.handlungsfeld} if ctx.room.handlungsfeld else set()


def _role_label(entry: RoleEntry) -> str:
    return f"{entry.role} ({entry.person})" if entry.person else entry.role


def entry_block(ctx: CommandContext, entry: RoleEntry, doc: Doc, matched_topic: str | None = None) -> None:
    """One role, accessibly: a bold heading line and a list of facts."""
    lang, directory = ctx.lang, ctx.services.directory
    doc.p(Bold(entry.role), " – ", entry.organisation)
    facts: list = []
    if matched_topic:
        facts.append(t(lang, "directory.topic", topic=directory.topic_name(matched_topic, lang)))
    if entry.status is RoleStatus.VACANT or not entry.person:
        if entry.status is RoleStatus.VACANT:
            facts.append(t(lang, "directory.vacant"))
    else:
        facts.append(t(lang, "directory.person", person=entry.person))
    if entry.status is RoleStatus.LEFT:
        facts.append(t(lang, "directory.left"))
    contact: list = []
    if entry.email:
        contact += [Link(f"mailto:{entry.email}", entry.email)]
    if entry.phone:
        contact += [" · " if contact else "", entry.phone]
    if entry.matrix_id and entry.status not in (RoleStatus.LEFT, RoleStatus.VACANT):
        contact += [" · " if contact else "", entry.matrix_id]
    if contact:
        facts.append((t(lang, "directory.contact"), *contact))
    if entry.office_hours:
        facts.append(t(lang, "directory.office_hours", hours="; ".join(entry.office_hours)))
    if entry.languages:
        facts.append(t(lang, "directory.languages", languages=", ".join(directory.language_name(c, lang) for c in entry.languages)))
    if entry.target_groups:
        facts.append(t(lang, "directory.target_groups", groups="; ".join(entry.target_groups)))
    if entry.deputy:
        try:
            deputy = directory.get(entry.deputy)
            facts.append(t(lang, "directory.deputy", deputy=f"{_role_label(deputy)}, {deputy.organisation}"))
        except RoleNotFound:
            pass
    if entry.last_confirmed:
        key = "directory.unconfirmed" if entry.status is RoleStatus.UNCONFIRMED else "directory.confirmed"
        facts.append(t(lang, key, date=spell_date(entry.last_confirmed, lang)))
    else:
        facts.append(t(lang, "directory.never_confirmed"))
    facts.append(t(lang, "directory.id", id=entry.id, show=f"{ctx.prefix}{ctx.command_word('entry')} {entry.id}"))
    doc.ul(facts)



async def answer_question(ctx: CommandContext, text: str) -> Reply:
    """The answer to "who handles …?", shared by `!wer` and natural questions."""
    lang, directory = ctx.lang, ctx.services.directory
    text = text.strip()
    example = f"{ctx.prefix}{ctx.command_word('who')} {t(lang, 'directory.example')}"
    if len(text) > MAX_QUESTION:
        raise BadArgument("knowledge.too_long", length=len(text), max=MAX_QUESTION)
    try:
        result: LookupResult = directory.lookup(text, _visible_hfs(ctx))
    except UnknownLanguage as exc:
        valid = ", ".join(sorted(directory.table.language_names))
        raise BadArgument("directory.unknown_language", code=str(exc), valid=valid) from None
    if result.kind == "empty":
        raise BadArgument("directory.empty_question", example=example)
    topic_names = [directory.topic_name(tp, lang) for tp in result.topics]
    if result.kind == "answer":
        doc = Doc()
        if result.topics:
            doc.p(t(lang, "directory.answer_title", topic=topic_names[0]))
        else:
            doc.p(t(lang, "directory.speakers_title", language=directory.language_name(result.language, lang)))
        for match in result.matches:
            entry_block(ctx, match.entry, doc)
        return doc.reply()
    if result.kind == "ambiguous":
        doc = Doc().p(t(lang, "directory.ambiguous_title", topics=", ".join(topic_names)))
        doc.ul([
            (Bold(directory.topic_name(m.topic, lang)), ": ", _role_label(m.entry), ", ", m.entry.organisation,
             f" ({m.entry.id})")
            for m in result.matches
        ])
        doc.p(t(lang, "directory.ambiguous_hint", example=f"{ctx.prefix}{ctx.command_word('who')} {topic_names[0]}",
                show=f"{ctx.prefix}{ctx.command_word('entry')} {result.matches[0].entry.id}"))
        return doc.reply()
    # Nobody: say so honestly, suggest, and note the question (without who asked) for the coordinators.
    await directory.repository.log_question(text, ctx.now, ctx.room.handlungsfeld)
    doc = Doc()
    if result.language and result.extra.get("known_topic"):
        language = directory.language_name(result.language, lang)
        doc.p(t(lang, "directory.nobody_language", topic=topic_names[0], language=language))
        speakers = result.extra.get("speakers") or ()
        if speakers:
            doc.p(t(lang, "directory.speakers_instead", language=language))
            doc.ul([(_role_label(m.entry), ", ", m.entry.organisation, f" ({m.entry.id})") for m in speakers])
    elif result.extra.get("known_topic"):
        doc.p(t(lang, "directory.nobody_for_topic", topic=topic_names[0]))
    else:
        doc.p(t(lang, "directory.nobody", question=text))
        if topic_names:
            doc.p(t(lang, "directory.suggestions", topics=", ".join(topic_names)))
    doc.p(t(lang, "directory.noted"))
    return doc.reply()


@router.command(
    "who",
    aliases={"de": ("wer",)},
    args=(Arg("question", label={"de": "Thema", "en": "topic"}, rest=True, required=False),),
    help={
        "de": "Sagt, wer für ein Thema zuständig ist, z. B. „!wer Sprachkurs“. Mit „sprache:uk“ nur, wer Ukrainisch spricht.",
        "en": "Tells who handles a topic, e.g. “!who language course”. With “language:uk” only people who speak Ukrainian.",
    },
    catch_all=True,
)
async def who(ctx: CommandContext, question: str) -> Reply:
    return await answer_question(ctx, question)


@router.command(
    "entry",
    aliases={"de": ("eintrag",)},
    args=(Arg("entry_id", label={"de": "Nummer", "en": "id"}),),
    help={"de": "Zeigt einen Eintrag im Verzeichnis ganz, z. B. „!eintrag p03“.", "en": "Shows one directory entry in full, e.g. “!entry p03”."},
)
async def entry(ctx: CommandContext, entry_id: str) -> Reply:
    found = _get_visible(ctx, entry_id)
    doc = Doc()
    entry_block(ctx, found, doc)
    lang = ctx.lang
    extra = []
    if found.topics:
        extra.append(t(lang, "directory.topics", topics=", ".join(ctx.services.directory.topic_name(tp, lang) for tp in found.topics)))
    if found.funded_until:
        extra.append(t(lang, "directory.funded_until", date=spell_date(found.funded_until, lang)))
    if found.location:
        extra.append(t(lang, "directory.location", location=found.location))
    if found.notes:
        extra.append(t(lang, "directory.notes", notes=found.notes))
    doc.ul(extra)
    return doc.reply()


def _get_visible(ctx: CommandContext, entry_id: str) -> RoleEntry:
    try:
        found = ctx.services.directory.get(entry_id.strip())
    except RoleNotFound:
        raise NotFound("directory.not_found", id=entry_id, who=f"{ctx.prefix}{ctx.command_word('who')}") from None
    visible = _visible_hfs(ctx)
    if found.visibility is Visibility.ROOM and visible is not None and not set(found.handlungsfelder) & visible:
        raise NotFound("directory.not_found", id=entry_id, who=f"{ctx.prefix}{ctx.command_word('who')}")
    return found


@router.command(
    "open-questions",
    aliases={"de": ("offene-fragen",)},
    help={
        "de": "Zeigt Fragen der letzten 90 Tage, auf die ich niemanden wusste. Ohne Namen.",
        "en": "Shows questions of the last 90 days that I had nobody for. Without names.",
    },
    permission=Permission.COORDINATOR,
)
async def open_questions(ctx: CommandContext) -> Reply:
    lang = ctx.lang
    since = ctx.now - timedelta(days=ctx.services.directory_policy.question_retention_days)
    rows, total = await ctx.services.directory.repository.open_questions(since)
    if not rows:
        return Doc().p(t(lang, "directory.no_open_questions")).reply()
    doc = Doc().p(t(lang, "directory.open_questions_title", shown=len(rows), total=total))
    doc.ul([f"„{text}“ – {spell_datetime(at, lang, ctx.services.timezone)}" for at, text, _ in rows])
    return doc.reply()


def _parse_value(ctx: CommandContext, field: str, value: str):
    if field in LIST_FIELDS:
        return tuple(v.strip() for v in value.replace(",", ";").split(";") if v.strip())
    if field == "funded_until":
        day = parse_day(value)
        if day is None:
            raise BadArgument("knowledge.bad_date", text=value)
        return day
    if field == "status":
        status = STATUS_ALIASES.get(value.strip().lower())
        if status is None:
            raise BadArgument("directory.bad_status", value=value)
        return status
    if field == "visibility":
        try:
            return Visibility({"öffentlich": "public", "oeffentlich": "public", "netzwerk": "network", "raum": "room"}.get(value.lower(), value.lower()))
        except ValueError:
            raise BadArgument("directory.bad_visibility", value=value) from None
    if field == "deputy" and value:
        try:
            ctx.services.directory.get(value)
        except RoleNotFound:
            raise BadArgument("directory.not_found", id=value, who=f"{ctx.prefix}{ctx.command_word('who')}") from None
    if field == "matrix_id" and value and not (value.startswith("@") and ":" in value):
        raise BadArgument("directory.bad_matrix_id", value=value)
    return value or None


@router.command(
    "set-role",
    aliases={"de": ("zuständig", "zustaendig")},
    args=(
        Arg("entry_id", label={"de": "Nummer oder neu", "en": "id or new"}),
        Arg("field", label={"de": "Feld", "en": "field"}, required=False),
        Arg("value", label={"de": "Wert", "en": "value"}, rest=True, required=False),
    ),
    help={
        "de": "Ändert einen Eintrag im Verzeichnis, z. B. „!zuständig p03 telefon +49 …“. Neu: „!zuständig neu Rolle | Organisation | Themen“.",
        "en": "Changes a directory entry, e.g. “!set-role p03 phone +49 …”. New: “!set-role new role | organisation | topics”.",
    },
    permission=Permission.COORDINATOR,
)
async def set_role(ctx: CommandContext, entry_id: str, field: str, value: str) -> Reply:
    lang, directory = ctx.lang, ctx.services.directory
    if entry_id.casefold() in {"neu", "new"}:
        parts = [p.strip() for p in f"{field} {value}".split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise BadArgument("directory.new_usage", example=f"{ctx.prefix}{ctx.word} neu Sozialberatung | Wohlfahrtsverband Beispiel | beratung")
        topics = tuple(tp.strip() for tp in parts[2].replace(",", ";").split(";") if tp.strip()) if len(parts) > 2 else ()
        unknown = [tp for tp in topics if tp not in directory.table.topics]
        if unknown:
            raise BadArgument("directory.unknown_topics", topics=", ".join(unknown), valid=", ".join(sorted(directory.table.topics)))
        new_id = await directory.repository.next_id()
        created = RoleEntry(id=new_id, role=parts[0], organisation=parts[1], topics=topics,
                            handlungsfelder=(ctx.room.handlungsfeld,) if ctx.room.handlungsfeld else (),
                            last_confirmed=ctx.now.date(), confirmed_by=ctx.caller.user_id)
        await directory.save(created, ctx.caller.user_id, ctx.now, "created")
        return Doc().p(t(lang, "directory.created", id=new_id, role=created.role)).reply(reaction="✅")
    found = _get_visible(ctx, entry_id)
    key = EDITABLE_FIELDS.get(field.casefold()) if field else None
    if key is None:
        fields = ", ".join(sorted({k for k in EDITABLE_FIELDS if (lang == "de") == (k not in _ENGLISH_FIELD_WORDS)}))
        raise BadArgument("directory.unknown_field", field=field or "–", valid=fields)
    parsed = _parse_value(ctx, key, value.strip())
    if key == "topics":
        unknown = [tp for tp in parsed if tp not in directory.table.topics]
        if unknown:
            raise BadArgument("directory.unknown_topics", topics=", ".join(unknown), valid=", ".join(sorted(directory.table.topics)))
    if key in {"role", "organisation"} and not parsed:
        raise BadArgument("directory.value_required", field=field)
    await directory.update(found.id, ctx.caller.user_id, ctx.now, "edited", **{key: parsed})
    return Doc().p(t(lang, "directory.updated", id=found.id, field=field)).reply(reaction="✅")


_ENGLISH_FIELD_WORDS = {"name", "role", "organization", "phone", "office-hours", "languages", "topics", "deputy",
                        "funded-until", "visibility", "target-groups", "location", "notes", "mail"}


@router.command(
    "confirm",
    aliases={"de": ("bestätigen", "bestaetigen", "ja", "stimmt"), "en": ("yes",)},
    args=(Arg("entry_id", label={"de": "Nummer", "en": "id"}, required=False),),
    help={
        "de": "Bestätigt, dass deine Einträge im Verzeichnis stimmen. Die Koordination kann jeden Eintrag bestätigen.",
        "en": "Confirms that your directory entries are correct. Coordinators can confirm any entry.",
    },
)
async def confirm(ctx: CommandContext, entry_id: str) -> Reply:
    directory, user = ctx.services.directory, ctx.caller.user_id
    if entry_id:
        found = _get_visible(ctx, entry_id)
        if found.matrix_id != user and ctx.caller.permission < Permission.COORDINATOR:
            raise PermissionDenied("directory.not_yours", id=found.id)
        targets = [found]
    else:
        targets = directory.held_by(user)
        if not targets:
            return Doc().p(t(ctx.lang, "directory.nothing_to_confirm")).reply()
    for target in targets:
        status = RoleStatus.ACTIVE if target.status is RoleStatus.UNCONFIRMED else target.status
        await directory.update(target.id, user, ctx.now, "confirmed", last_confirmed=ctx.now.date(),
                               confirmed_by=user, status=status, confirmation_requested=None)
    ids = ", ".join(tg.id for tg in targets)
    return Doc().p(t(ctx.lang, "directory.thanks_confirmed", ids=ids)).reply(reaction="✅")


@router.command(
    "correction",
    aliases={"de": ("korrektur", "nein"), "en": ("no",)},
    args=(Arg("text", label={"de": "was sich geändert hat", "en": "what changed"}, rest=True, required=False),),
    help={
        "de": "Meldet der Koordination, was in deinem Eintrag nicht mehr stimmt, z. B. „!korrektur neue Telefonnummer 0000 123“.",
        "en": "Tells the coordinators what is no longer right in your entry, e.g. “!correction new phone 0000 123”.",
    },
)
async def correction(ctx: CommandContext, text: str) -> Reply:
    if not text.strip():
        raise BadArgument("directory.correction_empty", example=f"{ctx.prefix}{ctx.word} {t(ctx.lang, 'directory.correction_example')}")
    held = ctx.services.directory.held_by(ctx.caller.user_id)
    for entry_ in held:
        await ctx.services.directory.update(entry_.id, ctx.caller.user_id, ctx.now, "correction", confirmation_requested=None)
    await ctx.services.deliver(
        Outgoing(
            "coordination",
            Doc().p(t(ctx.services.default_language, "directory.correction_for_coordinators",
                      user=ctx.caller.user_id, ids=", ".join(e.id for e in held) or "–", text=text.strip())).reply(),
            f"correction:{ctx.event_id}",
        )
    )
    return Doc().p(t(ctx.lang, "directory.correction_sent")).reply(reaction="✅")


@router.command(
    "handover",
    aliases={"de": ("übergabe", "uebergabe")},
    args=(
        Arg("old", label={"de": "@bisher", "en": "@previous"}),
        Arg("new", label={"de": "@neu", "en": "@new"}),
        Arg("name", label={"de": "Name", "en": "name"}, rest=True, required=False),
    ),
    help={
        "de": "Übergibt alle Rollen einer Person an eine neue Person, z. B. „!übergabe @alt:server @neu:server Vorname Name“.",
        "en": "Hands all roles of one person over to a new person, e.g. “!handover @old:server @new:server First Last”.",
    },
    permission=Permission.COORDINATOR,
)
async def handover(ctx: CommandContext, old: str, new: str, name: str) -> Reply:
    for value in (old, new):
        if not (value.startswith("@") and ":" in value):
            raise BadArgument("directory.bad_matrix_id", value=value)
    directory = ctx.services.directory
    roles = directory.held_by(old)
    if not roles:
        raise NotFound("directory.holds_nothing", user=old)
    for role in roles:
        await directory.update(
            role.id, ctx.caller.user_id, ctx.now, "handover", matrix_id=new, person=name.strip() or new,
            status=RoleStatus.ACTIVE, last_confirmed=None, confirmation_requested=None, successor=None,
        )
    return Doc().p(t(ctx.lang, "directory.handed_over", count=len(roles), ids=", ".join(r.id for r in roles), old=old, new=new)).reply(reaction="✅")


# ----- keeping the directory true (run by the scheduler) ---------------------------------


async def confirmation_round(services: Services, now: datetime) -> list[Outgoing]:
    """Ask holders to re-confirm every N months; mark entries unconfirmed after 30 days of silence."""
    directory, policy, lang = services.directory, services.directory_policy, services.default_language
    today = now.date()
    out: list[Outgoing] = []
    for role in directory.all():
        if role.status in (RoleStatus.VACANT, RoleStatus.LEFT) or not role.needs_confirmation(today, policy.reconfirm_days):
            continue
        requested = role.confirmation_requested
        if requested is None or (role.last_confirmed and requested < role.last_confirmed):
            if not role.matrix_id:
                continue
            await directory.update(role.id, "lotse", now, "confirmation_requested", confirmation_requested=today)
            out.append(Outgoing(f"dm:{role.matrix_id}", _confirmation_request(services, role, lang), f"confirm:{role.id}:{today.isoformat()}"))
            continue
        if role.matrix_id and today - requested < timedelta(days=RESEND_DAYS):
            # Asked recently: offered again, the bot sends it only if it was not delivered (same key).
            out.append(Outgoing(f"dm:{role.matrix_id}", _confirmation_request(services, role, lang), f"confirm:{role.id}:{requested.isoformat()}"))
        if today - requested >= timedelta(days=policy.unconfirmed_after_days) and role.status is RoleStatus.ACTIVE:
            await directory.update(role.id, "lotse", now, "unconfirmed", status=RoleStatus.UNCONFIRMED)
    return out


def _confirmation_request(services: Services, role: RoleEntry, lang: str) -> Reply:
    when = spell_date(role.last_confirmed, lang) if role.last_confirmed else t(lang, "directory.never")
    doc = Doc().p(t(lang, "directory.confirm_request", role=role.role, organisation=role.organisation, date=when))
    facts = [t(lang, "directory.contact_plain", contact=" · ".join(filter(None, [role.email, role.phone])) or "–")]
    if role.office_hours:
        facts.append(t(lang, "directory.office_hours", hours="; ".join(role.office_hours)))
    if role.languages:
        facts.append(t(lang, "directory.languages", languages=", ".join(services.directory.language_name(c, lang) for c in role.languages)))
    doc.ul(facts)
    doc.p(t(lang, "directory.confirm_how"))
    return doc.reply()


async def funding_round(services: Services, now: datetime) -> list[Outgoing]:
    """Tell the coordinators, once, when a funded post ends within the warning period."""
    directory, policy, lang = services.directory, services.directory_policy, services.default_language
    today = now.date()
    out = []
    for role in directory.all():
        if not role.funded_until or role.funded_until - today > timedelta(days=policy.funding_warning_days):
            continue
        if role.funding_reminded and role.funded_until < today:
            continue  # the post has ended; a reminder that never arrived is no use any more
        if not role.funding_reminded:
            await directory.update(role.id, "lotse", now, "funding_reminded", funding_reminded=True)
        # Offered again while the post runs: the bot sends it only if it was not delivered (same key).
        text = t(lang, "directory.funding_ends", role=_role_label(role), organisation=role.organisation,
                 date=spell_date(role.funded_until, lang), id=role.id)
        out.append(Outgoing("coordination", Doc().p(text).reply(), f"funding:{role.id}:{role.funded_until.isoformat()}"))
    return out


def departure_notice(services: Services, user_id: str, key: str) -> Outgoing | None:
    """Someone left every network room: tell the coordinators which roles they held."""
    held = services.directory.held_by(user_id)
    if not held:
        return None
    lang = services.default_language
    doc = Doc().p(t(lang, "directory.member_left", user=user_id))
    doc.ul([(_role_label(r), ", ", r.organisation, f" ({r.id})") for r in held])
    doc.p(t(lang, "directory.member_left_hint"))
    return Outgoing("coordination", doc.reply(), key)

