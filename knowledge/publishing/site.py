"""The public transparency site: static, accessible HTML built only from public entries.

An index with the Handlungsfelder and the next public meetings, one page per
Handlungsfeld (decisions with status and LIK ids, links, contact points), and an .ics
feed of public meetings. Roles appear with their organisation and functional contact,
never with a person's name. Everything is escaped by Jinja2's autoescape.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from knowledge.dates import spell_date, spell_datetime
from knowledge.directory.model import RoleEntry, Visibility
from knowledge.meetings.model import Meeting
from knowledge.publishing.sources import MeetingReads, RegisterReads
from knowledge.register.model import Entry, Kind
from knowledge.values import Scope

TEMPLATES = Path(__file__).parent / "templates"
STATES = {"decided": "beschlossen", "in_progress": "in Umsetzung", "implemented": "umgesetzt", "postponed": "vertagt",
          "rejected": "abgelehnt", "superseded": "ersetzt"}


def safe_url(url: str | None) -> str:
    return url if url and url.startswith(("https://", "http://")) else "#"


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
_env.filters["safe_url"] = safe_url


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    lik: tuple[str, ...]
    decisions: tuple[Entry, ...]
    links: tuple[Entry, ...]
    roles: tuple[RoleEntry, ...]

    @property
    def page(self) -> str:
        return f"{self.id}.html"


async def publish(*, out: Path, network: str, handlungsfelder: list[tuple[str, str, tuple[str, ...]]], register: RegisterReads,
                  meetings: MeetingReads,
                  roles: list[RoleEntry], now: datetime, timezone: str, ics: bytes) -> list[Path]:
    """Write the site into `out`. `handlungsfelder`: (id, German name, LIK ids)."""
    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - run once from the command line, nothing else waits
    public_roles = [r for r in roles if r.visibility is Visibility.PUBLIC]
    areas = []
    for hf_id, name, lik in handlungsfelder:
        entries = await register.entries_in(frozenset({Scope.handlungsfeld(hf_id)}), (Kind.DECISION, Kind.AGREEMENT, Kind.LINK), public_only=True)
        areas.append(Area(
            hf_id, name, lik,
            tuple(e for e in entries if e.kind in (Kind.DECISION, Kind.AGREEMENT)),
            tuple(e for e in entries if e.kind is Kind.LINK),
            tuple(r for r in public_roles if hf_id in r.handlungsfelder),
        ))
    network_entries = await register.entries_in(frozenset({Scope.network()}), (Kind.DECISION, Kind.AGREEMENT, Kind.LINK), public_only=True)
    upcoming = []
    for meeting in await meetings.meetings():
        if meeting.public:
            upcoming += [(o, meeting) for o in meeting.occurrences(now, now + timedelta(days=180), limit=6)]
    upcoming.sort(key=lambda pair: pair[0])

    def when(moment: datetime) -> str:
        return spell_datetime(moment, "de", timezone)

    common = {"network": network, "generated": spell_date(now.date(), "de"), "states": STATES, "areas": areas, "when": when,
              "day": lambda d: spell_date(d.date() if isinstance(d, datetime) else d, "de")}
    written = []
    index = _env.get_template("site_index.html").render(
        **common, upcoming=upcoming[:12],
        decisions=[e for e in network_entries if e.kind in (Kind.DECISION, Kind.AGREEMENT)],
        links=[e for e in network_entries if e.kind is Kind.LINK],
    )
    (out / "index.html").write_text(index, encoding="utf-8")
    written.append(out / "index.html")
    for area in areas:
        page = _env.get_template("site_area.html").render(**common, area=area)
        (out / area.page).write_text(page, encoding="utf-8")
        written.append(out / area.page)
    (out / "termine.ics").write_bytes(ics)
    written.append(out / "termine.ics")
    return written


def public_meetings(meetings: list[Meeting]) -> list[Meeting]:
    return [m for m in meetings if m.public and not m.cancelled]
