"""Digest subscriptions; meetings can be public (transparency site); an index for digests.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Digests and reports read one scope's entries of a period.
    op.create_index("ix_entries_scope_created_at", "entries", ["scope", "created_at"])
    op.create_index("ix_entry_revisions_action_at", "entry_revisions", ["action", "at"])
    op.create_table(
        "digest_subscriptions",
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("digest_subscriptions")
    op.drop_index("ix_entries_scope_created_at", "entries")
    op.drop_index("ix_entry_revisions_action_at", "entry_revisions")
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("public")
