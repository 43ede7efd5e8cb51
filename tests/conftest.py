"""Shared fixtures.

- Fast tiers may not open network connections: a guard fails any TCP connect, unless the
  test is marked `e2e` (real Synapse) or `network` (PostgreSQL on 127.0.0.1).
- `db` runs storage tests on SQLite and on PostgreSQL. PostgreSQL gets a schema of its own
  per test session (parallel runs stay apart), migrated once and emptied before each test.
  With CI=true an unreachable PostgreSQL fails the test instead of skipping it.
- SQLite databases are migrated once per session (`sqlite_template`) and copied for each
  test: migrating per test cost most of the fast tiers' time.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import threading
import uuid
from pathlib import Path

import pytest

from knowledge.storage import Database

PG_URL = os.environ.get("LOTSE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _stop_like_ctrl_c(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    """SIGTERM (a CI time limit, tasks.py passing one on) ends the run the way Ctrl-C does: pytest
    then runs the finalisers, which stop the Synapse and the bots the tests started."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_like_ctrl_c)


IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def no_network(request, monkeypatch):
    if request.node.get_closest_marker("e2e") or request.node.get_closest_marker("network"):
        yield
        return
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(self, address, _real):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"fast test tried to open a network connection to {address!r}")
        return _real(self, address)

    monkeypatch.setattr(socket.socket, "connect", lambda self, a: guarded(self, a, real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, a: guarded(self, a, real_connect_ex))
    yield


def _postgres_schema_url() -> tuple[str, str]:
    import psycopg

    schema = "lotse_" + uuid.uuid4().hex[:12]
    try:
        with psycopg.connect(PG_URL, connect_timeout=5, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        message = (f"PostgreSQL at {PG_URL} is not reachable: {exc}. `python3 tasks.py test` starts a throwaway "
                   "one when LOTSE_TEST_POSTGRES (this URL) cannot be reached")
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An empty SQLite database at the newest migration, made once per session."""
    path = tmp_path_factory.mktemp("template") / "lotse.db"

    async def migrate() -> None:
        database = Database(f"sqlite:///{path}")
        await database.open()
        await database.close()

    asyncio.run(migrate())
    return path


def copy_database(template: Path, target: Path) -> str:
    """A test's own copy of a template database; its URL."""
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def postgres_schema():
    """A schema of this session's own, migrated once; dropped at the end. Created on first use,
    so a run without PostgreSQL tests never connects."""
    made: list[tuple[str, str]] = []

    async def get() -> tuple[str, str]:
        if not made:
            url, schema = _postgres_schema_url()
            database = Database(url)
            await database.open()
            await database.close()
            made.append((url, schema))
        return made[0]

    yield get
    if made:
        _drop_schema(made[0][1])


def _empty_schema(schema: str) -> None:
    """Every table emptied and every id sequence restarted; the migrations stay applied.
    DELETE with foreign-key triggers off is much faster than TRUNCATE on small tables; it
    needs a superuser (the CI database's postgres), else TRUNCATE does it."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename <> 'alembic_version'", (schema,))]
        sequences = [row[0] for row in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = %s", (schema,))]
        try:
            with conn.transaction():
                conn.execute("SET LOCAL session_replication_role = replica")
                for name in tables:
                    conn.execute(f'DELETE FROM "{schema}"."{name}"')
                for name in sequences:
                    conn.execute(f'ALTER SEQUENCE "{schema}"."{name}" RESTART')
        except psycopg.errors.InsufficientPrivilege:
            conn.execute("TRUNCATE " + ", ".join(f'"{schema}"."{name}"' for name in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.network)])
async def db_url(request, tmp_path, sqlite_template, postgres_schema):
    if request.param == "sqlite":
        yield copy_database(sqlite_template, tmp_path / "lotse.db")
        return
    url, schema = await postgres_schema()
    _empty_schema(schema)
    yield url


@pytest.fixture
async def db(db_url):
    database = Database(db_url)
    await database.open()
    yield database
    await database.close()


@pytest.fixture
async def sqlite_db(tmp_path, sqlite_template):
    """Real storage on a temporary SQLite file, for the fast command and bot tiers."""
    database = Database(copy_database(sqlite_template, tmp_path / "lotse.db"))
    await database.open()
    yield database
    await database.close()
