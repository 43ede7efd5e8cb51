"""tasks.py's promises: with no PostgreSQL reachable, `tasks.py test` starts a throwaway one
and the PostgreSQL tests run on it; the throwaway server leaves nothing behind."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from devtools import postgres, processes
from devtools.homeserver import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.network  # loopback connections to the servers started here

needs_server = pytest.mark.skipif(postgres.system_bindir() is None,
                                  reason="no PostgreSQL server binaries here (tasks.py would install pgserver)")


@pytest.fixture
def base():
    """A directory of its own for the throwaway servers, which (run as root) PostgreSQL's own user
    must be able to enter: pytest's tmp_path is private to root."""
    directory = Path(tempfile.mkdtemp(prefix="lotse-test-base-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@needs_server
def test_a_throwaway_postgres_serves_a_test_database_and_leaves_nothing_behind(base):
    server = postgres.ThrowawayPostgres(postgres.system_bindir(), base=base)
    url = server.start()
    directory, pid = server.directory, server.process.pid
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute('CREATE SCHEMA "lotse_x"')
            assert conn.execute("SELECT current_database()").fetchone() == ("test",)
    finally:
        server.stop()
    assert not directory.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@needs_server
def test_a_throwaway_postgres_whose_test_run_was_killed_is_cleaned_up_by_the_next(base):
    orphan = postgres.ThrowawayPostgres(postgres.system_bindir(), base=base)
    orphan.start()
    directory, pid = orphan.directory, orphan.process.pid
    dead_owner = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                                text=True).stdout.strip()
    (directory / postgres.OWNER_FILE).write_text(dead_owner)  # as if the run that started it was killed
    orphan.process = None  # this run forgets it, like a killed one would
    try:
        assert postgres.stop_orphans(base) == [directory]
        assert not directory.exists()
        assert postgres._wait_gone(pid, 10)
    finally:
        if postgres._alive(pid):
            os.kill(pid, 9)


@needs_server
def test_tasks_py_test_starts_a_throwaway_postgres_when_the_configured_one_is_unreachable(tmp_path):
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    env = dict(os.environ, LOTSE_TEST_POSTGRES=unreachable, CI="true")
    env.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "tasks.py"), "test", "tests/unit/test_storage.py", "-q", "-k", "postgresql",
         "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'inner'}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"PostgreSQL at {unreachable} is not reachable" in done.stdout
    assert "starting a throwaway one" in done.stdout
    assert " passed" in done.stdout and "skipped" not in done.stdout and "failed" not in done.stdout
    directory = re.search(r"throwaway PostgreSQL at \S+ in (\S+) ", done.stdout).group(1)
    assert not Path(directory).exists()  # stopped and deleted after the tests
    assert processes.mentioning(directory) == []


class FakeApt:
    """apt-get as seen by tasks.py: fails `failures` times (a held lock, say), then installs."""

    def __init__(self, failures: int):
        self.failures = failures
        self.calls: list[list[str]] = []
        self.installed = False

    def __call__(self, args):
        self.calls.append(args)
        if self.failures:
            self.failures -= 1
            return subprocess.CompletedProcess(args, 100, "", "E: Could not get lock /var/lib/dpkg/lock-frontend")
        self.installed = self.installed or args[0] == "install"
        return subprocess.CompletedProcess(args, 0, "", "")


@pytest.fixture
def tasks_module(monkeypatch):
    import tasks

    monkeypatch.setattr(tasks.os, "geteuid", lambda: 0)
    monkeypatch.setattr(tasks.time, "sleep", lambda s: None)
    return tasks


def test_a_chromium_install_that_fails_at_first_is_tried_again(tasks_module, monkeypatch):
    apt = FakeApt(failures=1)
    monkeypatch.setattr(tasks_module, "_apt", apt)
    monkeypatch.setattr(tasks_module.shutil, "which",
                        lambda name: "/usr/bin/" + name if name == "apt-get" or (apt.installed and name == "chromium") else None)
    assert tasks_module.ensure_chromium() is None
    assert [c[0] for c in apt.calls] == ["update", "update", "install"]


def test_a_chromium_install_that_cannot_succeed_does_not_stop_the_run_and_says_why(tasks_module, monkeypatch):
    apt = FakeApt(failures=100)
    monkeypatch.setattr(tasks_module, "_apt", apt)
    monkeypatch.setattr(tasks_module.shutil, "which", lambda name: "/usr/bin/apt-get" if name == "apt-get" else None)
    problem = tasks_module.ensure_chromium()
    assert problem == ("apt-get could not install chromium after 3 attempts: "
                       "E: Could not get lock /var/lib/dpkg/lock-frontend")
    assert len(apt.calls) == 3
