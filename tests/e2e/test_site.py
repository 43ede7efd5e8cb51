"""The public transparency site in a real headless browser (Debian's chromium)."""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from knowledge.directory.model import RoleEntry, Visibility
from knowledge.meetings.ics import ics_calendar
from knowledge.publishing.site import public_meetings, publish
from knowledge.register.model import Kind, NewEntry
from knowledge.storage import Database, MeetingRepository, RegisterRepository
from knowledge.values import Scope

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
SECRET = "INTERN-GEHEIM-7731"


def browser() -> str:
    """Debian's chromium, which `python3 tasks.py test` installs; if it could not, it says why."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        why = os.environ.get("LOTSE_CHROMIUM_PROBLEM") or (
            "chromium is not installed; python3 tasks.py test installs it (Debian package chromium)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the browser test needs chromium: {why}")
        pytest.skip(f"the browser test needs chromium: {why}")
    return found


async def build_site(tmp_path: Path) -> Path:
    db = Database(f"sqlite:///{tmp_path / 'site.db'}")
    await db.open()
    register, meetings = RegisterRepository(db), MeetingRepository(db)

    def entry(origin, kind, text, public, **kw):
        return NewEntry(kind=kind, scope=Scope.handlungsfeld("hf-gesundheit"), text=text, author="@a:x", recorded_by="@a:x", origin=origin, public=public, **kw)

    await register.add(entry("$1", Kind.DECISION, "Checkliste <b>Arztbesuch</b> in fünf Sprachen", True, lik=("HF6",)), T0)
    await register.add(entry("$2", Kind.DECISION, f"Budget für Sprachmittlung {SECRET}", False), T0)
    await register.add(entry("$3", Kind.LINK, "Portal Anerkennung", True, url="https://www.example.org/anerkennung", title="Portal Anerkennung"), T0)
    await register.add(entry("$4", Kind.LINK, "Böser Link", True, url="javascript:alert(1)", title="Böser Link"), T0)
    await meetings.add_meeting(origin="$m1", scope=Scope.handlungsfeld("hf-gesundheit"), title="Öffentliches Plenum", start=T0 + timedelta(days=10),
                               timezone="Europe/Berlin", duration=timedelta(hours=2), rrule=None, location="Kreishaus",
                               video_link=None, reminders=(), agenda_call=None, organiser=None, room_id=None, created_by="@a:x",
                               at=T0, public=True)
    await meetings.add_meeting(origin="$m2", scope=Scope.handlungsfeld("hf-gesundheit"), title=f"Internes Treffen {SECRET}", start=T0 + timedelta(days=5),
                               timezone="Europe/Berlin", duration=timedelta(hours=1), rrule=None, location=None, video_link=None,
                               reminders=(), agenda_call=None, organiser=None, room_id=None, created_by="@a:x", at=T0)
    roles = [
        RoleEntry(id="p1", role="Ärztin im Gesundheitsamt", organisation="Gesundheitsamt", person="Dr. Erika Beispiel",
                  handlungsfelder=("hf-gesundheit",), email="gesundheitsamt@example.org", visibility=Visibility.PUBLIC),
        RoleEntry(id="p2", role=f"Interne Rolle {SECRET}", organisation="Verein", person="Max Muster",
                  handlungsfelder=("hf-gesundheit",), visibility=Visibility.NETWORK),
    ]
    out = tmp_path / "site"
    await publish(out=out, network="Integrationsnetzwerk Beispiel (fiktiv)",
                  handlungsfelder=[("hf-gesundheit", "Gesundheit und Pflege", ("HF6",)), ("hf-arbeit", "Arbeit", ("HF4",))],
                  register=register, meetings=meetings, roles=roles, now=T0, timezone="Europe/Berlin",
                  ics=ics_calendar(public_meetings(await meetings.meetings())))
    await db.close()
    return out


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


async def test_the_site_has_only_public_entries_and_is_accessible_in_a_real_browser(tmp_path):
    chromium = browser()
    out = await build_site(tmp_path)
    everything = "".join(p.read_text(errors="replace") for p in out.iterdir())
    assert SECRET not in everything
    assert "Dr. Erika Beispiel" not in everything and "Max Muster" not in everything  # no personal names
    assert "javascript:" not in everything
    assert "&lt;b&gt;Arztbesuch&lt;/b&gt;" in (out / "hf-gesundheit.html").read_text()
    assert "SUMMARY:Öffentliches Plenum" in (out / "termine.ics").read_text()

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    try:
        for page in ("index.html", "hf-gesundheit.html", "hf-arbeit.html"):
            dom = subprocess.run([chromium, *flags, "--dump-dom", f"{base}/{page}"], capture_output=True, text=True, timeout=90).stdout
            parser = Page()
            parser.feed(dom)
            tags = [t for t, _ in parser.tags]
            html_attrs = next(a for t, a in parser.tags if t == "html")
            assert html_attrs.get("lang") == "de", page
            assert tags.count("h1") == 1 and "h2" in tags, page
            for landmark in ("header", "nav", "main", "footer"):
                assert landmark in tags, (page, landmark)
            for _, attrs in parser.tags:
                href = attrs.get("href", "")
                if href and not re.match(r"^(https?:|mailto:|#)", href):
                    assert (out / href).exists(), (page, href)
        screenshot = tmp_path / "index.png"
        subprocess.run([chromium, *flags, "--window-size=1280,900", f"--screenshot={screenshot}", f"{base}/hf-gesundheit.html"],
                       capture_output=True, timeout=90)
        assert screenshot.exists() and screenshot.stat().st_size > 5000
        if os.environ.get("LOTSE_SCREENSHOT_TO"):
            shutil.copy(screenshot, os.environ["LOTSE_SCREENSHOT_TO"])
    finally:
        server.shutdown()
