"""Shared fixtures.

- Fast tiers may not open network connections: a guard fails any TCP connect, unless the
  test is marked `e2e` (real Synapse) or `network` (PostgreSQL on 127.0.0.1).
- `db` runs storage tests on SQLite and on PostgreSQL. PostgreSQL gets a fresh schema per
  test. With CI=true an unreachable PostgreSQL fails the test instead of skipping it.
"""
from __future__ import annotations

import os
import signal
import socket
import threading
import uuid

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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.network)])
async def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lotse.db'}"
        return
    url, schema = _postgres_schema_url()
    yield url
    _drop_schema(schema)


@pytest.fixture
async def db(db_url):
    database = Database(db_url)
    await database.open()
    yield database
    await database.close()


@pytest.fixture
async def sqlite_db(tmp_path):
    """Real storage on a temporary SQLite file, for the fast command and bot tiers."""
    database = Database(f"sqlite:///{tmp_path / 'lotse.db'}")
    await database.open()
    yield database
    await database.close()
