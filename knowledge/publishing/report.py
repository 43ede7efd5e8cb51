"""Reports for the state's integration concept (LIK): per Handlungsfeld and period —
decisions with status and LIK ids, meetings held, action items done and open.

One data model, four renderings: Markdown, HTML (accessible, via Jinja2 with autoescape),
CSV and JSON. CSV and JSON read back to the same rows.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from knowledge.dates import parse_day
from knowledge.onboarding.cells import neutralise, restore
from knowledge.publishing.sources import MeetingReads, RegisterReads
from knowledge.register.model import Kind
from knowledge.values import Scope

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class ReportRow:
    handlungsfeld: str
    kind: str  # decision, agreement, meeting, action
    id: str
    title: str
    status: str
    lik: str  # "HF4;HF6"
    date: str  # ISO date
    owner: str
    due: str


@dataclass(frozen=True)
class Report:
    network: str
    start: str
    end: str
    generated: str
    public_only: bool
    rows: tuple[ReportRow, ...]

    def by_handlungsfeld(self) -> dict[str, list[ReportRow]]:
        out: dict[str, list[ReportRow]] = {}
        for row in self.rows:
            out.setdefault(row.handlungsfeld, []).append(row)
        return out


class PeriodError(ValueError):
    pass


def parse_period(text: str, today: date) -> tuple[date, date]:
    """'2026', 'Q3 2026', '1.1.2026-30.6.2026', '1.1.2026 bis 30.6.2026', 'seit 1.1.2026' / 'since …'."""
    text = text.strip().lower()
    if not text:
        return date(today.year, 1, 1), today
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1), date(int(text), 12, 31)
    match = re.fullmatch(r"q([1-4])\s*(\d{4})", text)
    if match:
        quarter, year = int(match.group(1)), int(match.group(2))
        start = date(year, 3 * quarter - 2, 1)
        end = (date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - timedelta(days=1))
        return start, end
    match = re.fullmatch(r"(?:seit|since|ab|from)\s+(\S+)", text)
    since = parse_day(match.group(1), today, past=True) if match else None
    if since:
        return since, today
    parts = re.split(r"\s*(?:-|–|bis|to)\s*", text)
    days = [parse_day(p, today, past=True) for p in parts] if len(parts) == 2 else []
    if len(days) == 2 and days[0] and days[1]:
        start, end = days[0], days[1]
        if start > end:
            raise PeriodError(text)
        return start, end
    raise PeriodError(text)


async def build_report(*, network: str, register: RegisterReads, meetings: MeetingReads, handlungsfelder: list[str], start: date, end: date,
                       now: datetime, public_only: bool = False) -> Report:
    begin = datetime.combine(start, time.min, tzinfo=timezone.utc) - timedelta(microseconds=1)
    finish = datetime.combine(end, time.max, tzinfo=timezone.utc)
    rows: list[ReportRow] = []
    for hf in handlungsfelder:
        scope = frozenset({Scope.handlungsfeld(hf)})
        for entry in await register.created_between(scope, begin, finish, public_only=public_only):
            if entry.kind not in (Kind.DECISION, Kind.AGREEMENT):
                continue
            rows.append(ReportRow(hf, entry.kind.value, entry.short_id, entry.headline, entry.status.value if entry.status else "",
                                  ";".join(entry.lik), entry.created_at.date().isoformat(), entry.owner or "",
                                  entry.due.isoformat() if entry.due else ""))
        if public_only:
            continue  # meetings held and action items are internal working data
        for session in await meetings.sessions_in(scope, begin):
            if session.started_at <= finish:
                rows.append(ReportRow(hf, "meeting", session.short_id, session.title, session.status, "",
                                      session.started_at.date().isoformat(), "", ""))
        for item in await meetings.actions(open_only=False, scopes=scope):
            done_in_period = item.done and item.done_at and begin < item.done_at <= finish
            if done_in_period or (not item.done and item.created_at <= finish):
                rows.append(ReportRow(hf, "action", item.short_id, item.text, "done" if item.done else "open", "",
                                      item.created_at.date().isoformat(), item.owner, item.due.isoformat() if item.due else ""))
    return Report(network, start.isoformat(), end.isoformat(), now.isoformat(timespec="minutes"), public_only, tuple(rows))


FIELDS = [f.name for f in fields(ReportRow)]


def to_json(report: Report) -> str:
    return json.dumps(asdict(report), ensure_ascii=False, indent=2)


def from_json(text: str) -> Report:
    data = json.loads(text)
    data["rows"] = tuple(ReportRow(**row) for row in data["rows"])
    return Report(**data)


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)
    writer.writeheader()
    for row in report.rows:
        writer.writerow({k: neutralise(v) if isinstance(v, str) else v for k, v in asdict(row).items()})
    return buffer.getvalue()


def rows_from_csv(text: str) -> tuple[ReportRow, ...]:
    return tuple(ReportRow(**{k: restore(v) for k, v in row.items()}) for row in csv.DictReader(io.StringIO(text)))


# The words of a report (title, headings, column names, status names) come from the caller,
# in the reader's language (commands.i18n.report_labels): the domain knows no catalogue.
Labels = Mapping[str, Any]


def _grouped(report: Report, names: dict[str, str]) -> list[dict[str, Any]]:
    groups = []
    for hf, rows in report.by_handlungsfeld().items():
        groups.append({
            "id": hf, "name": names.get(hf, hf),
            "decisions": [r for r in rows if r.kind in ("decision", "agreement")],
            "meetings": [r for r in rows if r.kind == "meeting"],
            "actions": [r for r in rows if r.kind == "action"],
        })
    return groups


def _md(text: str) -> str:
    """User text in Markdown: characters that would become markup are escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+!|<>])", r"\\\1", text)


def to_markdown(report: Report, names: dict[str, str], labels: Labels) -> str:
    L = labels
    state = L["states"]
    lines = [f"# {L['title']}: {_md(report.network)}", "",
             f"{L['period']}: {report.start} – {report.end} · {L['generated']}: {report.generated}"
             + (f" · {L['public']}" if report.public_only else ""), ""]
    groups = _grouped(report, names)
    if not groups:
        lines += [L["none"], ""]
    for g in groups:
        lines += [f"## {_md(g['name'])}", ""]
        for key, rows in (("decisions", g["decisions"]), ("meetings", g["meetings"]), ("actions", g["actions"])):
            if not rows:
                continue
            lines += [f"### {L[key]}", ""]
            for r in rows:
                details = state.get(r.status, r.status)
                if r.lik:
                    details += f"; {L['lik']} {r.lik.replace(';', ', ')}"
                line = f"- **{r.id}** ({details}) {r.date}: {_md(r.title)}"
                if r.owner:
                    line += f" – {_md(r.owner)}"
                if r.due:
                    line += f" – {L['due']} {r.due}"
                lines.append(line)
            lines.append("")
    return "\n".join(lines)


def to_html(report: Report, names: dict[str, str], labels: Labels) -> str:
    return _env.get_template("report.html").render(report=report, groups=_grouped(report, names), L=labels,
                                                   lang=labels["lang"])


def write_all(report: Report, names: dict[str, str], out: Path, labels: Labels) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {"bericht.md": to_markdown(report, names, labels), "bericht.html": to_html(report, names, labels),
             "bericht.csv": to_csv(report), "bericht.json": to_json(report)}
    for name, content in files.items():
        (out / name).write_text(content, encoding="utf-8")
    return [out / name for name in files]
