"""Coordinators teach the lookup: resolved open questions, their askers, learned phrases (issue #12).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_to", sa.String(120), nullable=True))
    op.create_table(
        "question_askers",
        sa.Column("question_id", sa.Integer, sa.ForeignKey("unanswered_questions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("room_id", sa.String(255), nullable=False),
        sa.Column("direct", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("lang", sa.String(8), nullable=False, server_default="de"),
    )
    op.create_index("ix_question_askers_user_id", "question_askers", ["user_id"])
    op.create_table(
        "lookup_vocabulary",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("phrase", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("question_id", sa.Integer, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("lookup_vocabulary")
    op.drop_table("question_askers")
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.drop_column("resolved_to")
        batch.drop_column("resolved_at")
