"""`python3 tasks.py demo` in a real terminal: Ctrl-C stops everything, every time, and a Synapse
left behind by a demo that was killed is found and stopped by the next one.

The demo runs in a pseudo-terminal as its controlling terminal, and Ctrl-C is typed into it:
the terminal then sends SIGINT to the whole foreground process group, exactly as for a person
at a keyboard. Synapse runs in a session of its own and never sees that signal.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devtools import processes
from devtools.homeserver import free_port, port_in_use

ROOT = Path(__file__).resolve().parents[2]
BANNER = "Lotse demo is running"
# Generous: the first run registers the whole demo network and creates ten encrypted rooms,
# on a machine that may be busy with other things.
START_TIMEOUT = 600.0
STOP_TIMEOUT = 180.0
# Start the command as a terminal session would: the pseudo-terminal as its controlling terminal,
# and Ctrl-C's signals at their defaults (a test run started in the background, without job
# control, inherits SIGINT and SIGQUIT ignored; a person's shell never passes that on).
WITH_TERMINAL = (
    "import fcntl, os, signal, sys, termios\n"
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "for sig in (signal.SIGINT, signal.SIGQUIT):\n"
    "    signal.signal(sig, signal.SIG_DFL)\n"
    "os.execvp(sys.argv[1], sys.argv[1:])\n"
)


class Terminal:
    """A command in its own session with a pseudo-terminal; keeps everything it prints."""

    def __init__(self, argv: list[str]):
        master, slave = os.openpty()
        self.master = master
        self.output = bytearray()
        self.process = subprocess.Popen([sys.executable, "-c", WITH_TERMINAL, *argv], stdin=slave, stdout=slave,
                                        stderr=slave, start_new_session=True, cwd=ROOT)
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the terminal's last writer is gone
                return
            if not chunk:
                return
            self.output.extend(chunk)

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def expect(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text:
            if self.process.poll() is not None:
                self._reader.join(10)  # the terminal's last lines: read until its last writer is gone
                if text in self.text:
                    return
                raise AssertionError(f"the demo ended (exit {self.process.returncode}) before {text!r}:\n{self.text[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout:.0f} s:\n{self.text[-3000:]}")
            time.sleep(0.2)

    def ctrl_c(self) -> None:
        os.write(self.master, b"\x03")

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the demo did not stop within {timeout:.0f} s after Ctrl-C:\n{self.text[-3000:]}") from None

    def kill_group(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill_group()
        self._reader.join(5)
        os.close(self.master)


@pytest.fixture
def demo_dir(tmp_path):
    """The demo's data directory; whatever still runs on it afterwards is stopped (and fails the test)."""
    data_dir = tmp_path / "demo-data"
    terminals: list[Terminal] = []

    def start(port: int) -> Terminal:
        terminal = Terminal([sys.executable, str(ROOT / "tasks.py"), "demo", "--data-dir", str(data_dir), "--port", str(port)])
        terminals.append(terminal)
        return terminal

    yield data_dir, start
    for terminal in terminals:
        terminal.close()
    leftovers = processes.mentioning(str(data_dir))
    for proc in leftovers:
        processes.stop(proc.pid, timeout=10)


def strays(data_dir: Path) -> list[str]:
    return [" ".join(p.info["cmdline"]) for p in processes.mentioning(str(data_dir))]


def test_ctrl_c_stops_the_demo_every_time_and_a_killed_demo_leaves_nothing_for_the_next(demo_dir):
    data_dir, start = demo_dir
    port = free_port()
    for run in range(3):
        demo = start(port)
        demo.expect(BANNER, START_TIMEOUT)
        assert port_in_use(port)
        demo.ctrl_c()
        assert demo.wait(STOP_TIMEOUT) == 0
        assert "Traceback" not in demo.text, demo.text[-3000:]
        assert strays(data_dir) == [], f"run {run + 1} left processes behind"
        assert not port_in_use(port)

    # kill -9 of everything in the terminal: no clean-up at all. Synapse, in its own session,
    # survives; the next demo finds it, stops it and starts afresh.
    demo = start(port)
    demo.expect(BANNER, START_TIMEOUT)
    demo.kill_group()
    left = [p.pid for p in processes.find(["synapse.app.homeserver"]) if str(data_dir) in " ".join(p.info["cmdline"])]
    assert left, "Synapse lives in its own session, so it should have survived the kill"
    demo = start(port)
    demo.expect(BANNER, START_TIMEOUT)
    assert f"stopped a Synapse left running by an earlier demo (pid {left[0]})" in demo.text
    assert processes.wait_gone(left, 10)
    demo.ctrl_c()
    demo.wait(STOP_TIMEOUT)
    assert strays(data_dir) == []

    # Ctrl-C in the middle of the start, while Synapse comes up, stops it all the same.
    demo = start(port)
    demo.expect("== starting Synapse", START_TIMEOUT)
    demo.ctrl_c()
    demo.wait(STOP_TIMEOUT)
    assert strays(data_dir) == []
    assert not port_in_use(port)
