"""Storage behind repositories. Only this package imports SQLAlchemy."""
from knowledge.storage.audit import AuditRepository
from knowledge.storage.botstate import BotStateRepository, PreferenceRepository
from knowledge.storage.db import Database
from knowledge.storage.directory import DirectoryRepository
from knowledge.storage.meetings import AlreadyRunning, MeetingRepository
from knowledge.storage.register import RegisterRepository

__all__ = ["AuditRepository", "AlreadyRunning", "MeetingRepository", "BotStateRepository", "Database", "DirectoryRepository", "PreferenceRepository", "RegisterRepository"]
