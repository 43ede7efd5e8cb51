"""A throwaway PostgreSQL on 127.0.0.1 for the test run, when none is reachable.

`python3 tasks.py test` uses the server named by LOTSE_TEST_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/test). If it cannot connect, it starts one of its own
with this module: a fresh cluster in a temporary directory, trust authentication, loopback
only, database `test`, stopped and deleted after the run.

The server binaries come from the system (Debian's `postgresql` package: /usr/lib/postgresql/
N/bin, or `initdb` and `postgres` on the PATH) or else from the PyPI package `pgserver`, which
ships them and is installed into `.postgres-venv`. PostgreSQL refuses to run as root; as root,
the cluster is owned by and run as the user `postgres` (or `nobody`).

Standard library only: tasks.py imports it before any virtual environment exists.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PGSERVER_REQUIREMENT = "pgserver==0.1.4"
DIR_PREFIX = "lotse-test-pg-"
OWNER_FILE = "lotse-owner.pid"


class PostgresUnavailable(Exception):
    """No PostgreSQL server could be started here; the message says why."""


def system_bindir() -> Path | None:
    """A directory holding `initdb` and `postgres` from the system, newest version first."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        bindir = Path(os.path.realpath(initdb)).parent
        if (bindir / "postgres").exists():
            return bindir
    return None


def _version(path: str) -> int:
    try:
        return int(Path(path).parent.name.split(".")[0])
    except ValueError:
        return 0


def pgserver_bindir(venv_python: Path) -> Path | None:
    """The binaries of the `pgserver` package installed for `venv_python`, if any."""
    result = subprocess.run(
        [str(venv_python), "-c", "import pgserver._commands as c; print(c.POSTGRES_BIN_PATH)"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        return None
    bindir = Path(result.stdout.strip())
    return bindir if (bindir / "initdb").exists() else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unprivileged_user() -> pwd.struct_passwd | None:
    """Whom to run the server as: nobody special unless we are root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailable("running as root, and there is no user 'postgres' or 'nobody' to run PostgreSQL as")


def stop_orphans(base: Path | None = None) -> list[Path]:
    """Stop throwaway servers whose test run was killed (their owner process is gone)."""
    stopped = []
    for directory in Path(base or tempfile.gettempdir()).glob(DIR_PREFIX + "*"):
        owner_file = directory / OWNER_FILE
        try:
            owner = int(owner_file.read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue  # another test run, still going
        pid_file = directory / "data" / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown: the data is thrown away anyway
            _wait_gone(pid, 20)
        except (OSError, ValueError, IndexError):
            pass
        shutil.rmtree(directory, ignore_errors=True)
        stopped.append(directory)
    return stopped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


class ThrowawayPostgres:
    """`start()` returns the URL of a fresh database `test`; `stop()` removes everything."""

    def __init__(self, bindir: Path, base: Path | None = None):
        self.bindir = bindir
        self.base = base
        self.directory: Path | None = None
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/test"

    def start(self, timeout: float = 120.0) -> str:
        stop_orphans(self.base)
        user = _unprivileged_user()
        self.directory = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=self.base))
        (self.directory / OWNER_FILE).write_text(str(os.getpid()))
        data = self.directory / "data"
        as_user = {}
        if user is not None:
            os.chown(self.directory, user.pw_uid, user.pw_gid)
            as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        try:
            initdb = subprocess.run(
                [str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--no-sync"],
                capture_output=True, text=True, cwd=self.directory, **as_user,
            )
            if initdb.returncode != 0:
                raise PostgresUnavailable(f"initdb failed: {(initdb.stderr or initdb.stdout).strip()[-500:]}")
            self.port = free_port()
            log = open(self.directory / "postgres.log", "ab")
            if user is not None:
                os.chown(self.directory / "postgres.log", user.pw_uid, user.pw_gid)
            self.process = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self.directory),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=200"],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.directory,
                # Its own session: a Ctrl-C stops the tests first, then tasks.py stops the server.
                start_new_session=True, **as_user,
            )
            log.close()
            self._wait_ready(timeout)
            self._create_database(timeout)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PostgresUnavailable(f"PostgreSQL exited at start: {self._log_tail()}")
            if (self.directory / f".s.PGSQL.{self.port}").exists():
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", self.port)) == 0:
                        return
            time.sleep(0.1)
        raise PostgresUnavailable(f"PostgreSQL did not start within {timeout:.0f} s: {self._log_tail()}")

    def _create_database(self, timeout: float) -> None:
        """CREATE DATABASE test (retried while the server still says it is starting up)."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            createdb = self.bindir / "createdb"
            if createdb.exists():
                result = subprocess.run(
                    [str(createdb), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "test"],
                    capture_output=True, text=True,
                )
            else:
                result = _create_database_with_psycopg(self.port)
            if result.returncode == 0:
                return
            last = (result.stderr or result.stdout).strip()
            if "starting up" not in last:
                break
            time.sleep(0.2)
        raise PostgresUnavailable(f"could not create the database 'test': {last[-300:]}")

    def _log_tail(self) -> str:
        try:
            return (self.directory / "postgres.log").read_text(errors="replace").strip()[-500:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the server (fast shutdown, then SIGKILL) and delete its files. Safe to call twice."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # PostgreSQL's "fast shutdown"
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def _create_database_with_psycopg(port: int) -> subprocess.CompletedProcess:
    """Without a `createdb` binary (pgserver ships only the server): use the tests' own driver."""
    venv_python = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python"
    python = str(venv_python) if venv_python.exists() else sys.executable
    code = (
        "import sys, psycopg\n"
        "with psycopg.connect(sys.argv[1], autocommit=True, connect_timeout=10) as c:\n"
        "    c.execute('CREATE DATABASE test')\n"
    )
    return subprocess.run([python, "-c", code, f"postgresql://postgres@127.0.0.1:{port}/postgres"],
                          capture_output=True, text=True)
