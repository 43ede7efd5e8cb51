"""The knowledge register in chat: record, change, find and show decisions, agreements,
links and notes.

Recording text may carry `#tags`, `lik:HF4` (ids in the state's integration concept) and,
for coordinators, `hf:<id>` to file it under another Handlungsfeld. Replying to a message
with a recording command and no text records the replied-to message and credits its author.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timezone
from typing import Any

from commands.context import CommandContext
from commands.errors import BadArgument, NotFound, UserError
from commands.i18n import t
from commands.permission import Permission
from commands.registry import Arg, Router
from commands.render import Bold, Doc, Inline, Item, Link, Reply
from knowledge.dates import parse_day, spell_date, spell_datetime
from knowledge.meetings.model import MinutesItemKind
from knowledge.register.model import (
    MAX_TAGS,
    MAX_TEXT,
    MAX_TITLE,
    MAX_URL,
    AlreadySuperseded,
    Entry,
    EntryNotFound,
    Kind,
    NewEntry,
    Query,
    Status,
    parse_short_id,
    parse_status,
)
from knowledge.values import Scope

router = Router()
PAGE = 10
PREVIEW = 160

TAG = re.compile(r"(?<!\S)#([^\s#:]{1,40})(?=\s|$)")
TRAILING_TAGS = re.compile(r"(?:^|\s+)(?:#[^\s#:]{1,40}\s*)+$")
HF_TOKEN = re.compile(r"(?<!\S)hf:(\S+)", re.IGNORECASE)
LIK_TOKEN = re.compile(r"(?<!\S)lik:(\S+)", re.IGNORECASE)
SUPERSEDE_WORDS = {"ersetzt", "ersetze", "supersedes", "replaces", "replace"}
SINCE_WORDS = {"seit", "since", "ab", "from"}

TEXT = Arg("text", label={"de": "Text", "en": "text"}, rest=True, required=False)
ENTRY_ID = Arg("entry_id", label={"de": "Nummer", "en": "id"})
FILTER = Arg("filters", label={"de": "Filter", "en": "filter"}, rest=True, required=False)


@dataclass(frozen=True)
class Parsed:
    text: str
    tags: tuple[str, ...]
    lik: tuple[str, ...]
    scope: Scope


def _kind_name(lang: str, kind: Kind) -> str:
    return t(lang, f"knowledge.kind.{kind.value}")


def _status_name(lang: str, status: Status | None) -> str:
    return t(lang, f"state.{status.value}") if status else ""


def scope_name(ctx: CommandContext, scope: Scope) -> str:
    if scope.is_network:
        return t(ctx.lang, "knowledge.scope.network")
    if scope.hf_id is not None:
        names = ctx.services.network.handlungsfelder.get(scope.hf_id)
        return names[ctx.lang] if names else scope.hf_id
    return t(ctx.lang, "knowledge.scope.room")


def _require_text(ctx: CommandContext, text: str, example: str) -> str:
    text = text.strip()
    if not text:
        raise BadArgument("knowledge.empty", example=example)
    if len(text) > MAX_TEXT:
        raise BadArgument("knowledge.too_long", length=len(text), max=MAX_TEXT)
    return text


def parse_recording(ctx: CommandContext, raw: str) -> Parsed:
    """Split #tags, lik: and hf: tokens from the text; check the caller may choose the scope."""
    tags = tuple(dict.fromkeys(m.lower() for m in TAG.findall(raw)))[:MAX_TAGS]
    lik = tuple(dict.fromkeys(v.upper() for m in LIK_TOKEN.findall(raw) for v in m.split(",") if v))
    hf_values = HF_TOKEN.findall(raw)
    text = LIK_TOKEN.sub("", HF_TOKEN.sub("", raw))
    # Tags inside a sentence stay part of it; a run of tags at the end is only labels.
    text = TRAILING_TAGS.sub("", re.sub(r"[ \t]{2,}", " ", text)).strip()
    scope = ctx.room.scope
    if hf_values:
        wanted = hf_values[-1].lower()
        ctx.require_owner(refusal="knowledge.hf_not_allowed")  # filing elsewhere is for coordinators
        if wanted not in ctx.services.network.handlungsfelder:
            raise BadArgument("knowledge.unknown_hf", hf=wanted, valid=", ".join(sorted(ctx.services.network.handlungsfelder)))
        scope = Scope.handlungsfeld(wanted)
    return Parsed(text=text, tags=tags, lik=lik, scope=scope)


def _source(ctx: CommandContext) -> dict[str, str]:
    """Where the recorded text comes from: the replied-to message, with credit and permalink."""
    quoted = ctx.reply_to
    if quoted is None:
        return {"author": ctx.caller.user_id}
    return {
        "author": quoted.sender,
        "source_event_id": quoted.event_id,
        "permalink": f"https://matrix.to/#/{ctx.room.room_id}/{quoted.event_id}",
    }


def _new_entry(ctx: CommandContext, kind: Kind, parsed: Parsed, **extra: Any) -> NewEntry:
    return NewEntry(
        kind=kind,
        scope=parsed.scope,
        text=parsed.text,
        recorded_by=ctx.caller.user_id,
        origin=ctx.event_id,
        tags=parsed.tags,
        lik=parsed.lik,
        room_id=ctx.room.room_id,
        **{**_source(ctx), **extra},
    )


def _preview(text: str) -> str:
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1].rstrip() + "…"


async def _capture(ctx: CommandContext, entry: Entry, kind: MinutesItemKind | None = None) -> bool:
    """During a session, what the register records also goes into the minutes."""
    minutes = ctx.services.minutes
    if minutes is None:
        return False
    text = f"{entry.headline} – {entry.url}" if entry.url else entry.headline
    return await minutes.capture(ctx.room.room_id, kind or MinutesItemKind(entry.kind.value), entry.short_id, text,
                                 ctx.caller.user_id, ctx.now, ctx.event_id)


async def _confirm(ctx: CommandContext, entry: Entry, minutes_kind: MinutesItemKind | None = None) -> Reply:
    lang = ctx.lang
    captured = await _capture(ctx, entry, minutes_kind)
    doc = Doc().p(
        t(lang, "knowledge.recorded", kind=_kind_name(lang, entry.kind), id=entry.short_id, text=_preview(entry.headline))
    )
    details = [t(lang, "knowledge.show.scope", scope=scope_name(ctx, entry.scope))]
    if entry.author != ctx.caller.user_id:
        details.append(t(lang, "knowledge.credited", author=entry.author))
    if entry.tags:
        details.append(t(lang, "knowledge.show.tags", tags=", ".join("#" + tag for tag in entry.tags)))
    if entry.supersedes:
        details.append(t(lang, "knowledge.replaces", old=entry.supersedes))
    if captured:
        details.append(t(lang, "meetings.in_minutes"))
    doc.ul(details)
    return doc.reply(reaction="✅", objects=(entry.short_id, *((entry.supersedes,) if entry.supersedes else ())))


async def _record_with_status(ctx: CommandContext, kind: Kind, text: str) -> Reply:
    first, _, rest = text.strip().partition(" ")
    old = None
    if first.casefold() in SUPERSEDE_WORDS:
        target, _, text = rest.strip().partition(" ")
        old = parse_short_id(target)
        if old is None:
            raise BadArgument("knowledge.bad_id", text=target or first)
        if not old[0].has_status:
            raise BadArgument("knowledge.supersede_kind")
    raw = text if text.strip() else (ctx.reply_to.body if ctx.reply_to else "")
    parsed = parse_recording(ctx, raw)
    _require_text(ctx, parsed.text, ctx.echo(t(ctx.lang, f"knowledge.example.{kind.value}")))
    kb = ctx.services.register
    new = _new_entry(ctx, kind, parsed)
    if old is None:
        entry, _ = await kb.record(new, ctx.now)
        return await _confirm(ctx, entry)
    await _visible_entry(ctx, old)
    try:
        entry, _, _ = await kb.supersede(old, new, ctx.now)
    except AlreadySuperseded as exc:
        raise UserError("knowledge.already_superseded", id=f"{old[0].prefix}-{old[1]}", by=str(exc)) from None
    return await _confirm(ctx, entry)


@router.command(
    "decision",
    aliases={"de": ("beschluss",), "en": ("decide",)},
    args=(TEXT,),
    help={
        "de": "Hält einen Beschluss fest. Mit „ersetzt B-12“ davor ersetzt er einen alten. Als Antwort auf eine Nachricht: hält diese fest.",
        "en": "Records a decision. With “supersedes B-12” first it replaces an old one. As a reply to a message: records that message.",
    },
)
async def decision(ctx: CommandContext, text: str) -> Reply:
    return await _record_with_status(ctx, Kind.DECISION, text)


@router.command(
    "agreement",
    aliases={"de": ("vereinbarung",)},
    args=(TEXT,),
    help={
        "de": "Hält eine Vereinbarung fest (wie ein Beschluss, aber weniger förmlich).",
        "en": "Records an agreement (like a decision, but less formal).",
    },
)
async def agreement(ctx: CommandContext, text: str) -> Reply:
    return await _record_with_status(ctx, Kind.AGREEMENT, text)


@router.command(
    "note",
    aliases={"de": ("notiz",)},
    args=(TEXT,),
    help={"de": "Hält eine Notiz fest.", "en": "Records a note."},
)
async def note(ctx: CommandContext, text: str) -> Reply:
    return await record_note(ctx, text)


async def record_note(ctx: CommandContext, text: str, minutes_kind: MinutesItemKind | None = None) -> Reply:
    """A note in the register; `!info` uses it too, as an info point in the minutes."""
    raw = text if text.strip() else (ctx.reply_to.body if ctx.reply_to else "")
    parsed = parse_recording(ctx, raw)
    _require_text(ctx, parsed.text, ctx.echo(t(ctx.lang, "knowledge.example.note")))
    entry, _ = await ctx.services.register.record(_new_entry(ctx, Kind.NOTE, parsed), ctx.now)
    return await _confirm(ctx, entry, minutes_kind)


URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@router.command(
    "link",
    args=(Arg("url", label={"de": "Adresse", "en": "address"}, required=False), Arg("title", label={"de": "Titel", "en": "title"}, rest=True, required=False)),
    help={
        "de": "Hält einen Link fest, mit Titel. Ich rufe den Link nie selbst auf.",
        "en": "Records a link, with a title. I never open the link myself.",
    },
)
async def link(ctx: CommandContext, url: str, title: str) -> Reply:
    if not url and ctx.reply_to:
        found = re.search(r"https?://\S+", ctx.reply_to.body)
        url = found.group(0) if found else ""
        title = title or ctx.reply_to.body.replace(url, "").strip()
    if not url:
        raise BadArgument("knowledge.empty_link", example=ctx.echo("https://www.example.org Titel"))
    if not URL.match(url) or len(url) > MAX_URL:
        raise BadArgument("knowledge.bad_url", url=url[:100])
    parsed = parse_recording(ctx, title)
    if len(parsed.text) > MAX_TITLE:
        raise BadArgument("knowledge.too_long", length=len(parsed.text), max=MAX_TITLE)
    text = parsed.text or url
    entry, _ = await ctx.services.register.record(
        _new_entry(ctx, Kind.LINK, Parsed(text, parsed.tags, parsed.lik, parsed.scope), url=url, title=parsed.text or None),
        ctx.now,
    )
    return await _confirm(ctx, entry)


# ----- changing entries ------------------------------------------------------------------


def _parse_id(text: str) -> tuple[Kind, int]:
    found = parse_short_id(text)
    if found is None:
        raise BadArgument("knowledge.bad_id", text=text)
    return found


async def _visible_entry(ctx: CommandContext, ref: tuple[Kind, int], history: bool = False) -> Entry:
    """The entry, if the caller may see it from here; otherwise the same answer as for a missing one."""
    short = f"{ref[0].prefix}-{ref[1]}"
    search_word = ctx.cmd("search")
    try:
        entry = await ctx.services.register.get(*ref, history=history)
    except EntryNotFound:
        raise NotFound("knowledge.not_found", id=short, search=search_word) from None
    scopes = ctx.visible_scopes()
    if scopes is not None and entry.scope not in scopes:
        raise NotFound("knowledge.not_found", id=short, search=search_word)
    return entry


def _check_may_change(ctx: CommandContext, entry: Entry) -> None:
    ctx.require_owner(entry.recorded_by, entry.author, refusal="knowledge.not_allowed", id=entry.short_id)


def _valid_statuses(lang: str) -> str:
    return ", ".join(t(lang, f"state.{s.value}") for s in Status if s is not Status.SUPERSEDED)


@router.command(
    "set-status",
    aliases={"de": ("stand",)},
    args=(ENTRY_ID, Arg("status", label={"de": "Stand", "en": "status"}),
          Arg("details", label={"de": "bis DATUM @wer", "en": "until DATE @who"}, rest=True, required=False)),
    help={
        "de": "Setzt den Stand eines Beschlusses, z. B. „!stand B-12 umgesetzt“. Optional: „bis 31.12.2026“ und „@wer“ als "
              "verantwortliche Person. Darf, wer ihn festgehalten hat, und die Koordination.",
        "en": "Sets the status of a decision, e.g. “!set-status B-12 implemented”. Optional: “until 2026-12-31” and “@who” "
              "as the person responsible. For whoever recorded it, and coordinators.",
    },
)
async def set_status(ctx: CommandContext, entry_id: str, status: str, details: str) -> Reply:
    ref = _parse_id(entry_id)
    entry = await _visible_entry(ctx, ref)
    if not entry.kind.has_status:
        raise BadArgument("knowledge.no_status", id=entry.short_id, kind=_kind_name(ctx.lang, entry.kind))
    chosen = parse_status(status)
    if chosen is None or chosen is Status.SUPERSEDED:
        raise BadArgument("knowledge.unknown_status", word=status, valid=_valid_statuses(ctx.lang))
    _check_may_change(ctx, entry)
    owner, due = None, None
    words = details.split()
    for i, word in enumerate(words):
        if ctx.person(word):
            owner = ctx.person(word)
        elif word.casefold() in {"bis", "until", "due"} and i + 1 < len(words):
            due = parse_day(words[i + 1], ctx.now.date())
            if due is None:
                raise BadArgument("knowledge.bad_date", text=words[i + 1])
    updated = await ctx.services.register.set_status(ref, ctx.caller.user_id, ctx.now, chosen, owner=owner, due=due)
    return Doc().p(t(ctx.lang, "knowledge.status_set", id=updated.short_id, status=_status_name(ctx.lang, updated.status))).reply(
        reaction="✅", objects=(updated.short_id,))


@router.command(
    "edit",
    aliases={"de": ("bearbeiten",)},
    args=(ENTRY_ID, Arg("text", label={"de": "neuer Text", "en": "new text"}, rest=True, required=False)),
    help={
        "de": "Ändert den Text eines Eintrags. Die alte Fassung bleibt im Verlauf. Darf, wer ihn festgehalten hat, und die Koordination.",
        "en": "Changes the text of an entry. The old version stays in the history. For whoever recorded it, and coordinators.",
    },
)
async def edit(ctx: CommandContext, entry_id: str, text: str) -> Reply:
    ref = _parse_id(entry_id)
    entry = await _visible_entry(ctx, ref)
    parsed = parse_recording(ctx, text)
    _require_text(ctx, parsed.text, ctx.echo(f"{entry.short_id} " + t(ctx.lang, "knowledge.example.note")))
    _check_may_change(ctx, entry)
    await ctx.services.register.edit(ref, ctx.caller.user_id, ctx.now, parsed.text, parsed.tags, parsed.lik)
    show = ctx.cmd("show", entry.short_id)
    return Doc().p(t(ctx.lang, "knowledge.edited", id=entry.short_id, show=show)).reply(reaction="✅", objects=(entry.short_id,))


@router.command(
    "retract",
    aliases={"de": ("zurückziehen", "zurueckziehen")},
    args=(ENTRY_ID,),
    help={
        "de": "Zieht einen Eintrag zurück. Er erscheint nicht mehr in Listen, bleibt aber im Verlauf. Darf, wer ihn festgehalten hat, und die Koordination.",
        "en": "Retracts an entry. It no longer shows in lists but stays in the history. For whoever recorded it, and coordinators.",
    },
)
async def retract(ctx: CommandContext, entry_id: str) -> Reply:
    ref = _parse_id(entry_id)
    entry = await _visible_entry(ctx, ref)
    _check_may_change(ctx, entry)
    if entry.retracted:
        raise UserError("knowledge.already_retracted", id=entry.short_id)
    await ctx.services.register.retract(ref, ctx.caller.user_id, ctx.now)
    show = ctx.cmd("show", entry.short_id)
    return Doc().p(t(ctx.lang, "knowledge.retracted", id=entry.short_id, show=show)).reply(reaction="✅", objects=(entry.short_id,))


async def _set_public(ctx: CommandContext, entry_id: str, public: bool) -> Reply:
    ref = _parse_id(entry_id)
    entry = await _visible_entry(ctx, ref)
    if entry.public != public:
        await ctx.services.register.set_public(ref, ctx.caller.user_id, ctx.now, public)
    key = "knowledge.public_set" if public else "knowledge.internal_set"
    return Doc().p(t(ctx.lang, key, id=entry.short_id)).reply(reaction="✅", objects=(entry.short_id,))


@router.command(
    "public",
    aliases={"de": ("öffentlich", "oeffentlich")},
    args=(ENTRY_ID,),
    help={
        "de": "Macht einen Eintrag öffentlich, für Transparenzberichte.",
        "en": "Makes an entry public, for transparency reports.",
    },
    permission=Permission.COORDINATOR,
)
async def make_public(ctx: CommandContext, entry_id: str) -> Reply:
    return await _set_public(ctx, entry_id, True)


@router.command(
    "internal",
    aliases={"de": ("intern",)},
    args=(ENTRY_ID,),
    help={"de": "Macht einen Eintrag wieder nur im Netzwerk sichtbar.", "en": "Makes an entry visible inside the network only again."},
    permission=Permission.COORDINATOR,
)
async def make_internal(ctx: CommandContext, entry_id: str) -> Reply:
    return await _set_public(ctx, entry_id, False)


# ----- finding ---------------------------------------------------------------------------



def _line(ctx: CommandContext, entry: Entry) -> tuple[Inline, ...]:
    parts: list[Inline] = [Bold(entry.short_id), " "]
    if entry.status:
        parts.append(f"({_status_name(ctx.lang, entry.status)}) ")
    parts.append(_preview(entry.headline))
    if entry.url:
        parts += [" – ", Link(entry.url, entry.url)]
    return tuple(parts)


def _parse_filters(ctx: CommandContext, kinds: tuple[Kind, ...], text: str) -> Query:
    """Filter words → a query (kept for `!mehr`)."""
    tag, since, scope, status = None, None, None, None
    words = text.split()
    i = 0
    names = ctx.services.network.handlungsfelder
    while i < len(words):
        word = words[i]
        lower = word.casefold()
        if word.startswith("#") and len(word) > 1:
            tag = word[1:].lower()
        elif lower in SINCE_WORDS and i + 1 < len(words):
            day = parse_day(words[i + 1], ctx.now.date(), past=True)
            if day is None:
                raise BadArgument("knowledge.bad_date", text=words[i + 1])
            since = datetime.combine(day, time.min, tzinfo=timezone.utc)
            i += 1
        elif lower.removeprefix("hf:") in names:
            scope = Scope.handlungsfeld(lower.removeprefix("hf:"))
        elif parse_status(word):
            status = parse_status(word)
        else:
            raise BadArgument("knowledge.unknown_filter", word=word, hfs=", ".join(sorted(names)) or "–")
        i += 1
    return Query(kinds=kinds, scopes=None, scope=scope, tag=tag, since=since, status=status)


async def _page(ctx: CommandContext, query: Query, offset: int) -> Reply:
    lang = ctx.lang
    kb = ctx.services.register
    scopes = ctx.visible_scopes()
    if query.search is not None:
        entries, total = await kb.search(query.search, scopes, PAGE, offset)
        title = t(lang, "knowledge.search_title", query=query.search, shown=f"{offset + 1}–{offset + len(entries)}", total=total)
        empty = t(lang, "knowledge.search_empty", query=query.search)
    else:
        entries, total = await kb.list(replace(query, scopes=scopes), PAGE, offset)
        title = t(lang, "knowledge.list_title", title=t(lang, f"knowledge.list.{query.kinds[0].value}"),
                  shown=f"{offset + 1}–{offset + len(entries)}", total=total)
        empty = t(lang, "knowledge.list_empty")
    if not entries:
        if offset:
            return Doc().p(t(lang, "knowledge.no_more")).reply()
        return Doc().p(empty).reply()
    await kb.remember_listing(ctx.caller.user_id, ctx.room.room_id, query, offset + len(entries))
    doc = Doc().p(title).ul([_line(ctx, e) for e in entries])
    if offset + len(entries) < total:
        doc.p(t(lang, "knowledge.more_hint", more=ctx.cmd("more")))
    doc.p(t(lang, "knowledge.show_hint", show=ctx.cmd("show", entries[0].short_id)))
    return doc.reply()


@router.command(
    "decisions",
    aliases={"de": ("beschlüsse", "beschluesse")},
    args=(FILTER,),
    help={
        "de": "Listet Beschlüsse und Vereinbarungen. Filter: Bereich, #Schlagwort, „seit 1.1.2026“, Stand.",
        "en": "Lists decisions and agreements. Filters: area, #tag, “since 2026-01-01”, status.",
    },
)
async def decisions(ctx: CommandContext, filters: str) -> Reply:
    return await _page(ctx, _parse_filters(ctx, (Kind.DECISION, Kind.AGREEMENT), filters), 0)


@router.command(
    "links",
    args=(FILTER,),
    help={"de": "Listet festgehaltene Links. Filter wie bei Beschlüssen.", "en": "Lists recorded links. Filters as for decisions."},
)
async def links(ctx: CommandContext, filters: str) -> Reply:
    return await _page(ctx, _parse_filters(ctx, (Kind.LINK,), filters), 0)


@router.command(
    "notes",
    aliases={"de": ("notizen",)},
    args=(FILTER,),
    help={"de": "Listet Notizen. Filter wie bei Beschlüssen.", "en": "Lists notes. Filters as for decisions."},
)
async def notes(ctx: CommandContext, filters: str) -> Reply:
    return await _page(ctx, _parse_filters(ctx, (Kind.NOTE,), filters), 0)


@router.command(
    "search",
    aliases={"de": ("suche", "suchen")},
    args=(Arg("text", label={"de": "Suchwort", "en": "search words"}, rest=True, required=False),),
    help={
        "de": "Sucht in Beschlüssen, Vereinbarungen, Links und Notizen. Tippfehler sind erlaubt.",
        "en": "Searches decisions, agreements, links and notes. Typos are fine.",
    },
)
async def search(ctx: CommandContext, text: str) -> Reply:
    text = text.strip()
    if not text:
        raise BadArgument("knowledge.empty_search", example=ctx.echo(t(ctx.lang, "knowledge.example.search")))
    if len(text) > 200:
        raise BadArgument("knowledge.too_long", length=len(text), max=200)
    return await _page(ctx, Query(kinds=(), scopes=None, search=text), 0)


@router.command("more", aliases={"de": ("mehr",)}, help={"de": "Zeigt die nächsten Treffer der letzten Liste oder Suche.",
                                                         "en": "Shows the next results of the last list or search."})
async def more(ctx: CommandContext) -> Reply:
    saved = await ctx.services.register.last_listing(ctx.caller.user_id, ctx.room.room_id)
    if saved is None:
        return Doc().p(t(ctx.lang, "knowledge.no_pager", example=ctx.cmd("search", t(ctx.lang, "knowledge.example.search")))).reply()
    query, offset = saved
    return await _page(ctx, query, offset)


@router.command(
    "show",
    aliases={"de": ("zeige", "zeigen")},
    args=(ENTRY_ID,),
    help={"de": "Zeigt einen Eintrag mit Verlauf und Nachfolgern.", "en": "Shows one entry with its history and successors."},
)
async def show(ctx: CommandContext, entry_id: str) -> Reply:
    lang, tz = ctx.lang, ctx.services.network.timezone
    ref = _parse_id(entry_id)
    entry = await _visible_entry(ctx, ref, history=True)
    doc = Doc().p(Bold(f"{_kind_name(lang, entry.kind)} {entry.short_id}"), ": ", entry.title or entry.text)
    if entry.title and entry.text != entry.title:
        doc.p(entry.text)
    facts: list[Item] = []
    if entry.url:
        facts.append((Link(entry.url, entry.url),))
    if entry.status:
        facts.append(t(lang, "knowledge.show.status", status=_status_name(lang, entry.status)))
    facts.append(t(lang, "knowledge.show.scope", scope=scope_name(ctx, entry.scope)))
    facts.append(t(lang, "knowledge.show.author", author=entry.author, date=spell_datetime(entry.created_at, lang, tz)))
    if entry.owner:
        facts.append(t(lang, "knowledge.show.owner", owner=entry.owner))
    if entry.due:
        facts.append(t(lang, "knowledge.show.due", date=spell_date(entry.due, lang)))
    if entry.lik:
        facts.append(t(lang, "knowledge.show.lik", lik=", ".join(entry.lik)))
    if entry.tags:
        facts.append(t(lang, "knowledge.show.tags", tags=", ".join("#" + tag for tag in entry.tags)))
    facts.append(t(lang, "knowledge.show.public" if entry.public else "knowledge.show.internal"))
    if entry.permalink:
        facts.append((Link(entry.permalink, t(lang, "knowledge.show.source")),))
    if entry.source_changed:
        facts.append(t(lang, "knowledge.show.source_changed"))
    if entry.retracted:
        facts.append(t(lang, "knowledge.show.retracted"))
    doc.ul(facts)
    chain = await _chain(ctx, entry)
    if len(chain) > 1:
        doc.p(t(lang, "knowledge.show.chain", chain=" → ".join(chain)))
    doc.p(t(lang, "knowledge.show.history"))
    doc.ul([t(lang, f"knowledge.history.{r.action}", date=spell_datetime(r.at, lang, tz), by=r.by) for r in entry.history])
    return doc.reply()


async def _chain(ctx: CommandContext, entry: Entry) -> list[str]:
    """Short ids from the oldest predecessor to the newest successor."""
    kb = ctx.services.register
    chain = [entry.short_id]
    current = entry
    for _ in range(50):
        if not current.supersedes:
            break
        current = await kb.get(*_parse_id(current.supersedes))
        chain.insert(0, current.short_id)
    current = entry
    for _ in range(50):
        if not current.superseded_by:
            break
        current = await kb.get(*_parse_id(current.superseded_by))
        chain.append(current.short_id)
    return chain
