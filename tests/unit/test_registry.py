"""Bad command declarations fail the boot, not a room."""
from __future__ import annotations

import pytest

from commands.context import Permission
from commands.errors import UsageError
from commands.registry import Arg, Registry, RegistryError, Router

HELP = {"de": "Hilfe.", "en": "Help."}


def test_a_word_used_by_two_commands_is_refused():
    router = Router()

    @router.command("note", aliases={"de": ("notiz",)}, help=HELP)
    async def note(ctx): ...

    @router.command("notice", aliases={"de": ("notiz",)}, help=HELP)
    async def notice(ctx): ...

    with pytest.raises(RegistryError, match="'notiz' is already used by note"):
        Registry([router]).validate()


def test_missing_help_and_signature_mismatch_are_refused():
    router = Router()

    @router.command("x", args=(Arg("text", label={"de": "Text", "en": "text"}),), help={"de": "Nur deutsch."})
    async def x(ctx, other): ...

    with pytest.raises(RegistryError) as caught:
        Registry([router]).validate()
    assert "help text in 'en' is missing" in str(caught.value)
    assert "declaration says ['ctx', 'text']" in str(caught.value)


def test_the_same_word_in_both_languages_of_one_command_is_fine():
    router = Router()

    @router.command("ping", help=HELP)
    async def ping(ctx): ...

    registry = Registry([router])
    registry.validate()
    command, langs = registry.find("PING")
    assert command.name == "ping" and langs == {"de", "en"}


def test_binding_splits_words_and_the_last_argument_takes_the_rest():
    router = Router()
    args = (
        Arg("status", label={"de": "Stand", "en": "status"}),
        Arg("text", label={"de": "Text", "en": "text"}, rest=True),
    )

    @router.command("set", args=args, help=HELP, permission=Permission.COORDINATOR)
    async def set_(ctx, status, text): ...

    command = router.commands[0]
    assert Registry.bind(command, "done  the rest  stays", "en") == {"status": "done", "text": "the rest  stays"}
    with pytest.raises(UsageError) as caught:
        Registry.bind(command, "done", "de")
    assert caught.value.key == "error.missing_argument" and caught.value.params == {"label": "Text"}
    assert command.usage("de", "!") == "!set <Stand> <Text…>"
