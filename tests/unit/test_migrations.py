"""The migrations build exactly the schema the ORM models describe (both backends)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from knowledge.storage._orm import Base


async def test_migrated_schema_matches_the_models(db):
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with db._engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
