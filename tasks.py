#!/usr/bin/env python3
"""The two README commands, and a few more, with nothing but Python 3.11 installed.

    python3 tasks.py demo    local Synapse + Lotse + the fictional demo network
                             (options: --port PORT, --data-dir DIR)
    python3 tasks.py test    ruff, mypy, then every test tier, the real-Synapse end-to-end tier included
                             (extra arguments go to pytest alone, e.g. tests/unit -q)
    python3 tasks.py bench   the benchmarks in bench/, figures for docs/benchmarks.md

Each command first creates (or refreshes) two virtual environments: `.venv` for Lotse and
`.synapse-venv` for the homeserver the demo and the tests start. Synapse lives apart so
that its dependency pins never decide Lotse's.

`test` also needs PostgreSQL: the one named by LOTSE_TEST_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/test), or, when that cannot be reached, a throwaway
server it starts itself (devtools/postgres.py). It installs Debian's chromium for the
browser test where it can; when it cannot, only that test says so.

Ctrl-C stops the command and everything it started; tasks.py waits for that clean-up.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LOTSE_VENV = ROOT / ".venv"
SYNAPSE_VENV = ROOT / ".synapse-venv"
POSTGRES_VENV = ROOT / ".postgres-venv"
SYNAPSE_REQUIREMENT = "matrix-synapse==1.163.2"
DEFAULT_TEST_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
APT_LOCK_WAIT_SECONDS = 600
APT_ATTEMPTS = 3


def _python(env_dir: Path) -> Path:
    return env_dir / "bin" / "python"


def _ensure_venv(env_dir: Path, requirements: list[str], stamp_source: str) -> None:
    """Create the environment and install `requirements`, unless the stamp says it is current."""
    stamp = env_dir / ".lotse-stamp"
    digest = hashlib.sha256(stamp_source.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and _python(env_dir).exists():
        return
    print(f"== preparing {env_dir.name} (first run takes a minute or two)", flush=True)
    if not _python(env_dir).exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    pip = [str(_python(env_dir)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *requirements], check=True, cwd=ROOT)
    stamp.write_text(digest)


# ----- chromium, for the browser test ---------------------------------------------------------

APT_PROGRAMS = {"apt", "apt-get", "aptitude", "dpkg", "unattended-upgr", "packagekitd"}


def _apt_busy() -> list[int]:
    """Pids of package managers running now (they hold apt's and dpkg's locks)."""
    busy = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if (entry / "comm").read_text().strip() in APT_PROGRAMS and int(entry.name) != os.getpid():
                busy.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return busy


def _wait_for_apt(timeout: float) -> None:
    """Another apt or dpkg (unattended upgrades, a second test run) holds the locks: wait."""
    deadline = time.monotonic() + timeout
    told = False
    while _apt_busy() and time.monotonic() < deadline:
        if not told:
            print(f"== waiting for another package manager to finish (at most {timeout:.0f} s)", flush=True)
            told = True
        time.sleep(2)


def _apt(args: list[str]) -> subprocess.CompletedProcess:
    _wait_for_apt(APT_LOCK_WAIT_SECONDS)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # apt itself waits for dpkg's lock too, should another program take it in between.
    lock = ["-o", f"DPkg::Lock::Timeout={APT_LOCK_WAIT_SECONDS}"]
    return subprocess.run(["apt-get", *lock, *args], env=env, capture_output=True, text=True)


def ensure_chromium() -> str | None:
    """Install Debian's chromium if it is missing and we may (root, apt). Never fails the run:
    returns None when chromium is there, else a sentence saying why it is not."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return None
    if not shutil.which("apt-get"):
        return "chromium is not installed and there is no apt-get here; install chromium yourself"
    if os.geteuid() != 0:
        return "chromium is not installed; install it as root: apt-get install chromium"
    print("== installing chromium (Debian package) for the browser test", flush=True)
    problem = ""
    for attempt in range(1, APT_ATTEMPTS + 1):
        update = _apt(["update", "-qq"])
        install = _apt(["install", "-y", "-qq", "chromium"]) if update.returncode == 0 else update
        if install.returncode == 0 and (shutil.which("chromium") or shutil.which("chromium-browser")):
            return None
        problem = (install.stderr or install.stdout).strip().splitlines()[-1:] or ["no output"]
        problem = problem[0]
        if attempt < APT_ATTEMPTS:
            print(f"== chromium install failed ({problem}); trying again in {10 * attempt} s", flush=True)
            time.sleep(10 * attempt)
    return f"apt-get could not install chromium after {APT_ATTEMPTS} attempts: {problem}"


# ----- PostgreSQL, for the storage tests ------------------------------------------------------

def postgres_reachable(url: str) -> str | None:
    """None if Lotse's driver can connect to `url`, else the reason."""
    code = "import sys, psycopg\npsycopg.connect(sys.argv[1], connect_timeout=5).close()\n"
    result = subprocess.run([str(_python(LOTSE_VENV)), "-c", code, url], capture_output=True, text=True)
    if result.returncode == 0:
        return None
    lines = (result.stderr or "").strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"


def throwaway_postgres():
    """A started devtools.postgres.ThrowawayPostgres: system binaries, else pip's pgserver."""
    sys.path.insert(0, str(ROOT))
    from devtools import postgres

    bindir = postgres.system_bindir()
    if bindir is None:
        _ensure_venv(POSTGRES_VENV, [postgres.PGSERVER_REQUIREMENT], postgres.PGSERVER_REQUIREMENT)
        bindir = postgres.pgserver_bindir(_python(POSTGRES_VENV))
    if bindir is None:
        raise postgres.PostgresUnavailable("no PostgreSQL server binaries found, and pgserver did not provide them")
    server = postgres.ThrowawayPostgres(bindir)
    server.start()
    return server


# ----- running the command ----------------------------------------------------------------------

def prepare() -> dict[str, str]:
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"Lotse needs Python 3.11; this is {sys.version.split()[0]}.")
    pyproject = (ROOT / "pyproject.toml").read_text()
    _ensure_venv(LOTSE_VENV, ["-e", ".[test]"], pyproject)
    _ensure_venv(SYNAPSE_VENV, [SYNAPSE_REQUIREMENT], SYNAPSE_REQUIREMENT)
    env = dict(os.environ)
    env["LOTSE_SYNAPSE_PYTHON"] = str(_python(SYNAPSE_VENV))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def lint(python: str, env: dict[str, str]) -> bool:
    """ruff (style, imports, asyncio and datetime pitfalls) and mypy (strict on knowledge/ and
    commands/), configured in pyproject.toml; part of the test command, and so of CI."""
    for step in (["ruff", "check", "."], ["mypy"]):
        print(f"== {' '.join(step)}", flush=True)
        if subprocess.run([python, "-m", *step], cwd=ROOT, env=env).returncode != 0:
            return False
    return True


def run_foreground(args: list[str], env: dict[str, str]) -> int:
    """Run the child and wait for it, also through Ctrl-C.

    A Ctrl-C in the terminal reaches the whole foreground process group, the child included,
    and the child cleans up (the demo stops Synapse, pytest its fixtures). subprocess.run would
    kill the child a quarter second later, in the middle of that clean-up, so we wait instead.
    SIGTERM and SIGHUP are passed on to the child.
    """
    child = subprocess.Popen(args, cwd=ROOT, env=env)

    def pass_on(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGTERM, signal.SIGHUP)}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, lambda *_: None)  # the child has its own
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_tests(python: str, rest: list[str], env: dict[str, str]) -> int:
    if not rest and not lint(python, env):  # the whole suite: lint first, it is quick
        return 1
    chromium_problem = ensure_chromium()
    if chromium_problem:
        print(f"== {chromium_problem}; the browser test will say so", flush=True)
        env["LOTSE_CHROMIUM_PROBLEM"] = chromium_problem
    url = env.get("LOTSE_TEST_POSTGRES") or DEFAULT_TEST_POSTGRES
    problem = postgres_reachable(url)
    server = None
    try:
        if problem:
            print(f"== PostgreSQL at {url} is not reachable ({problem}); starting a throwaway one", flush=True)
            try:
                server = throwaway_postgres()
            except Exception as exc:  # the PostgreSQL tests then report it (fail with CI=true)
                print(f"== could not start a throwaway PostgreSQL: {exc}", flush=True)
            else:
                env["LOTSE_TEST_POSTGRES"] = server.url
                print(f"== throwaway PostgreSQL at {server.url} in {server.directory} (stopped and deleted after "
                      "the tests)", flush=True)
        return run_foreground([python, "-m", "pytest", *(rest or ["-q"])], env)
    finally:
        if server is not None:
            server.stop()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "bench"}:
        print(__doc__)
        return 2
    try:
        env = prepare()
        python = str(_python(LOTSE_VENV))
        command, rest = argv[0], argv[1:]
        if command == "test":
            return run_tests(python, rest, env)
        if command == "demo":
            return run_foreground([python, "-m", "devtools.demo", *rest], env)
        return run_foreground([python, "-m", "bench", *rest], env)
    except KeyboardInterrupt:
        print("\n== interrupted", flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
