"""Storage behind repositories. Only this package imports SQLAlchemy."""
from knowledge.storage.audit import AuditRepository
from knowledge.storage.botstate import BotStateRepository, PreferenceRepository
from knowledge.storage.db import Database
from knowledge.storage.directory import DirectoryRepository
from knowledge.storage.meetings import AlreadyRunning, MeetingRepository
from knowledge.storage.register import RegisterRepository

__all__ = [
    "AlreadyRunning",
    "AuditRepository",
    "BotStateRepository",
    "Database",
    "DirectoryRepository",
    "MeetingRepository",
    "PreferenceRepository",
    "RegisterRepository",
]
