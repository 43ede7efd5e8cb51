"""A person's settings: the language Lotse answers in, and the weekly digest by direct message."""
from __future__ import annotations

from datetime import datetime

from knowledge.storage import PreferenceRepository


class Preferences:
    def __init__(self, repository: PreferenceRepository):
        self.repository = repository

    async def language(self, user_id: str) -> str | None:
        return await self.repository.language(user_id)

    async def set_language(self, user_id: str, language: str) -> None:
        await self.repository.set_language(user_id, language)

    async def subscribe_digest(self, user_id: str, language: str, at: datetime) -> bool:
        return await self.repository.subscribe_digest(user_id, language, at)

    async def unsubscribe_digest(self, user_id: str) -> bool:
        return await self.repository.unsubscribe_digest(user_id)

    async def digest_subscribers(self) -> list[tuple[str, str]]:
        return await self.repository.digest_subscribers()
