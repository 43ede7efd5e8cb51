"""The basics: help, ping, status, language preference, privacy notice."""
from __future__ import annotations

from commands.context import CommandContext
from commands.errors import BadArgument, UserError
from commands.i18n import LANGUAGES, t
from commands.permission import Permission
from commands.registry import Arg, Command, Router
from commands.render import Bold, Code, Doc, Inline, Reply
from knowledge.dates import spell_datetime, spell_duration

router = Router()


@router.command(
    "help",
    aliases={"de": ("hilfe",)},
    args=(Arg("command", label={"de": "Befehl", "en": "command"}, rest=True, required=False),),
    help={
        "de": "Zeigt alle Befehle, die du nutzen darfst, oder erklärt einen Befehl.",
        "en": "Shows all commands you may use, or explains one command.",
    },
)
async def help_(ctx: CommandContext, command: str) -> Reply:
    lang, prefix = ctx.lang, ctx.prefix
    if command:
        word, _, rest = command.partition(" ")
        found = ctx.registry.find(word.removeprefix(prefix))
        if found is None:
            raise UserError("error.unknown_help_topic", word=command, help=ctx.cmd("help"))
        cmd, parent = found[0], None
        sub, _ = ctx.registry.resolve(cmd, rest)
        if sub is not cmd:
            cmd, parent = sub, cmd
        own = parent.word(lang) + " " + cmd.word(lang) if parent else cmd.word(lang)
        others = [(parent.word(lg) + " " + w if parent else w) for lg in LANGUAGES for w in cmd.words(lg)]
        other = [prefix + w for w in dict.fromkeys(others) if w != own]
        doc = Doc().p(Bold(prefix + own), " – ", cmd.help[lang])
        if cmd.handler is not None:
            doc.p(t(lang, "help.usage"), Code(cmd.usage(lang, prefix, parent)))
        if other:
            doc.p(t(lang, "help.also", words=", ".join(other)))
        doc.p(t(lang, "help.permission", role=_role(lang, cmd.permission)))
        if cmd.subcommands:
            doc.p(t(lang, "help.subcommands"))
            doc.ul([_sub_line(lang, prefix, cmd, s) for s in cmd.subcommands])
        return doc.reply()
    doc = Doc().p(t(lang, "help.title"))
    doc.ul([(Bold(prefix + c.word(lang)), " – ", c.help[lang]) for c in ctx.registry.visible(ctx.caller.permission)])
    doc.p(t(lang, "help.more", usage=ctx.registry.named("help").usage(lang, prefix)))
    return doc.reply()


def _role(lang: str, permission: Permission) -> str:
    return t(lang, f"role.{permission.name.lower()}")


def _sub_line(lang: str, prefix: str, parent: Command, sub: Command) -> tuple[Inline, ...]:
    line: tuple[Inline, ...] = (Code(sub.usage(lang, prefix, parent)), " – ", sub.help[lang])
    if sub.permission > Permission.MEMBER:
        line += (" ", t(lang, "help.only_for", role=_role(lang, sub.permission)))
    return line


@router.command("ping", help={"de": "Prüft, ob ich da bin.", "en": "Checks that I am here."})
async def ping(ctx: CommandContext) -> Reply:
    return Doc().p(t(ctx.lang, "ping.pong")).reply()


@router.command(
    "status",
    help={
        "de": "Zeigt, wie es mir geht: Version, Laufzeit, Räume, Datenbank.",
        "en": "Shows how I am doing: version, uptime, rooms, database.",
    },
)
async def status(ctx: CommandContext) -> Reply:
    lang = ctx.lang
    info = await ctx.services.bot.status()
    last = (
        t(lang, "status.last_sync", when=spell_datetime(info.last_sync, lang, ctx.services.network.timezone))
        if info.last_sync
        else t(lang, "status.never_synced")
    )
    return (
        Doc()
        .p(t(lang, "status.title"))
        .ul(
            [
                t(lang, "status.version", version=info.version),
                t(lang, "status.uptime", uptime=spell_duration(ctx.now - info.started_at, lang)),
                t(lang, "status.rooms", rooms=info.rooms),
                t(lang, "status.database", database=info.database),
                last,
            ]
        )
        .reply()
    )


@router.command(
    "language",
    aliases={"de": ("sprache",)},
    args=(Arg("code", label={"de": "Sprache", "en": "language"}, required=False),),
    help={
        "de": "Stellt ein, ob ich dir auf Deutsch (de) oder Englisch (en) antworte.",
        "en": "Sets whether I answer you in German (de) or English (en).",
    },
)
async def language(ctx: CommandContext, code: str) -> Reply:
    if not code:
        other = "en" if ctx.lang == "de" else "de"
        example = ctx.echo(other) if ctx.word else ctx.cmd("language", other)
        return Doc().p(t(ctx.lang, "language.current", example=example)).reply()
    chosen = code.casefold()
    if chosen not in LANGUAGES:
        raise BadArgument("error.unknown_language", code=code)
    await ctx.services.preferences.set_language(ctx.caller.user_id, chosen)
    return Doc().p(t(chosen, "language.set")).reply(reaction="✅")


@router.command(
    "privacy",
    aliases={"de": ("datenschutz",)},
    help={
        "de": "Zeigt, welche Daten ich speichere und welche Rechte du hast.",
        "en": "Shows which data I store and which rights you have.",
    },
)
async def privacy(ctx: CommandContext) -> Reply:
    lang = ctx.lang
    doc = Doc().p(Bold(t(lang, "privacy.title")))
    if ctx.services.network.privacy_contact:
        doc.p(t(lang, "privacy.controller", controller=ctx.services.network.privacy_contact))
    return (
        doc.p(t(lang, "privacy.stored"))
        .p(t(lang, "privacy.not_stored"))
        .p(t(lang, "privacy.retention", days=ctx.services.network.retention.handled_event_days))
        .p(t(lang, "privacy.rights"))
        .p(t(lang, "privacy.matrix"))
        .reply()
    )
