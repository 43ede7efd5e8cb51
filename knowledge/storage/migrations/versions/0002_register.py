"""Knowledge register: entries with short ids, their revisions, counters, pagers.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("title", sa.String(300)),
        sa.Column("url", sa.Text()),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("lik", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(32)),
        sa.Column("owner", sa.String(255)),
        sa.Column("due", sa.Date()),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("room_id", sa.String(255)),
        sa.Column("source_event_id", sa.String(255)),
        sa.Column("permalink", sa.Text()),
        sa.Column("source_changed", sa.Boolean(), nullable=False),
        sa.Column("supersedes", sa.String(32)),
        sa.Column("superseded_by", sa.String(32)),
        sa.Column("external_id", sa.String(100), unique=True),
        sa.Column("origin", sa.String(300), nullable=False, unique=True),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "number", name="uq_entries_kind_number"),
    )
    op.create_index("ix_entries_scope", "entries", ["scope"])
    op.create_index("ix_entries_source_event_id", "entries", ["source_event_id"])
    op.create_index("ix_entries_created_at", "entries", ["created_at"])
    op.create_table(
        "entry_revisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(255), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
    )
    op.create_index("ix_entry_revisions_entry_id", "entry_revisions", ["entry_id"])
    op.create_table(
        "pagers",
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("room_id", sa.String(255), primary_key=True),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("offset", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pagers")
    op.drop_table("entry_revisions")
    op.drop_table("entries")
    op.drop_table("counters")
