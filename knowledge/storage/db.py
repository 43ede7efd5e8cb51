"""The database handle: engine, sessions and automatic Alembic migrations.

SQLite (WAL) is the default; PostgreSQL is chosen by URL. Plain `sqlite:///` and
`postgresql://` URLs are accepted and mapped to the async drivers.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import ColumnElement, event, exists, func, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def async_url(url: str) -> str:
    """Map a user-facing database URL to the async driver Lotse uses."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    else:
        raise ValueError(f"unsupported database backend {backend!r}")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _upgrade(connection: Connection) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


class Database:
    """Owns the engine. Nothing touches the database until `open()`."""

    def __init__(self, url: str):
        self.url = async_url(url)
        self.backend = make_url(self.url).get_backend_name()
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None

    async def open(self) -> None:
        """Create the engine and bring the schema to the newest migration."""
        parsed = make_url(self.url)
        if self.backend == "sqlite" and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self._engine = create_async_engine(self.url, pool_pre_ping=self.backend != "sqlite")
        if self.backend == "sqlite":
            event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)
        async with self._engine.begin() as conn:
            await conn.run_sync(_upgrade)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        if self._sessions is None:
            raise RuntimeError("Database.open() was not called")
        async with self._sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def json_list_contains(backend: str, column: Any, value: str) -> ColumnElement[bool]:
    """SQL for "the JSON list in `column` holds `value`", so that filters run in the database
    (SQLite's json_each, PostgreSQL's json_array_elements_text)."""
    function = func.json_array_elements_text if backend == "postgresql" else func.json_each
    elements = function(column).table_valued("value")
    return exists(select(1).select_from(elements).where(elements.c.value == value))
