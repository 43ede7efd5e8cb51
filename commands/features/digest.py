"""Weekly digests: per Handlungsfeld room, the network roll-up, and personal ones by DM.

Einfache Sprache, empty sections left out, every item with its id. A digest stays well
within Matrix's event size: sections are shortened whole items at a time, each with a
pointer to the full list, never cut in the middle of an item.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from commands.context import CommandContext, Outgoing, Services
from commands.errors import BadArgument
from commands.i18n import report_labels, t
from commands.permission import Permission
from commands.registry import Arg, CommandWords, Router
from commands.render import Attachment, Bold, Doc, Item, Reply
from knowledge.dates import spell_date, spell_datetime
from knowledge.meetings.model import Firing
from knowledge.publishing.digest import WEEK, Digest, merge
from knowledge.publishing.report import PeriodError, build_report, parse_period, to_csv, to_html, to_json, to_markdown
from knowledge.values import DestinationKind, Scope

router = Router()
MAX_EVENT_CHARS = 24_000  # body + HTML; Matrix allows 65,536 bytes for the whole event


def _preview(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render(lang: str, tz: str, digest: Digest, title: str, words: CommandWords, max_items: int = 5) -> Reply | None:
    """The digest as a message, or None if there is nothing to say."""
    if digest.is_empty():
        return None
    for limit in (max_items, 3, 2, 1):
        reply = _render(lang, tz, digest, title, words, limit)
        if len(reply.body) + len(reply.html) <= MAX_EVENT_CHARS:
            return reply
    return reply


def _section(doc: Doc, heading: str, rows: Sequence[Item], limit: int, more: Callable[[int], str], total: int | None = None) -> None:
    """A heading and at most `limit` whole items; `more(count)` says how many were left out."""
    total = len(rows) if total is None else total
    if not total:
        return
    doc.p(Bold(heading))
    doc.ul(rows[:limit])
    if total > min(limit, len(rows)):
        doc.p(more(total - min(limit, len(rows))))


def _render(lang: str, tz: str, d: Digest, title: str, words: CommandWords, limit: int) -> Reply:
    doc = Doc().p(Bold(title))
    doc.p(t(lang, "digest.period", start=spell_date(d.start.date(), lang), end=spell_date((d.end - timedelta(seconds=1)).date(), lang)))
    def pointer(command: str) -> Callable[[int], str]:
        return lambda count: t(lang, "digest.more", count=count, command=words(lang, command))

    more = pointer("decisions")
    _section(doc, t(lang, "digest.new_decisions"),
             [(Bold(e.short_id), " ", _preview(e.headline)) for e in d.new_decisions], limit, more, d.total("new_decisions"))
    _section(doc, t(lang, "digest.status_changes"),
             [(Bold(e.short_id), " ", t(lang, "digest.status_change", old=t(lang, f"state.{old}") if old else "–",
                                         new=t(lang, f"state.{new}"), text=_preview(e.headline, 80))) for e, old, new in d.status_changes],
             limit, more)
    _section(doc, t(lang, "digest.new_links"),
             [(Bold(e.short_id), " ", _preview(e.headline)) for e in d.new_links], limit,
             pointer("links"), d.total("new_links"))
    tasks = pointer("tasks all")
    _section(doc, t(lang, "digest.overdue_actions"),
             [(Bold(a.short_id), f" {_preview(a.text, 80)} – {a.owner} – " + t(lang, "meetings.due", date=spell_date(a.due, lang) if a.due else "–"))
              for a in d.overdue_actions], limit, tasks)
    _section(doc, t(lang, "digest.open_actions"),
             [(Bold(a.short_id), f" {_preview(a.text, 80)} – {a.owner}" + (" – " + t(lang, "meetings.due", date=spell_date(a.due, lang)) if a.due else ""))
              for a in d.open_actions], limit, tasks)
    _section(doc, t(lang, "digest.upcoming"),
             [(Bold(spell_datetime(o, lang, tz)), f" – {m.title} ({m.short_id})") for o, m in d.upcoming], limit,
             pointer("meetings"))
    _section(doc, t(lang, "digest.stale_roles"),
             [(Bold(r.id), f" {r.role}, {r.organisation}") for r in d.stale_roles], limit,
             lambda count: t(lang, "digest.more_plain", count=count))
    _section(doc, t(lang, "digest.unanswered"), [f"„{_preview(text, 100)}“" for _, text in d.unanswered], limit,
             pointer("open-questions"))
    doc.p(t(lang, "digest.footer", show=words(lang, "show", "B-12")))
    return doc.reply()


async def rollup(services: Services, end: datetime, lang: str) -> Reply | None:
    """The network roll-up for the coordination room: per Handlungsfeld counts and highlights,
    then what needs attention."""
    found = await services.digests.gather(services.digests.all_scopes(), end)
    per = [(names[lang], found[Scope.handlungsfeld(hf_id)]) for hf_id, names in sorted(services.network.handlungsfelder.items())]
    whole = merge(list(found.values()), end - WEEK, end)
    if whole.is_empty():
        return None
    doc = Doc().p(Bold(t(lang, "digest.rollup_title")))
    doc.p(t(lang, "digest.period", start=spell_date(whole.start.date(), lang), end=spell_date((end - timedelta(seconds=1)).date(), lang)))
    rows = []
    for name, digest in per:
        if digest.is_empty():
            continue
        facts = t(lang, "digest.rollup_counts", decisions=digest.total("new_decisions"), changes=len(digest.status_changes),
                  open=len(digest.open_actions) + len(digest.overdue_actions), overdue=len(digest.overdue_actions),
                  meetings=len(digest.upcoming))
        highlight = f" – {digest.new_decisions[0].short_id} {_preview(digest.new_decisions[0].headline, 80)}" if digest.new_decisions else ""
        rows.append((Bold(name), ": ", facts, highlight))
    if rows:
        doc.ul(rows)
    attention = []
    if whole.overdue_actions:
        attention.append(t(lang, "digest.attention_overdue", count=len(whole.overdue_actions),
                           ids=", ".join(a.short_id for a in whole.overdue_actions[:10])))
    if whole.stale_roles:
        attention.append(t(lang, "digest.attention_stale", count=len(whole.stale_roles),
                           ids=", ".join(r.id for r in whole.stale_roles[:10])))
    if whole.unanswered:
        attention.append(t(lang, "digest.attention_gaps", count=len(whole.unanswered),
                           command=services.words(lang, "open-questions")))
    if attention:
        doc.p(Bold(t(lang, "digest.attention")))
        doc.ul(attention)
    return doc.reply()


def _title(lang: str, services: Services, scope: Scope) -> str:
    if scope.hf_id is not None:
        names = services.network.handlungsfelder.get(scope.hf_id)
        return t(lang, "digest.title", name=names[lang] if names else scope.hf_id)
    return t(lang, "digest.title_room")


@router.command(
    "digest",
    aliases={"de": ("wochenrückblick", "wochenrueckblick")},
    help={
        "de": "Zeigt den Wochenrückblick dieses Raums.",
        "en": "Shows this room's weekly digest.",
    },
)
async def digest(ctx: CommandContext) -> Reply:
    words = ctx.services.words
    if ctx.room.is_coordination:
        reply = await rollup(ctx.services, ctx.now, ctx.lang)
    elif ctx.room.is_direct:
        scopes = ctx.visible_scopes() or frozenset()
        reply = render(ctx.lang, ctx.services.network.timezone, await ctx.services.digests.build(scopes, ctx.now), t(ctx.lang, "digest.title_personal"), words)
    else:
        reply = render(ctx.lang, ctx.services.network.timezone, await ctx.services.digests.build(frozenset({ctx.room.scope}), ctx.now),
                       _title(ctx.lang, ctx.services, ctx.room.scope), words)
    return reply or Doc().p(t(ctx.lang, "digest.empty")).reply()


@router.subcommand("digest", "subscribe", aliases={"de": ("abonnieren",)},
                   help={"de": "Schickt dir den Wochenrückblick jede Woche als Direktnachricht.",
                         "en": "Sends you the weekly digest every week as a direct message."})
async def digest_subscribe(ctx: CommandContext) -> Reply:
    await ctx.services.preferences.subscribe_digest(ctx.caller.user_id, ctx.lang, ctx.now)
    return Doc().p(t(ctx.lang, "digest.subscribed", unsubscribe=ctx.cmd("digest unsubscribe"))).reply(reaction="✅")


@router.subcommand("digest", "unsubscribe", aliases={"de": ("abbestellen",)},
                   help={"de": "Beendet den Wochenrückblick als Direktnachricht.", "en": "Stops the weekly digest by direct message."})
async def digest_unsubscribe(ctx: CommandContext) -> Reply:
    removed = await ctx.services.preferences.unsubscribe_digest(ctx.caller.user_id)
    return Doc().p(t(ctx.lang, "digest.unsubscribed" if removed else "digest.not_subscribed")).reply(reaction="✅" if removed else None)


async def render_digest_firing(services: Services, firing: Firing, late: bool,
                               scopes_of: Callable[[str], frozenset[Scope]], post_empty: bool) -> Outgoing | None:
    """The scheduled weekly digest for one target: the room of a scope, the coordination room
    (the network roll-up) or a subscriber (a personal digest over the rooms they are in)."""
    target, end = firing.target, firing.occurrence
    assert target is not None and end is not None, "a digest firing names its target and week"
    lang = firing.lang or await services.language_for(target)
    if target.kind is DestinationKind.COORDINATION:
        reply = await rollup(services, end, lang)
    elif target.kind is DestinationKind.DIRECT:
        assert target.user_id is not None
        scopes = scopes_of(target.user_id)
        reply = render(lang, services.network.timezone, await services.digests.build(scopes, end), t(lang, "digest.title_personal"),
                       services.words) if scopes else None
    else:
        assert target.scope is not None
        scope = target.scope
        digest_ = await services.digests.batch.get(scope, end)
        reply = render(lang, services.network.timezone, digest_, _title(lang, services, scope), services.words)
    out_target = target
    if reply is None:
        if not post_empty:
            return None
        reply = Doc().p(t(lang, "digest.empty")).reply()
    if late:
        reply = _prepend_late(reply, lang)
    return Outgoing(out_target, reply, firing.key)


def _prepend_late(reply: Reply, lang: str) -> Reply:
    note = t(lang, "meetings.late_note")
    return Reply(body=f"{note}\n\n{reply.body}", html=f"<p><strong>{note}</strong></p>{reply.html}")



# ----- reports for the LIK -----------------------------------------------------------------


@router.command(
    "report",
    aliases={"de": ("bericht",)},
    args=(Arg("which", label={"de": "Bereich Zeitraum", "en": "area period"}, rest=True, required=False),),
    help={
        "de": "Bericht zum Landesintegrationskonzept (LIK) als Markdown, HTML, CSV und JSON: „!bericht hf-gesundheit Q3 "
              "2026“. Ohne Angaben: alle Bereiche, dieses Jahr.",
        "en": "Report on the state integration concept (LIK) as Markdown, HTML, CSV and JSON: “!report hf-gesundheit Q3 "
              "2026”. Without details: all areas, this year.",
    },
    permission=Permission.COORDINATOR,
)
async def report(ctx: CommandContext, which: str) -> Reply:
    words = which.split()
    known = ctx.services.network.handlungsfelder
    chosen = [w.lower() for w in words if w.lower().removeprefix("hf:") in known]
    hfs = [w.removeprefix("hf:") for w in chosen] or ([ctx.room.handlungsfeld] if ctx.room.handlungsfeld else sorted(known))
    period_text = " ".join(w for w in words if w.lower() not in chosen)
    try:
        start, end = parse_period(period_text, ctx.now.date())
    except PeriodError:
        raise BadArgument("digest.bad_period", text=period_text) from None
    built = await build_report(network=ctx.services.network.name, register=ctx.services.register,
                               meetings=ctx.services.meetings, handlungsfelder=hfs, start=start, end=end, now=ctx.now)
    names = {hf: names[ctx.lang] for hf, names in known.items()}
    stem = f"bericht-{'-'.join(hfs) if len(hfs) <= 2 else 'netzwerk'}-{start.isoformat()}-{end.isoformat()}"
    files = (
        Attachment(f"{stem}.md", to_markdown(built, names, report_labels(ctx.lang)).encode(), "text/markdown"),
        Attachment(f"{stem}.html", to_html(built, names, report_labels(ctx.lang)).encode(), "text/html"),
        Attachment(f"{stem}.csv", to_csv(built).encode(), "text/csv"),
        Attachment(f"{stem}.json", to_json(built).encode(), "application/json"),
    )
    counts = {kind: sum(r.kind == kind for r in built.rows) for kind in ("decision", "agreement", "meeting", "action")}
    return Doc().p(t(ctx.lang, "digest.report_ready", start=spell_date(start, ctx.lang), end=spell_date(end, ctx.lang),
                     decisions=counts["decision"] + counts["agreement"], meetings=counts["meeting"], actions=counts["action"])
                   ).reply(attachments=files)
