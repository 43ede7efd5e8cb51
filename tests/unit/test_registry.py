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


def _meeting_router() -> Router:
    router = Router()

    @router.command("meeting", aliases={"de": ("termin",)}, args=(Arg("text", label={"de": "Text", "en": "text"}, rest=True),),
                    help=HELP, permission=Permission.COORDINATOR)
    async def create(ctx, text): ...

    @router.subcommand("meeting", "skip", aliases={"de": ("ausfallen",)}, args=(Arg("id", label={"de": "Nummer", "en": "id"}),),
                       help=HELP, permission=Permission.COORDINATOR)
    async def skip(ctx, id): ...

    @router.subcommand("meeting", "ics", args=(Arg("id", label={"de": "Nummer", "en": "id"}),), help=HELP)
    async def ics(ctx, id): ...

    return router


def test_subcommands_are_declared_found_in_any_language_and_spelled_in_the_readers():
    registry = Registry([_meeting_router()])
    registry.validate()
    meeting = registry.named("meeting")
    sub, rest = registry.resolve(meeting, "Ausfallen M-3")
    assert (sub.name, sub.permission, rest) == ("skip", Permission.COORDINATOR, "M-3")
    assert registry.resolve(meeting, "AG Gesundheit | morgen")[0] is meeting  # no subcommand: the command itself
    assert sub.usage("de", "!", meeting) == "!termin ausfallen <Nummer>"
    assert registry.spell("meeting skip", "de", "?", "M-3") == "?termin ausfallen M-3"
    assert registry.spell("meeting ics", "en", "!", "M-3") == "!meeting ics M-3"
    # Help lists a command to whoever may run any part of it.
    assert registry.visible(Permission.MEMBER) == [meeting]


def test_a_subcommand_word_used_twice_or_a_missing_parent_is_refused():
    router = _meeting_router()

    @router.subcommand("meeting", "cancel", aliases={"de": ("ausfallen",)}, help=HELP)
    async def cancel(ctx): ...

    @router.subcommand("nothing", "x", help=HELP)
    async def orphan(ctx): ...

    with pytest.raises(RegistryError) as caught:
        Registry([router]).validate()
    assert "'ausfallen' is already used by meeting skip" in str(caught.value)
    assert "nothing x: there is no command 'nothing'" in str(caught.value)
