"""Processes the demo, the tests and the benchmarks start, found again and stopped for sure.

Synapse runs in its own session (so that a Ctrl-C meant for the demo reaches the demo's
clean-up first), which also means nothing stops it when its parent is killed. These helpers
find such left-overs by their command line and stop a process together with its group.
"""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable

import psutil


def find(argv_part: Iterable[str]) -> list[psutil.Process]:
    """Running processes (other than this one) whose command line contains `argv_part` in order."""
    wanted = list(argv_part)
    found = []
    me = os.getpid()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info["pid"] == me or len(cmdline) < len(wanted):
            continue
        if any(cmdline[i:i + len(wanted)] == wanted for i in range(len(cmdline) - len(wanted) + 1)):
            found.append(proc)
    return found


def mentioning(text: str) -> list[psutil.Process]:
    """Running processes (other than this one) with `text` anywhere in their command line."""
    me = os.getpid()
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if proc.info["pid"] != me and any(text in arg for arg in proc.info.get("cmdline") or []):
            found.append(proc)
    return found


def stop(pid: int, first: signal.Signals = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Send `first` to the process (and its group, if it leads one), SIGKILL after `timeout` s."""
    try:
        proc = psutil.Process(pid)
        leads_group = os.getpgid(pid) == pid
    except (psutil.NoSuchProcess, ProcessLookupError):
        return
    group = [proc]
    if leads_group:
        group += [p for p in psutil.process_iter(["pid"]) if _pgid(p.info["pid"]) == pid and p.info["pid"] != pid]

    def send(sig: signal.Signals) -> None:
        for member in group:
            try:
                member.send_signal(sig)
            except psutil.NoSuchProcess:
                pass

    send(first)
    _gone, alive = psutil.wait_procs(group, timeout=timeout)
    if alive:
        send(signal.SIGKILL)
        psutil.wait_procs(alive, timeout=timeout)


def wait_gone(pids: Iterable[int], timeout: float) -> bool:
    """True once none of `pids` runs any more (zombies count as gone)."""
    deadline = time.monotonic() + timeout
    pending = set(pids)
    while pending and time.monotonic() < deadline:
        pending = {pid for pid in pending if _alive(pid)}
        if pending:
            time.sleep(0.1)
    return not pending


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None
