"""Declaring commands once: name, aliases per language, arguments, help, permission.

Usage lines, `!hilfe`, "did you mean" and the README's command table are generated from
these declarations. `Registry.validate()` runs at start-up and refuses bad declarations.
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from commands.context import Permission
from commands.errors import UsageError
from commands.i18n import LANGUAGES
from commands.render import Reply

Handler = Callable[..., Awaitable[Reply]]
# Unprefixed arguments that start with an id (B-12, M-3, p03, R-4) are unmistakably a command's.
PLAIN_ID = r"(?:[A-Za-z]{1,2}-\d+|p\d{2,})\b.*"


@dataclass(frozen=True)
class Arg:
    name: str
    label: dict[str, str]
    rest: bool = False  # takes the rest of the line, spaces included
    required: bool = True


@dataclass(frozen=True)
class Command:
    name: str
    aliases: dict[str, tuple[str, ...]]
    args: tuple[Arg, ...]
    help: dict[str, str]
    permission: Permission
    handler: Handler = field(repr=False)
    catch_all: bool = False  # also answers plain text addressed to Lotse that is no command
    # Unprefixed text (a direct message, or addressed by name) is this command only when it is
    # the bare word, or when the rest of the line fully matches this pattern: a sentence that
    # merely starts with a command word ("Termin beim Gesundheitsamt?") is a question.
    plain: str | None = None

    def fits_plain(self, argtext: str) -> bool:
        """Whether unprefixed `argtext` unmistakably belongs to this command."""
        argtext = argtext.strip()
        if not argtext or self.catch_all:
            return True
        return self.plain is not None and re.fullmatch(self.plain, argtext, re.IGNORECASE | re.DOTALL) is not None

    def words(self, lang: str) -> tuple[str, ...]:
        """The words that call this command in `lang`; English includes the name itself."""
        own = self.aliases.get(lang, ())
        return (self.name, *(w for w in own if w != self.name)) if lang == "en" else own or (self.name,)

    def word(self, lang: str) -> str:
        return self.words(lang)[0]

    def usage(self, lang: str, prefix: str) -> str:
        parts = [prefix + self.word(lang)]
        for arg in self.args:
            label = arg.label[lang] + ("…" if arg.rest else "")
            parts.append(f"<{label}>" if arg.required else f"[{label}]")
        return " ".join(parts)


class Router:
    """A feature module's commands. Declaring one is pure data; nothing runs."""

    def __init__(self) -> None:
        self.commands: list[Command] = []

    def command(
        self,
        name: str,
        *,
        aliases: dict[str, Iterable[str]] | None = None,
        args: Iterable[Arg] = (),
        help: dict[str, str],
        permission: Permission = Permission.MEMBER,
        catch_all: bool = False,
        plain: str | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.commands.append(
                Command(
                    name=name,
                    aliases={lang: tuple(words) for lang, words in (aliases or {}).items()},
                    args=tuple(args),
                    help=dict(help),
                    permission=permission,
                    handler=handler,
                    catch_all=catch_all,
                    plain=plain,
                )
            )
            return handler

        return register


class RegistryError(Exception):
    pass


class Registry:
    def __init__(self, routers: Iterable[Router]):
        self.commands: list[Command] = [c for r in routers for c in r.commands]
        self._by_word: dict[str, tuple[Command, set[str]]] = {}
        for command in self.commands:
            for lang in LANGUAGES:
                for word in command.words(lang):
                    entry = self._by_word.setdefault(word.casefold(), (command, set()))
                    entry[1].add(lang)

    def validate(self) -> None:
        problems: list[str] = []
        owner: dict[str, str] = {}
        for command in self.commands:
            for lang in LANGUAGES:
                if not command.help.get(lang):
                    problems.append(f"{command.name}: help text in {lang!r} is missing")
                for arg in command.args:
                    if not arg.label.get(lang):
                        problems.append(f"{command.name}: argument {arg.name!r} has no {lang!r} label")
            for word in {w.casefold() for lang in LANGUAGES for w in command.words(lang)}:
                if word in owner and owner[word] != command.name:
                    problems.append(f"{command.name}: word {word!r} is already used by {owner[word]}")
                owner.setdefault(word, command.name)
                if not word or any(c.isspace() for c in word):
                    problems.append(f"{command.name}: word {word!r} must be one word")
            params = list(inspect.signature(command.handler).parameters)
            expected = ["ctx", *(a.name for a in command.args)]
            if params != expected:
                problems.append(f"{command.name}: handler takes {params}, declaration says {expected}")
            if not inspect.iscoroutinefunction(command.handler):
                problems.append(f"{command.name}: handler must be an async function")
            if command.catch_all and not (command.args and command.args[-1].rest):
                problems.append(f"{command.name}: a catch-all command must take the rest of the line")
            if command.plain is not None:
                try:
                    re.compile(command.plain)
                except re.error as exc:
                    problems.append(f"{command.name}: plain pattern does not compile ({exc})")
            if any(a.rest for a in command.args[:-1]):
                problems.append(f"{command.name}: only the last argument may take the rest of the line")
        if sum(c.catch_all for c in self.commands) > 1:
            problems.append("only one command may be the catch-all")
        if problems:
            raise RegistryError("; ".join(problems))

    @property
    def catch_all(self) -> Command | None:
        return next((c for c in self.commands if c.catch_all), None)

    def find(self, word: str) -> tuple[Command, set[str]] | None:
        """The command a word calls, and the languages that word belongs to."""
        return self._by_word.get(word.casefold())

    def all_words(self) -> list[str]:
        return list(self._by_word)

    def visible(self, permission: Permission) -> list[Command]:
        return [c for c in self.commands if c.permission <= permission]

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
