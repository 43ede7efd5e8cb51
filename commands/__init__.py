"""What users can say to Lotse.

Each feature module declares its commands once on a module-level `Router`
(name, German and English aliases, arguments, help, permission) over plain async
handlers that take a `CommandContext` and return a `Reply`. `build_registry()` merges
the routers and validates them; the dispatcher parses, checks permissions and turns
errors into short messages. No matrix-nio here: the bot package feeds plain data in.
"""
from commands.registry import Registry


def build_registry() -> Registry:
    """All commands Lotse knows, validated (a bad declaration fails the boot, not a room)."""
    from commands.features import core, digest, directory, meetings, minutes, privacy, register, reminders

    registry = Registry([core.router, register.router, directory.router, meetings.router, reminders.router, minutes.router,
                         digest.router, privacy.router])
    registry.validate()
    return registry
