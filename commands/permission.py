"""Who may run what: the levels a command or subcommand declares, checked once by the dispatcher."""
from __future__ import annotations

import enum


class Permission(enum.IntEnum):
    MEMBER = 0
    COORDINATOR = 50
    ADMIN = 100
