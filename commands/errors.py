"""The error tree.

    BotError
    ├── UserError          message key + params, translated, shown to the user
    │   ├── UsageError     … plus the generated usage line
    │   │   └── BadArgument
    │   ├── PermissionDenied
    │   └── NotFound
    └── anything else      a bug: logged with traceback and an incident id; the user gets
                           "Da ist etwas schiefgelaufen (Fehler-ID 3f2a9c)."
"""
from __future__ import annotations


class BotError(Exception):
    pass


class UserError(BotError):
    """A mistake the user can fix. `key` names a catalogue message; params fill it."""

    def __init__(self, key: str, **params: object):
        super().__init__(key)
        self.key = key
        self.params = params


class UsageError(UserError):
    """Arguments do not fit; the dispatcher appends the command's usage line."""


class BadArgument(UsageError):
    pass


class PermissionDenied(UserError):
    pass


class NotFound(UserError):
    pass
