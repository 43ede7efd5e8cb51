"""Data protection self-service (DSGVO Art. 15 and 17): everything Lotse stores about a
person, and erasing it. Roles stay, marked vacant; where the person is named as author,
owner or chair, their role (or "former member") takes their place. Messages already on
the homeserver are outside Lotse's store; the privacy notice says so.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from knowledge.directory.model import RoleStatus
from knowledge.directory.service import DirectoryService
from knowledge.register.service import RegisterService
from knowledge.storage import AuditRepository, MeetingRepository, PreferenceRepository
from knowledge.storage.audit import AuditEntry


@dataclass(frozen=True)
class PrivacyService:
    """What Lotse stores about a person, erasing it, and the audit log of who changed what."""

    preferences: PreferenceRepository
    register: RegisterService
    directory: DirectoryService
    meetings: MeetingRepository
    audit: AuditRepository

    async def personal_data(self, user_id: str, now: datetime) -> dict[str, Any]:
        return await personal_data(self, user_id, now)

    async def forget(self, user_id: str, replacement: str, at: datetime) -> dict[str, int]:
        """Erase or pseudonymise; the register's search index is rebuilt from what is left."""
        done = await forget(self, user_id, replacement, at)
        await self.register.load()
        return done

    async def history(self, object_id: str) -> list[AuditEntry]:
        """Who created or changed an object (B-12, p03, M-3 …), oldest first; no content."""
        return await self.audit.about(object_id)

    async def changes_by(self, user_id: str) -> list[AuditEntry]:
        return await self.audit.by_actor(user_id)


async def personal_data(stores: PrivacyService, user_id: str, now: datetime) -> dict[str, Any]:
    roles = stores.directory.held_by(user_id)
    entries = await stores.register.repository.by_person(user_id)
    subscribers = dict(await stores.preferences.digest_subscribers())
    return {
        "user_id": user_id,
        "generated": now.isoformat(timespec="seconds"),
        "language": await stores.preferences.language(user_id),
        "weekly_digest_by_direct_message": user_id in subscribers,
        "directory_roles": [{"id": r.id, "role": r.role, "organisation": r.organisation, "person": r.person, "email": r.email,
                             "phone": r.phone, "languages": list(r.languages), "office_hours": list(r.office_hours),
                             "last_confirmed": r.last_confirmed.isoformat() if r.last_confirmed else None} for r in roles],
        "register_entries": [{"id": e.short_id, "text": e.text, "as": "author" if e.author == user_id else "recorded by",
                              "created": e.created_at.isoformat(timespec="minutes")} for e in entries],
        **(await stores.meetings.personal_data(user_id)),
        "changes_made": [{"at": a.at.isoformat(timespec="minutes"), "action": a.action, "objects": list(a.objects)}
                         for a in await stores.audit.by_actor(user_id)],
    }


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def as_markdown(data: dict[str, Any], title: str) -> str:
    lines = [f"# {title}", "", f"- Matrix: {data['user_id']}", f"- {data['generated']}", ""]
    for key, value in data.items():
        if isinstance(value, list):
            lines += [f"## {key}", ""] + ([f"- {json.dumps(item, ensure_ascii=False)}" for item in value] or ["- –"]) + [""]
    return "\n".join(lines)


async def forget(stores: PrivacyService, user_id: str, replacement: str, at: datetime) -> dict[str, int]:
    """Erase or pseudonymise a person's data. Returns what was done, as counts."""
    roles = stores.directory.held_by(user_id)
    names = {r.person for r in roles if r.person}
    for role in roles:
        await stores.directory.update(role.id, replacement, at, "erased", person=None, matrix_id=None, status=RoleStatus.VACANT,
                                      confirmed_by=None, confirmation_requested=None)
    await stores.directory.pseudonymise_history({user_id, *names}, replacement)
    register = await stores.register.repository.pseudonymise(user_id, replacement)
    meetings = await stores.meetings.forget(user_id, replacement)
    await stores.preferences.forget(user_id)
    audit = await stores.audit.pseudonymise(user_id, replacement)
    return {"roles_vacated": len(roles), "register_entries": register, "meetings_and_tasks": meetings, "audit_entries": audit}
