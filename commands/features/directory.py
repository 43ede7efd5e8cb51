"""Who handles what: asking the directory, and keeping it true when people come and go."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from commands.context import CommandContext, Outgoing, Services
from commands.errors import BadArgument, NotFound, UserError
from commands.i18n import t
from commands.permission import Permission
from commands.registry import PLAIN_ID, Arg, Router
from commands.render import Bold, Doc, Inline, Item, Link, Reply
from knowledge.dates import parse_day, spell_date, spell_datetime
from knowledge.directory.files import STATUS_ALIASES
from knowledge.directory.lookup import UnknownLanguage
from knowledge.directory.model import EDITABLE_FIELDS, LIST_FIELDS, Asker, LookupResult, QuestionNotFound, RoleEntry, RoleNotFound, RoleStatus, Visibility
from knowledge.upkeep import DirectoryKeeping
from knowledge.values import Destination

router = Router()
MAX_QUESTION = 300


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
    facts: list[Item] = []
    if matched_topic:
        facts.append(t(lang, "directory.topic", topic=directory.topic_name(matched_topic, lang)))
    if entry.status is RoleStatus.VACANT or not entry.person:
        if entry.status is RoleStatus.VACANT:
            facts.append(t(lang, "directory.vacant"))
    else:
        facts.append(t(lang, "directory.person", person=entry.person))
    if entry.status is RoleStatus.LEFT:
        facts.append(t(lang, "directory.left"))
    contact: list[Inline] = []
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
    facts.append(t(lang, "directory.id", id=entry.id, show=ctx.cmd('entry', entry.id)))
    doc.ul(facts)



async def answer_question(ctx: CommandContext, text: str) -> Reply:
    """The answer to "who handles …?", shared by `!wer` and natural questions."""
    lang, directory = ctx.lang, ctx.services.directory
    text = text.strip()
    example = ctx.cmd('who', t(lang, 'directory.example'))
    if len(text) > MAX_QUESTION:
        raise BadArgument("knowledge.too_long", length=len(text), max=MAX_QUESTION)
    try:
        result: LookupResult = directory.lookup(text, _visible_hfs(ctx))
    except UnknownLanguage as exc:
        valid = ", ".join(sorted(directory.table.language_names))
        raise BadArgument("directory.unknown_language", code=str(exc), valid=valid) from None
    if result.kind == "empty":
        raise BadArgument("directory.empty_question", example=example)
    doc = render_result(ctx, result, text)
    if result.kind == "none":
        # Noted without a name for the coordinators; who asked is kept apart, only to send the answer.
        asker = Asker(ctx.caller.user_id, ctx.room.room_id, ctx.room.is_direct, lang)
        number = await directory.note_question(text, ctx.now, ctx.room.handlungsfeld, asker)
        doc.p(t(lang, "directory.noted", id=f"F-{number}"))
    return doc.reply()


def render_result(ctx: CommandContext, result: LookupResult, text: str) -> Doc:
    """A lookup result as a message: an answer, candidates, or nobody (with hints)."""
    lang, directory = ctx.lang, ctx.services.directory
    topic_names = [directory.topic_name(tp, lang) for tp in result.topics]
    if result.kind == "answer":
        doc = Doc()
        if result.extra.get("deputy_of"):
            doc.p(t(lang, "directory.deputy_title"))
        elif result.topics:
            doc.p(t(lang, "directory.answer_title", topic=topic_names[0]))
        elif result.language:
            doc.p(t(lang, "directory.speakers_title", language=directory.language_name(result.language, lang)))
        else:
            doc.p(t(lang, "directory.roles_title"))
        for match in result.matches:
            entry_block(ctx, match.entry, doc)
        return doc
    if result.kind == "ambiguous":
        # Not sure: candidates, each with its status (and deputy), never one confident name.
        doc = Doc().p(t(lang, "directory.candidates_title"))
        items: list[Item] = []
        for m in result.matches:
            item: list[Inline] = [Bold(_role_label(m.entry)), ", ", m.entry.organisation]
            if m.topic:
                item += [" – ", directory.topic_name(m.topic, lang)]
            if m.entry.status is RoleStatus.UNCONFIRMED:
                item += [" – ", t(lang, "directory.status_unconfirmed")]
            elif m.entry.status in (RoleStatus.LEFT, RoleStatus.VACANT):
                item += [" – ", t(lang, "directory.status_" + m.entry.status.value)]
                deputy = directory.engine.get(m.entry.deputy) if m.entry.deputy else None
                if deputy:
                    item += [", ", t(lang, "directory.deputy", deputy=f"{_role_label(deputy)}, {deputy.organisation}")]
            items.append((*item, f" ({m.entry.id})"))
        doc.ul(items)
        doc.p(t(lang, "directory.ambiguous_hint", example=ctx.cmd('who', t(lang, 'directory.example')),
                show=ctx.cmd('entry', result.matches[0].entry.id)))
        return doc
    # Nobody: say so honestly and suggest (the caller notes the question for the coordinators).
    doc = Doc()
    if result.language and result.extra.get("known_topic") and topic_names:
        language = directory.language_name(result.language, lang)
        doc.p(t(lang, "directory.nobody_language", topic=topic_names[0], language=language))
        speakers = result.extra.get("speakers") or ()
        if speakers:
            doc.p(t(lang, "directory.speakers_instead", language=language))
            doc.ul([(_role_label(m.entry), ", ", m.entry.organisation, f" ({m.entry.id})") for m in speakers])
    elif result.extra.get("elsewhere"):
        where = result.extra["elsewhere"]
        doc.p(t(lang, "directory.elsewhere", question=text, where=where.get(lang) or where.get("de") or next(iter(where.values()))))
    elif result.extra.get("known_topic") and topic_names:
        doc.p(t(lang, "directory.nobody_for_topic", topic=topic_names[0]))
    else:
        doc.p(t(lang, "directory.nobody", question=text))
        if topic_names:
            doc.p(t(lang, "directory.suggestions", topics=", ".join(topic_names)))
    return doc


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
    plain=PLAIN_ID,
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
        raise NotFound("directory.not_found", id=entry_id, who=ctx.cmd('who')) from None
    visible = _visible_hfs(ctx)
    if found.visibility is Visibility.ROOM and visible is not None and not set(found.handlungsfelder) & visible:
        raise NotFound("directory.not_found", id=entry_id, who=ctx.cmd('who'))
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
    since = ctx.now - timedelta(days=ctx.services.network.retention.question_days)
    rows, total = await ctx.services.directory.open_question_list(since)
    if not rows:
        return Doc().p(t(lang, "directory.no_open_questions")).reply()
    doc = Doc().p(t(lang, "directory.open_questions_title", shown=len(rows), total=total))
    doc.ul([f"{q.short_id}: „{q.text}“ – {spell_datetime(q.asked_at, lang, ctx.services.network.timezone)}" for q in rows])
    doc.p(t(lang, "directory.open_questions_hint", example=ctx.cmd("assign", f"{rows[0].short_id} p03")))
    return doc.reply()


@router.command(
    "assign",
    aliases={"de": ("zuordnen",)},
    plain=r"F-\d+\s+\S+.*",
    args=(
        Arg("question_id", label={"de": "F-Nummer", "en": "F-number"}),
        Arg("target", label={"de": "Eintrag oder Thema", "en": "entry or topic"}),
        Arg("phrase", label={"de": "Stichwort", "en": "phrase"}, rest=True, required=False),
    ),
    help={
        "de": "Beantwortet eine offene Frage: „!zuordnen F-3 p03“ (ein Eintrag) oder „!zuordnen F-3 wohnen“ (ein Thema). "
              "Ich lerne die Worte der Frage und sage der Person Bescheid, die gefragt hat.",
        "en": "Answers an open question: “!assign F-3 p03” (an entry) or “!assign F-3 wohnen” (a topic). "
              "I learn the words of the question and tell the person who asked.",
    },
    permission=Permission.COORDINATOR,
)
async def assign(ctx: CommandContext, question_id: str, target: str, phrase: str) -> Reply:
    lang, directory = ctx.lang, ctx.services.directory
    found = re.fullmatch(r"[Ff]-?(\d+)", question_id.strip())
    if not found:
        raise BadArgument("directory.bad_question_id", value=question_id)
    number = int(found.group(1))
    kind, value = _assign_target(ctx, target)
    try:
        question, learned, asker = await directory.resolve_question(number, kind, value, phrase, ctx.caller.user_id, ctx.now)
    except QuestionNotFound:
        raise NotFound("directory.question_not_found", id=f"F-{number}") from None
    except LookupError:
        raise UserError("directory.question_resolved", id=f"F-{number}") from None
    label = _role_label(directory.get(value)) if kind == "entry" else directory.topic_name(value, lang)
    if asker:
        # Tell the person who asked, in their language, where they asked (or by direct message).
        asker_ctx = replace(ctx, lang=asker.lang)
        result = directory.lookup(question.text)
        doc = Doc().p(t(asker.lang, "directory.answer_found", question=question.text,
                        date=spell_date(question.asked_at.date(), asker.lang)))
        if result.kind == "answer":
            doc.extend(render_result(asker_ctx, result, question.text))
        elif kind == "entry":
            entry_block(asker_ctx, directory.get(value), doc)
        else:
            doc.p(t(asker.lang, "directory.answer_topic", topic=directory.topic_name(value, asker.lang)))
        where = Destination.to_room(asker.room_id) if asker.direct else Destination.direct(asker.user_id)
        await ctx.services.bot.deliver(Outgoing(where, doc.reply(), f"answer:F-{number}"))
    key = "directory.assigned_told" if asker else "directory.assigned"
    shown = f"{label} ({value})" if kind == "entry" else label
    objects = (f"F-{number}", value) if kind == "entry" else (f"F-{number}",)
    return Doc().p(t(lang, key, id=f"F-{number}", phrase=learned, target=shown)).reply(reaction="✅", objects=objects)


def _assign_target(ctx: CommandContext, target: str) -> tuple[str, str]:
    """("entry", "p03") or ("topic", "wohnen") for what a coordinator wrote."""
    directory = ctx.services.directory
    value = target.strip()
    try:
        return "entry", _get_visible(ctx, value).id
    except NotFound:
        pass
    wanted = value.casefold().replace("-", "_")
    for topic_id, topic in directory.table.topics.items():
        if wanted in (topic_id, topic.name_de.casefold(), topic.name_en.casefold()):
            return "topic", topic_id
    raise BadArgument("directory.bad_assign_target", value=value, valid=", ".join(sorted(directory.table.topics)))


def _parse_value(ctx: CommandContext, field: str, value: str) -> Any:
    if field in LIST_FIELDS:
        return tuple(v.strip() for v in value.replace(",", ";").split(";") if v.strip())
    if field == "funded_until":
        day = parse_day(value, ctx.now.date())
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
            raise BadArgument("directory.not_found", id=value, who=ctx.cmd('who')) from None
    if field == "matrix_id" and value and ctx.person(value) is None:
        raise BadArgument("directory.bad_matrix_id", value=value)
    return value or None


@router.command(
    "set-role",
    plain=r"(?:neu|new|[A-Za-z]{1,2}-?\d+)\s.*",
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
    return Doc().p(t(lang, "directory.updated", id=found.id, field=field)).reply(reaction="✅", objects=(found.id,))


@router.subcommand(
    "set-role", "new", aliases={"de": ("neu",)},
    args=(Arg("text", label={"de": "Rolle | Organisation | Themen", "en": "role | organisation | topics"}, rest=True, required=False),),
    help={"de": "Legt einen neuen Eintrag an: „!zuständig neu Rolle | Organisation | Themen“.",
          "en": "Adds a new entry: “!set-role new role | organisation | topics”."},
    permission=Permission.COORDINATOR,
)
async def set_role_new(ctx: CommandContext, text: str) -> Reply:
    lang, directory = ctx.lang, ctx.services.directory
    parts = [p.strip() for p in text.split("|")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise BadArgument("directory.new_usage", example=ctx.cmd("set-role new", "Sozialberatung | Wohlfahrtsverband Beispiel | beratung"))
    topics = tuple(tp.strip() for tp in parts[2].replace(",", ";").split(";") if tp.strip()) if len(parts) > 2 else ()
    unknown = [tp for tp in topics if tp not in directory.table.topics]
    if unknown:
        raise BadArgument("directory.unknown_topics", topics=", ".join(unknown), valid=", ".join(sorted(directory.table.topics)))
    created = await directory.create(parts[0], parts[1], topics,
                                     (ctx.room.handlungsfeld,) if ctx.room.handlungsfeld else (), ctx.caller.user_id, ctx.now)
    return Doc().p(t(lang, "directory.created", id=created.id, role=created.role)).reply(reaction="✅", objects=(created.id,))


_ENGLISH_FIELD_WORDS = {"name", "role", "organization", "phone", "office-hours", "languages", "topics", "deputy",
                        "funded-until", "visibility", "target-groups", "location", "notes", "mail"}


@router.command(
    "confirm",
    plain=PLAIN_ID,
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
        ctx.require_owner(found.matrix_id, refusal="directory.not_yours", id=found.id)
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
    return Doc().p(t(ctx.lang, "directory.thanks_confirmed", ids=ids)).reply(reaction="✅", objects=tuple(tg.id for tg in targets))


@router.command(
    "correction",
    plain=r".*",  # the one-word reply to a re-confirmation request: "nein, neue Nummer …"
    aliases={"de": ("korrektur", "nein"), "en": ("no",)},
    args=(Arg("text", label={"de": "was sich geändert hat", "en": "what changed"}, rest=True, required=False),),
    help={
        "de": "Meldet der Koordination, was in deinem Eintrag nicht mehr stimmt, z. B. „!korrektur neue Telefonnummer 0000 123“.",
        "en": "Tells the coordinators what is no longer right in your entry, e.g. “!correction new phone 0000 123”.",
    },
)
async def correction(ctx: CommandContext, text: str) -> Reply:
    if not text.strip():
        raise BadArgument("directory.correction_empty", example=ctx.echo(t(ctx.lang, 'directory.correction_example')))
    held = ctx.services.directory.held_by(ctx.caller.user_id)
    for entry_ in held:
        await ctx.services.directory.update(entry_.id, ctx.caller.user_id, ctx.now, "correction", confirmation_requested=None)
    await ctx.services.bot.deliver(
        Outgoing(
            Destination.coordination(),
            Doc().p(t(ctx.services.network.default_language, "directory.correction_for_coordinators",
                      user=ctx.caller.user_id, ids=", ".join(e.id for e in held) or "–", text=text.strip())).reply(),
            f"correction:{ctx.event_id}",
        )
    )
    return Doc().p(t(ctx.lang, "directory.correction_sent")).reply(reaction="✅")


@router.command(
    "handover",
    plain=r"@\S+\s+@\S+.*",
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
        if ctx.person(value) is None:
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
    return Doc().p(t(ctx.lang, "directory.handed_over", count=len(roles), ids=", ".join(r.id for r in roles), old=old, new=new)).reply(
        reaction="✅", objects=tuple(r.id for r in roles))


# ----- keeping the directory true (run by the scheduler) ---------------------------------


async def confirmation_round(services: Services, now: datetime) -> list[Outgoing]:
    """Ask holders by direct message to re-confirm their roles (the policy is in knowledge.upkeep)."""
    out = []
    for role in await DirectoryKeeping(services.directory, services.network.directory).confirmation_round(now):
        if role.matrix_id:
            holder = Destination.direct(role.matrix_id)
            request = _confirmation_request(services, role, await services.language_for(holder))
            asked = role.confirmation_requested or now.date()
            out.append(Outgoing(holder, request, f"confirm:{role.id}:{asked.isoformat()}"))
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
    lang = services.network.default_language
    out = []
    for role in await DirectoryKeeping(services.directory, services.network.directory).funding_round(now):
        assert role.funded_until is not None
        text = t(lang, "directory.funding_ends", role=_role_label(role), organisation=role.organisation,
                 date=spell_date(role.funded_until, lang), id=role.id)
        out.append(Outgoing(Destination.coordination(), Doc().p(text).reply(), f"funding:{role.id}:{role.funded_until.isoformat()}"))
    return out


def departure_notice(services: Services, user_id: str, key: str) -> Outgoing | None:
    """Someone left every network room: tell the coordinators which roles they held."""
    held = services.directory.held_by(user_id)
    if not held:
        return None
    lang = services.network.default_language
    doc = Doc().p(t(lang, "directory.member_left", user=user_id))
    doc.ul([(_role_label(r), ", ", r.organisation, f" ({r.id})") for r in held])
    doc.p(t(lang, "directory.member_left_hint"))
    return Outgoing(Destination.coordination(), doc.reply(), key)

