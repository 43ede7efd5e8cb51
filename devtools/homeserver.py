"""A real Synapse on 127.0.0.1 for the demo, the end-to-end tests and the benchmarks.

SQLite, no federation listener, registration closed except by shared secret, and (for
tests) rate limits relaxed. Synapse runs from its own virtual environment, found through
LOTSE_SYNAPSE_PYTHON (set by tasks.py) or `.synapse-venv/` next to this repository.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RELAXED = {"per_second": 1000, "burst_count": 1000}
RATE_LIMITS = {
    "rc_message": RELAXED,
    "rc_registration": RELAXED,
    "rc_registration_token_validity": RELAXED,
    "rc_login": {"address": RELAXED, "account": RELAXED, "failed_attempts": RELAXED},
    "rc_admin_redaction": RELAXED,
    "rc_joins": {"local": RELAXED, "remote": RELAXED},
    "rc_joins_per_room": RELAXED,
    "rc_3pid_validation": RELAXED,
    "rc_invites": {"per_room": RELAXED, "per_user": RELAXED, "per_issuer": RELAXED},
    "rc_third_party_invite": RELAXED,
    "rc_room_creation": RELAXED,
    "rc_key_requests": RELAXED,
    "rc_presence": {"per_user": RELAXED},
    "rc_delayed_event_mgmt": RELAXED,
    "rc_reports": RELAXED,
    "rc_media_create": RELAXED,
}


class HomeserverError(Exception):
    pass


def synapse_python() -> str:
    found = os.environ.get("LOTSE_SYNAPSE_PYTHON") or str(ROOT / ".synapse-venv" / "bin" / "python")
    if not Path(found).exists():
        raise HomeserverError(
            f"Synapse is not installed at {found}. Run `python3 tasks.py test` (or demo), "
            "which installs it into .synapse-venv."
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class LocalSynapse:
    directory: Path
    server_name: str = "localhost"
    port: int = 0
    relaxed_rate_limits: bool = True
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.directory / "homeserver.yaml"

    def _secret(self) -> str:
        path = self.directory / "registration_secret"
        if not path.exists():
            path.write_text(secrets.token_hex(24))
            path.chmod(0o600)
        return path.read_text().strip()

    def write_config(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        port_file = self.directory / "port"
        if not self.port:
            self.port = int(port_file.read_text()) if port_file.exists() else free_port()
        port_file.write_text(str(self.port))
        config = {
            "server_name": self.server_name,
            "pid_file": str(self.directory / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(self.directory / "homeserver.db")}},
            "log_config": str(self.directory / "log.config"),
            "media_store_path": str(self.directory / "media_store"),
            "signing_key_path": str(self.directory / "signing.key"),
            "enable_registration": False,
            "registration_shared_secret": self._secret(),
            "report_stats": False,
            "enable_metrics": False,
            "url_preview_enabled": False,
            "trusted_key_servers": [],
            "federation_domain_whitelist": [],
            "suppress_key_server_warning": True,
            "bcrypt_rounds": 4,
            "presence": {"enabled": False},
            "macaroon_secret_key": self._stable("macaroon"),
            "form_secret": self._stable("form"),
            **(RATE_LIMITS if self.relaxed_rate_limits else {}),
        }
        self.config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        log_config = {
            "version": 1,
            "formatters": {"precise": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(self.directory / "homeserver.log"),
                }
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        (self.directory / "log.config").write_text(yaml.safe_dump(log_config))

    def _stable(self, name: str) -> str:
        path = self.directory / f"{name}_secret"
        if not path.exists():
            path.write_text(secrets.token_hex(24))
        return path.read_text().strip()

    def running_leftovers(self) -> list[int]:
        """Pids of Synapse processes still running on this directory's config (an earlier run that
        was killed before it could stop them)."""
        from devtools import processes

        mine = self.process.pid if self.process else None
        found = processes.find(["synapse.app.homeserver", "-c", str(self.config_file)])
        return [proc.pid for proc in found if proc.pid != mine]

    def stop_leftovers(self) -> list[int]:
        """Stop a Synapse left running on this directory by an earlier run; returns their pids."""
        from devtools import processes

        stale = self.running_leftovers()
        for pid in stale:
            processes.stop(pid)
        return stale

    def start(self, timeout: float = 120.0) -> LocalSynapse:
        """Start Synapse and wait until it answers. Whatever interrupts the start (Ctrl-C
        included) stops the process again: a failed start leaves nothing running."""
        self.stop_leftovers()
        self.write_config()
        if port_in_use(self.port):
            raise HomeserverError(f"port {self.port} on 127.0.0.1 is already in use")
        python = synapse_python()
        if not (self.directory / "signing.key").exists():
            subprocess.run(
                [python, "-m", "synapse.app.homeserver", "-c", str(self.config_file), "--generate-keys"],
                check=True,
                capture_output=True,
            )
        try:
            with open(self.directory / "stdout.log", "ab") as out:
                self.process = subprocess.Popen(
                    [python, "-m", "synapse.app.homeserver", "-c", str(self.config_file)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self.directory,
                    # Its own session: a Ctrl-C for the demo reaches the demo, which then stops Synapse.
                    start_new_session=True,
                )
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HomeserverError(f"Synapse exited early; see {self.directory / 'stdout.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise HomeserverError(f"Synapse did not answer within {timeout:.0f} s; see {self.directory / 'homeserver.log'}")

    def stop(self) -> None:
        """Stop Synapse (SIGTERM, SIGKILL after 20 s) and wait for it. Safe to call twice."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        process.wait()

    def _request(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
        req = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise HomeserverError(f"{method} {path}: {exc.code} {exc.read()[:300]!r}") from None

    def register(self, localpart: str, password: str, admin: bool = False, displayname: str | None = None) -> str:
        """Create a user with the shared-secret admin API; returns the full user id.
        An existing user is left as it is."""
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self._secret().encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(), b"admin" if admin else b"notadmin"]))
        body = {"nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": mac.hexdigest()}
        if displayname:
            body["displayname"] = displayname
        try:
            self._request("POST", "/_synapse/admin/v1/register", body)
        except HomeserverError as exc:
            if "M_USER_IN_USE" not in str(exc):
                raise
        return f"@{localpart}:{self.server_name}"
