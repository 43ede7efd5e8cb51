"""Data protection in chat: what Lotse stores about me, forgetting me, and who changed what."""
from __future__ import annotations

from commands.context import CommandContext, Outgoing
from commands.i18n import t
from commands.permission import Permission
from commands.registry import Arg, Router
from commands.render import Attachment, Bold, Doc, Reply
from knowledge.dates import spell_datetime
from knowledge.privacy import as_json, as_markdown
from knowledge.values import Destination

router = Router()


@router.command(
    "my-data",
    aliases={"de": ("meine-daten",)},
    help={
        "de": "Schickt dir als Direktnachricht eine Datei mit allem, was ich über dich gespeichert habe.",
        "en": "Sends you, as a direct message, a file with everything I store about you.",
    },
)
async def my_data(ctx: CommandContext) -> Reply:
    data = await ctx.services.privacy.personal_data(ctx.caller.user_id, ctx.now)
    files = (
        Attachment(t(ctx.lang, "privacy.data_file") + ".json", as_json(data).encode(), "application/json"),
        Attachment(t(ctx.lang, "privacy.data_file") + ".md", as_markdown(data, t(ctx.lang, "privacy.data_title")).encode(),
                   "text/markdown"),
    )
    message = Doc().p(t(ctx.lang, "privacy.data_attached")).reply(attachments=files)
    await ctx.services.bot.deliver(Outgoing(Destination.direct(ctx.caller.user_id), message, f"my-data:{ctx.event_id}"))
    return Doc().p(t(ctx.lang, "privacy.data_sent")).reply()


@router.command(
    "forget-me",
    aliases={"de": ("vergiss-mich",)},
    help={
        "de": "Löscht deine Daten bei mir oder macht sie unkenntlich. Erst erkläre ich, was passiert; dann „!vergiss-mich bestätigen“.",
        "en": "Erases or anonymises your data in my store. First I explain what happens; then “!forget-me confirm”.",
    },
    unknown="privacy.forget_usage",
)
async def forget_me(ctx: CommandContext) -> Reply:
    doc = Doc().p(Bold(t(ctx.lang, "privacy.forget_title")))
    doc.ul([t(ctx.lang, "privacy.forget_roles"), t(ctx.lang, "privacy.forget_authorship"), t(ctx.lang, "privacy.forget_deleted"),
            t(ctx.lang, "privacy.forget_matrix")])
    doc.p(t(ctx.lang, "privacy.forget_confirm", command=ctx.cmd("forget-me confirm")))
    return doc.reply()


@router.subcommand(
    "forget-me", "confirm", aliases={"de": ("bestätigen", "bestaetigen", "ja"), "en": ("yes",)},
    help={"de": "Löscht deine Daten jetzt oder macht sie unkenntlich.", "en": "Erases or anonymises your data now."},
)
async def forget_me_confirm(ctx: CommandContext) -> Reply:
    roles = ctx.services.directory.held_by(ctx.caller.user_id)
    replacement = roles[0].role if roles else t(ctx.services.network.default_language, "privacy.former_member")
    done = await ctx.services.privacy.forget(ctx.caller.user_id, replacement, ctx.now)
    # No ✅ on purpose: a confirmed change is audited under the caller's id, which was just erased.
    doc = Doc().p(t(ctx.lang, "privacy.forgotten", **done))
    mentions = await ctx.services.bot.count_mentions(ctx.caller.user_id)
    if mentions:
        doc.p(t(ctx.lang, "privacy.offer_redact", count=mentions, command=ctx.cmd("forget-me messages")))
    return doc.reply()


@router.subcommand(
    "forget-me", "messages", aliases={"de": ("nachrichten",)},
    help={"de": "Löscht meine Nachrichten, die dich nennen, aus den Räumen.",
          "en": "Deletes my messages that name you from the rooms."},
)
async def forget_me_messages(ctx: CommandContext) -> Reply:
    redacted = await ctx.services.bot.redact_mentions(ctx.caller.user_id)
    return Doc().p(t(ctx.lang, "privacy.redacted", count=redacted)).reply()


@router.command(
    "history",
    aliases={"de": ("verlauf",)},
    args=(Arg("object_id", label={"de": "Nummer", "en": "id"}),),
    help={
        "de": "Zeigt, wer einen Eintrag (B-12, p03, M-3, A-3 …) wann angelegt oder geändert hat. Ohne Inhalte.",
        "en": "Shows who created or changed an entry (B-12, p03, M-3, A-3 …) and when. Without content.",
    },
    permission=Permission.COORDINATOR,
)
async def history(ctx: CommandContext, object_id: str) -> Reply:
    ident = object_id.strip()
    ident = ident[:1].upper() + ident[1:] if ident[:1].lower() in "bvlnmeapr" and "-" in ident else ident
    entries = await ctx.services.privacy.history(ident)
    if not entries:
        return Doc().p(t(ctx.lang, "privacy.no_history", id=ident)).reply()
    doc = Doc().p(t(ctx.lang, "privacy.history_title", id=ident))
    doc.ul([f"{spell_datetime(e.at, ctx.lang, ctx.services.network.timezone)}: {_action(ctx.lang, e.action)} – {e.actor}" for e in entries])
    return doc.reply()


def _action(lang: str, action: str) -> str:
    key = f"audit.{action}"
    try:
        return t(lang, key)
    except KeyError:
        return t(lang, "audit.other", command=action)
