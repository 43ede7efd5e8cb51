"""Bot state: sync token, handled events, joined rooms, user preferences.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "handled_events",
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("room_id", sa.String(255), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_handled_events_handled_at", "handled_events", ["handled_at"])
    op.create_table(
        "joined_rooms",
        sa.Column("room_id", sa.String(255), primary_key=True),
        sa.Column("joined_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("greeted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "user_preferences",
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("user_preferences")
    op.drop_table("joined_rooms")
    op.drop_index("ix_handled_events_handled_at", "handled_events")
    op.drop_table("handled_events")
    op.drop_table("bot_state")
