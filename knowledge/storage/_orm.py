"""ORM tables. Private to `knowledge.storage`: rows are turned into domain dataclasses
before they leave a repository, so no caller ever holds a session-bound object."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the database; use aware UTC datetimes")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class BotState(Base):
    """Small key/value facts about the bot itself, e.g. the sync token."""

    __tablename__ = "bot_state"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class HandledEvent(Base):
    """Every Matrix event Lotse has acted on: the guarantee that it acts at most once."""

    __tablename__ = "handled_events"
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class JoinedRoom(Base):
    """Rooms Lotse is in, with the server time of its join: older events are history."""

    __tablename__ = "joined_rooms"
    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    joined_at_ms: Mapped[int] = mapped_column(BigInteger)
    greeted: Mapped[bool] = mapped_column(Boolean, default=False)


class UserPreference(Base):
    """What a user chose, e.g. the language Lotse answers in. No other personal data."""

    __tablename__ = "user_preferences"
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))


class Counter(Base):
    """Running numbers for short ids (B-12): one row per kind, bumped inside the insert's transaction."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("kind", "number", name="uq_entries_kind_number"),
        Index("ix_entries_scope_created_at", "scope", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(300), index=True)
    text: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    lik: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    room_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    source_event_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    permalink: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    supersedes: Mapped[str | None] = mapped_column(String(32), nullable=True)
    superseded_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    origin: Mapped[str] = mapped_column(String(300), unique=True)
    author: Mapped[str] = mapped_column(String(255))
    recorded_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RevisionRow(Base):
    """Append-only history of an entry: who changed what, when, before and after."""

    __tablename__ = "entry_revisions"
    __table_args__ = (Index("ix_entry_revisions_action_at", "action", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PagerRow(Base):
    """The last list a person asked for in a room, so that `!mehr` can show the next page."""

    __tablename__ = "pagers"
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    query: Mapped[dict[str, Any]] = mapped_column(JSON)
    offset: Mapped[int] = mapped_column(Integer)


class RoleRow(Base):
    """A directory entry: indexed columns for lookups, the whole entry as a document."""

    __tablename__ = "directory_entries"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    matrix_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoleRevisionRow(Base):
    __tablename__ = "directory_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


class QuestionRow(Base):
    """A "who handles …?" question nobody could answer. No user id, by design."""

    __tablename__ = "unanswered_questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    text: Mapped[str] = mapped_column(String(500))
    handlungsfeld: Mapped[str | None] = mapped_column(String(100), nullable=True)


class MeetingRow(Base):
    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    scope: Mapped[str] = mapped_column(String(300), index=True)
    room_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    start: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    rrule: Mapped[str | None] = mapped_column(String(500), nullable=True)
    exdates: Mapped[list[Any]] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(Text, nullable=True)
    video_link: Mapped[str | None] = mapped_column(Text, nullable=True)
    reminders: Mapped[list[Any]] = mapped_column(JSON)  # minutes before
    agenda_call_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    organiser: Mapped[str | None] = mapped_column(String(255), nullable=True)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    origin: Mapped[str] = mapped_column(String(300), unique=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgendaRow(Base):
    __tablename__ = "agenda_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(String(500))
    added_by: Mapped[str] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(String(300), unique=True)


class ReminderRow(Base):
    __tablename__ = "reminders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    target: Mapped[str] = mapped_column(String(16))
    room_id: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(String(1000))
    start: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    rrule: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_by: Mapped[str] = mapped_column(String(255), index=True)
    mention_room: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ActionRow(Base):
    __tablename__ = "action_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    scope: Mapped[str] = mapped_column(String(300), index=True)
    room_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    text: Mapped[str] = mapped_column(String(1000))
    owner: Mapped[str] = mapped_column(String(255), index=True)
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    session_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    origin: Mapped[str] = mapped_column(String(300), unique=True)


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    room_id: Mapped[str] = mapped_column(String(255), index=True)
    scope: Mapped[str] = mapped_column(String(300))
    meeting_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    chair: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    speakers: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(300), unique=True)


class SessionItemRow(Base):
    __tablename__ = "session_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(32), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(300), unique=True)


class DeliveryRow(Base):
    """Every scheduled post that went out, by its stable key: the guarantee of 'once'."""

    __tablename__ = "deliveries"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class DigestSubscriptionRow(Base):
    """Who asked for the weekly digest by direct message, and in which language."""

    __tablename__ = "digest_subscriptions"
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditRow(Base):
    """Who changed what and when: the command, the room and the ids it touched — never message content."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(255), index=True)
    action: Mapped[str] = mapped_column(String(64))
    room_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    objects: Mapped[list[Any]] = mapped_column(JSON)


class SentMentionRow(Base):
    """Lotse's own messages that name a person, so that it can redact them on request."""

    __tablename__ = "sent_mentions"
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
