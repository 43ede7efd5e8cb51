"""Scheduled posts: which renderer writes the message for each kind of firing.

The planner (bot package) knows when; this module knows what. A renderer returns the
message and its `Destination`, or None when the item is gone (cancelled, done, empty week).
A new kind of scheduled post is a `FiringKind` and one entry here — not a branch in the app.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from commands.context import Outgoing, Services
from commands.features import digest, meetings, minutes, reminders
from knowledge.meetings.model import Firing
from knowledge.values import FiringKind

Renderer = Callable[[Services, Firing, bool], Awaitable[Outgoing | None]]


async def _digest(services: Services, firing: Firing, late: bool) -> Outgoing | None:
    return await digest.render_digest_firing(services, firing, late, services.bot.scopes_of, services.network.digest_post_empty)


RENDERERS: dict[FiringKind, Renderer] = {
    FiringKind.MEETING_REMINDER: meetings.render_meeting_post,
    FiringKind.AGENDA_CALL: meetings.render_meeting_post,
    FiringKind.REMINDER: reminders.render_reminder_post,
    FiringKind.ACTION_DUE: minutes.render_action_post,
    FiringKind.DIGEST: _digest,
}


async def render_post(services: Services, firing: Firing, late: bool) -> Outgoing | None:
    """The message a due firing posts (marked late if `late`), or None."""
    return await RENDERERS[firing.kind](services, firing, late)
