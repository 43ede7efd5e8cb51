"""Alembic environment. Lotse runs migrations itself at start (knowledge.storage.db)."""
from alembic import context

from knowledge.storage._orm import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
