"""Lotse's own messages that name a person (for redaction on request).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sent_mentions",
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("room_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sent_mentions_user_id", "sent_mentions", ["user_id"])
    op.create_index("ix_sent_mentions_sent_at", "sent_mentions", ["sent_at"])


def downgrade() -> None:
    op.drop_table("sent_mentions")
