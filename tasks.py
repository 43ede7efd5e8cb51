#!/usr/bin/env python3
"""The two README commands, and a few more, with nothing but Python 3.11 installed.

    python3 tasks.py demo    local Synapse + Lotse + the fictional demo network
    python3 tasks.py test    ruff, mypy, then every test tier, the real-Synapse end-to-end tier included
    python3 tasks.py bench   the benchmarks in bench/, figures for docs/benchmarks.md

Each command first creates (or refreshes) two virtual environments: `.venv` for Lotse and
`.synapse-venv` for the homeserver the demo and the tests start. Synapse lives apart so
that its dependency pins never decide Lotse's.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LOTSE_VENV = ROOT / ".venv"
SYNAPSE_VENV = ROOT / ".synapse-venv"
SYNAPSE_REQUIREMENT = "matrix-synapse==1.163.2"


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


def _ensure_chromium() -> None:
    """The public-site test drives Debian's chromium; install it where we may (root, apt)."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("== chromium is missing and cannot be installed here; the browser test will say so", flush=True)
        return
    print("== installing chromium (Debian package) for the browser test", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env, stdout=subprocess.DEVNULL)


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


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "bench"}:
        print(__doc__)
        return 2
    env = prepare()
    python = str(_python(LOTSE_VENV))
    command, rest = argv[0], argv[1:]
    if command == "test":
        if not rest and not lint(python, env):
            return 1
        _ensure_chromium()
        args = [python, "-m", "pytest", *(rest or ["-q"])]
    elif command == "demo":
        args = [python, "-m", "devtools.demo", *rest]
    else:
        args = [python, "-m", "bench", *rest]
    try:
        return subprocess.run(args, cwd=ROOT, env=env).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
