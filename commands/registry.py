"""Declaring commands once: words per language, arguments, help, permission — subcommands too.

    @router.command("meeting", aliases={"de": ("termin",)}, args=(…), help={…}, permission=…)
    async def create_meeting(ctx, text): …          # the command itself (optional)

    @router.subcommand("meeting", "skip", aliases={"de": ("ausfallen",)}, args=(…), help={…})
    async def skip_meeting(ctx, meeting_id, day): …  # `!termin ausfallen M-3 4.8.2026`

Usage lines, `!hilfe`, "did you mean", refusals and the README's command table are generated
from these declarations, and `Registry.spell()` is the one place that writes a command into a
text (prefix and language aware). `Registry.validate()` runs at start-up and refuses bad
declarations, so a mistake fails the boot, not a room.
"""
from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from commands.errors import UsageError
from commands.i18n import LANGUAGES
from commands.permission import Permission
from commands.render import Reply

Handler = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class Arg:
    name: str
    label: dict[str, str]
    rest: bool = False  # takes the rest of the line, spaces included
    required: bool = True


@dataclass
class Command:
    """A command, or a subcommand of one (then `parent` is the command's name).

    A command with subcommands runs the subcommand its first argument names; otherwise its
    own handler, if it has one. Each has its own permission, checked before it runs.
    """

    name: str
    aliases: dict[str, tuple[str, ...]]
    args: tuple[Arg, ...]
    help: dict[str, str]
    permission: Permission
    handler: Handler | None = field(default=None, repr=False)
    catch_all: bool = False  # also answers plain text addressed to Lotse that is no command
    parent: str | None = None
    refusal: str = "error.permission"  # catalogue key of the refusal; gets {role}
    # A word that names no subcommand, where the command itself takes no text: this catalogue
    # key answers, with {word}, {choices} (the subcommands' words) and {command} (the first one).
    unknown: str = "error.unknown_subcommand"
    subcommands: list[Command] = field(default_factory=list)

    @property
    def path(self) -> str:
        """'meeting' or 'meeting skip': how `Registry.spell()` names it."""
        return f"{self.parent} {self.name}" if self.parent else self.name

    def words(self, lang: str) -> tuple[str, ...]:
        """The words that call this command in `lang`; English includes the name itself."""
        own = self.aliases.get(lang, ())
        return (self.name, *(w for w in own if w != self.name)) if lang == "en" else own or (self.name,)

    def word(self, lang: str) -> str:
        return self.words(lang)[0]

    def all_words(self) -> set[str]:
        return {w.casefold() for lang in LANGUAGES for w in self.words(lang)}

    def usage(self, lang: str, prefix: str, parent: Command | None = None) -> str:
        parts = [prefix + parent.word(lang), self.word(lang)] if parent else [prefix + self.word(lang)]
        for arg in self.args:
            label = arg.label[lang] + ("…" if arg.rest else "")
            parts.append(f"<{label}>" if arg.required else f"[{label}]")
        return " ".join(parts)

    def subcommand(self, word: str) -> Command | None:
        """The subcommand a word names, in any language."""
        folded = word.casefold()
        return next((s for s in self.subcommands if folded in s.all_words()), None)

    def lowest_permission(self) -> Permission:
        """The least a caller needs to run any part of this command (for help)."""
        levels = [s.permission for s in self.subcommands]
        if self.handler is not None:
            levels.append(self.permission)
        return min(levels, default=self.permission)


class Router:
    """A feature module's commands. Declaring one is pure data; nothing runs."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self._subcommands: list[Command] = []

    def command(
        self,
        name: str,
        *,
        aliases: Mapping[str, Iterable[str]] | None = None,
        args: Iterable[Arg] = (),
        help: dict[str, str],
        permission: Permission = Permission.MEMBER,
        catch_all: bool = False,
        refusal: str = "error.permission",
        unknown: str = "error.unknown_subcommand",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            command = _declare(name, aliases, args, help, permission, handler, catch_all, None, refusal)
            command.unknown = unknown
            self.commands.append(command)
            return handler

        return register

    def group(self, name: str, *, aliases: Mapping[str, Iterable[str]] | None = None, help: dict[str, str],
              permission: Permission = Permission.MEMBER, unknown: str = "error.unknown_subcommand") -> None:
        """A command that is only its subcommands (no handler of its own)."""
        command = _declare(name, aliases, (), help, permission, None, False, None, "error.permission")
        command.unknown = unknown
        self.commands.append(command)

    def subcommand(
        self,
        parent: str,
        name: str,
        *,
        aliases: Mapping[str, Iterable[str]] | None = None,
        args: Iterable[Arg] = (),
        help: dict[str, str],
        permission: Permission = Permission.MEMBER,
        refusal: str = "error.permission",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._subcommands.append(_declare(name, aliases, args, help, permission, handler, False, parent, refusal))
            return handler

        return register

    def attach(self, commands: dict[str, Command], problems: list[str]) -> None:
        for sub in self._subcommands:
            assert sub.parent is not None
            parent = commands.get(sub.parent)
            if parent is None:
                problems.append(f"{sub.path}: there is no command {sub.parent!r}")
            elif all(s is not sub for s in parent.subcommands):
                parent.subcommands.append(sub)


def _declare(name: str, aliases: Mapping[str, Iterable[str]] | None, args: Iterable[Arg], help: dict[str, str],
             permission: Permission, handler: Handler | None, catch_all: bool, parent: str | None, refusal: str) -> Command:
    return Command(
        name=name,
        aliases={lang: tuple(words) for lang, words in (aliases or {}).items()},
        args=tuple(args),
        help=dict(help),
        permission=permission,
        handler=handler,
        catch_all=catch_all,
        parent=parent,
        refusal=refusal,
    )


class RegistryError(Exception):
    pass


class UnknownSubcommand(Exception):
    """The text names no subcommand of a command that takes no text itself (`word` may be
    empty); the dispatcher answers with the command's `unknown` message and the choices."""

    def __init__(self, command: Command, word: str):
        super().__init__(word)
        self.command = command
        self.word = word


class Registry:
    def __init__(self, routers: Iterable[Router]):
        routers = list(routers)
        self.commands: list[Command] = [c for r in routers for c in r.commands]
        self._by_name: dict[str, Command] = {c.name: c for c in self.commands}
        self._attach_problems: list[str] = []
        for router in routers:
            router.attach(self._by_name, self._attach_problems)
        self._by_word: dict[str, tuple[Command, set[str]]] = {}
        for command in self.commands:
            for lang in LANGUAGES:
                for word in command.words(lang):
                    entry = self._by_word.setdefault(word.casefold(), (command, set()))
                    entry[1].add(lang)

    def validate(self) -> None:
        problems: list[str] = list(self._attach_problems)
        owner: dict[str, str] = {}
        for command in self.commands:
            self._check(command, problems)
            for word in command.all_words():
                if word in owner and owner[word] != command.name:
                    problems.append(f"{command.name}: word {word!r} is already used by {owner[word]}")
                owner.setdefault(word, command.name)
            sub_owner: dict[str, str] = {}
            for sub in command.subcommands:
                self._check(sub, problems)
                for word in sub.all_words():
                    if word in sub_owner and sub_owner[word] != sub.name:
                        problems.append(f"{sub.path}: word {word!r} is already used by {command.name} {sub_owner[word]}")
                    sub_owner.setdefault(word, sub.name)
            if command.handler is None and not command.subcommands:
                problems.append(f"{command.name}: has neither a handler nor subcommands")
        if sum(c.catch_all for c in self.commands) > 1:
            problems.append("only one command may be the catch-all")
        if problems:
            raise RegistryError("; ".join(problems))

    @staticmethod
    def _check(command: Command, problems: list[str]) -> None:
        path = command.path
        for lang in LANGUAGES:
            if not command.help.get(lang):
                problems.append(f"{path}: help text in {lang!r} is missing")
            for arg in command.args:
                if not arg.label.get(lang):
                    problems.append(f"{path}: argument {arg.name!r} has no {lang!r} label")
        for word in command.all_words():
            if not word or any(c.isspace() for c in word):
                problems.append(f"{path}: word {word!r} must be one word")
        if command.handler is not None:
            params = list(inspect.signature(command.handler).parameters)
            expected = ["ctx", *(a.name for a in command.args)]
            if params != expected:
                problems.append(f"{path}: handler takes {params}, declaration says {expected}")
            if not inspect.iscoroutinefunction(command.handler):
                problems.append(f"{path}: handler must be an async function")
        if command.catch_all and not (command.args and command.args[-1].rest):
            problems.append(f"{path}: a catch-all command must take the rest of the line")
        if any(a.rest for a in command.args[:-1]):
            problems.append(f"{path}: only the last argument may take the rest of the line")

    @property
    def catch_all(self) -> Command | None:
        return next((c for c in self.commands if c.catch_all), None)

    def find(self, word: str) -> tuple[Command, set[str]] | None:
        """The command a word calls, and the languages that word belongs to."""
        return self._by_word.get(word.casefold())

    def named(self, name: str) -> Command:
        return self._by_name[name]

    def all_words(self) -> list[str]:
        return list(self._by_word)

    def visible(self, permission: Permission) -> list[Command]:
        """Commands of which the caller may run at least one part."""
        return [c for c in self.commands if c.lowest_permission() <= permission]

    def resolve(self, command: Command, argtext: str) -> tuple[Command, str]:
        """What `argtext` asks of `command`: one of its subcommands and the rest of the text, or
        the command itself and all of the text. A word that names no subcommand, given to a
        command that takes no text of its own, is a UsageError that lists the choices."""
        first, _, rest = argtext.strip().partition(" ")
        if "\n" in first:
            first, _, more = first.partition("\n")
            rest = more + " " + rest
        if not command.subcommands:
            return command, argtext
        sub = command.subcommand(first) if first else None
        if sub is not None:
            return sub, rest
        if (first and not command.args) or command.handler is None:
            raise UnknownSubcommand(command, first)
        return command, argtext

    def spell(self, path: str, lang: str, prefix: str, *args: Any) -> str:
        """A command as a reader types it: `spell("minutes approve", "de", "!", "P-3")` is
        '!protokoll freigeben P-3'. The one place that writes a command into a text."""
        first, *subs = path.split()
        command = self._by_name[first]
        words = [prefix + command.word(lang)]
        for name in subs:
            command = next(s for s in command.subcommands if s.name == name)
            words.append(command.word(lang))
        return " ".join([*words, *(str(a) for a in args)])

    @staticmethod
    def bind(command: Command, argtext: str, lang: str) -> dict[str, str]:
        """Split `argtext` over the declared arguments; raise UsageError if they do not fit."""
        args = command.args
        takes_rest = bool(args) and args[-1].rest
        parts = argtext.split(maxsplit=len(args) - 1) if takes_rest else argtext.split()
        if len(parts) > len(args):
            raise UsageError("error.too_many_arguments", extra=" ".join(parts[len(args):]))
        values: dict[str, str] = {}
        for i, arg in enumerate(args):
            if i < len(parts):
                values[arg.name] = parts[i].strip()
            elif arg.required:
                raise UsageError("error.missing_argument", label=arg.label[lang])
            else:
                values[arg.name] = ""
        return values


@dataclass(frozen=True)
class CommandWords:
    """`Registry.spell` with the configured prefix, for texts written outside a command
    (scheduled posts, the greeting): `words("de", "done", "A-3")` is '!erledigt A-3'."""

    registry: Registry
    prefix: str = "!"

    def __call__(self, lang: str, path: str, *args: Any) -> str:
        return self.registry.spell(path, lang, self.prefix, *args)
