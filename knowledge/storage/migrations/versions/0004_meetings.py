"""Meetings, agenda items, reminders, action items, sessions (minutes), deliveries.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('number', sa.Integer(), unique=True, nullable=False),
        sa.Column('scope', sa.String(300), nullable=False),
        sa.Column('room_id', sa.String(255)),
        sa.Column('title', sa.String(300), nullable=False),
        sa.Column('start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('timezone', sa.String(64), nullable=False),
        sa.Column('duration_minutes', sa.Integer(), nullable=False),
        sa.Column('rrule', sa.String(500)),
        sa.Column('exdates', sa.JSON(), nullable=False),
        sa.Column('location', sa.Text()),
        sa.Column('video_link', sa.Text()),
        sa.Column('reminders', sa.JSON(), nullable=False),
        sa.Column('agenda_call_minutes', sa.Integer()),
        sa.Column('organiser', sa.String(255)),
        sa.Column('cancelled', sa.Boolean(), nullable=False),
        sa.Column('external_id', sa.String(100), unique=True),
        sa.Column('origin', sa.String(300), unique=True, nullable=False),
        sa.Column('created_by', sa.String(255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_meetings_scope", "meetings", ["scope"])
    op.create_table(
        "agenda_items",
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('meeting_id', sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column('occurrence', sa.DateTime(timezone=True), nullable=False),
        sa.Column('text', sa.String(500), nullable=False),
        sa.Column('added_by', sa.String(255), nullable=False),
        sa.Column('origin', sa.String(300), unique=True, nullable=False),
    )
    op.create_index("ix_agenda_items_meeting_id", "agenda_items", ["meeting_id"])
    op.create_table(
        "reminders",
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('number', sa.Integer(), unique=True, nullable=False),
        sa.Column('target', sa.String(16), nullable=False),
        sa.Column('room_id', sa.String(255), nullable=False),
        sa.Column('text', sa.String(1000), nullable=False),
        sa.Column('start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('timezone', sa.String(64), nullable=False),
        sa.Column('rrule', sa.String(500)),
        sa.Column('created_by', sa.String(255), nullable=False),
        sa.Column('mention_room', sa.Boolean(), nullable=False),
        sa.Column('cancelled', sa.Boolean(), nullable=False),
        sa.Column('origin', sa.String(300), unique=True, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reminders_created_by", "reminders", ["created_by"])
    op.create_table(
        "action_items",
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('number', sa.Integer(), unique=True, nullable=False),
        sa.Column('scope', sa.String(300), nullable=False),
        sa.Column('room_id', sa.String(255)),
        sa.Column('text', sa.String(1000), nullable=False),
        sa.Column('owner', sa.String(255), nullable=False),
        sa.Column('due', sa.Date()),
        sa.Column('done', sa.Boolean(), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True)),
        sa.Column('session_id', sa.Integer()),
        sa.Column('created_by', sa.String(255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('origin', sa.String(300), unique=True, nullable=False),
    )
    op.create_index("ix_action_items_scope", "action_items", ["scope"])
    op.create_index("ix_action_items_owner", "action_items", ["owner"])
    op.create_table(
        "sessions",
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('number', sa.Integer(), unique=True, nullable=False),
        sa.Column('room_id', sa.String(255), nullable=False),
        sa.Column('scope', sa.String(300), nullable=False),
        sa.Column('meeting_id', sa.Integer()),
        sa.Column('title', sa.String(300), nullable=False),
        sa.Column('chair', sa.String(255), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True)),
        sa.Column('speakers', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('origin', sa.String(300), unique=True, nullable=False),
    )
    op.create_index("ix_sessions_room_id", "sessions", ["room_id"])
    op.create_table(
        "session_items",
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('session_id', sa.Integer(), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('ref', sa.String(32)),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('by', sa.String(255), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('undone', sa.Boolean(), nullable=False),
        sa.Column('origin', sa.String(300), unique=True, nullable=False),
    )
    op.create_index("ix_session_items_session_id", "session_items", ["session_id"])
    op.create_table(
        "deliveries",
        sa.Column('key', sa.String(300), primary_key=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('late', sa.Boolean(), nullable=False),
    )
    op.create_index("ix_deliveries_delivered_at", "deliveries", ["delivered_at"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("session_items")
    op.drop_table("sessions")
    op.drop_table("action_items")
    op.drop_table("reminders")
    op.drop_table("agenda_items")
    op.drop_table("meetings")
