"""`lotse import`, `lotse directory import|export`, `lotse decisions import|export`: the CLI side of
onboarding (knowledge/onboarding). Answers in the user's language (--lang, else the configured
default), problems with file, row and column; exit code 2 when anything stands in the way."""
from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import ConfigError, LotseConfig, load_config

EXIT_PROBLEMS = 2
KIND_LABEL = {"directory": "onboarding.kind.directory", "decisions": "onboarding.kind.decisions",
              "meetings": "onboarding.kind.meetings"}


def t(lang: str, key: str, **params: object) -> str:
    """The catalogue, imported when a message is printed: `lotse health` and friends need none of it."""
    from commands.i18n import t as translate

    return translate(lang, key, **params)


@dataclass(frozen=True)
class ImportResult:
    """What the older callers (demo, tests) read: entries and meetings created / left alone."""

    created: int
    unchanged: int
    changed: int = 0


def _settings(config: LotseConfig, args: argparse.Namespace | None = None, kind: str | None = None):
    from knowledge.directory.synonyms import SynonymTable
    from knowledge.onboarding.fields import Vocabulary
    from knowledge.onboarding.run import Settings
    from knowledge.onboarding.tables import load_map
    from knowledge.values import Scope

    hfs = {hf.id: (hf.name_de, hf.name_en) for hf in config.network.handlungsfelder}
    rooms = {hf.room: Scope.handlungsfeld(hf.id) for hf in config.network.handlungsfelder}
    rooms[config.network.coordination_room] = Scope.network()
    settings = Settings(vocabulary=Vocabulary(hfs, lambda: SynonymTable.load(*config.directory.synonyms)),
                        timezone=ZoneInfo(config.bot.timezone), rooms=rooms, kind=kind)
    if args is not None:
        settings.dry_run = args.dry_run
        settings.skip_bad_rows = args.skip_bad_rows
        settings.kind = kind or getattr(args, "kind", None)
        if args.map:
            settings.column_map = load_map(args.map)
        if getattr(args, "handlungsfeld", None):
            settings.meeting_scope = Scope.handlungsfeld(args.handlungsfeld)
    return settings


async def import_files(config: LotseConfig, files: list[Path], settings):
    from knowledge.onboarding.run import run_import
    from knowledge.storage.onboarding import OnboardingStore, open_database

    db = await open_database(config.database_url)
    try:
        return await run_import(OnboardingStore(db), files, settings, datetime.now(timezone.utc))
    finally:
        await db.close()


async def run_import(config: LotseConfig, file: Path) -> ImportResult:
    """Import a network file (directory, decisions, links, meetings) — for the demo; raises on problems.
    The result counts the register entries and meetings (the directory has its own import below)."""
    from knowledge.onboarding.problems import ImportRefused

    outcome = await import_files(config, [file], _settings(config, kind=None))
    if not outcome.stored:
        raise ImportRefused(outcome)
    kinds = [outcome.of(k) for k in ("decisions", "meetings")]
    return ImportResult(sum(c.created for c in kinds), sum(c.unchanged for c in kinds), sum(c.changed for c in kinds))


async def run_directory_import(config: LotseConfig, file: Path) -> int:
    """Import the directory of a network file or table; how many entries are new or changed."""
    from knowledge.onboarding.problems import ImportRefused

    outcome = await import_files(config, [file], _settings(config, kind="directory"))
    if not outcome.stored:
        raise ImportRefused(outcome)
    counts = outcome.of("directory")
    return counts.created + counts.changed


def _field_label(change, lang: str) -> list[str]:
    """Column headers (as exports write them) for the changed fields; meeting fields by their iCalendar names."""
    from knowledge.onboarding import decisions, directory

    if change.kind == "meetings":
        names = {"title": "SUMMARY", "start": "DTSTART", "timezone": "TZID", "duration": "DTEND", "rrule": "RRULE",
                 "exdates": "EXDATE", "location": "LOCATION", "video_link": "URL", "cancelled": "STATUS",
                 "scope": "Handlungsfeld"}
        return [names.get(f, f) for f in change.fields]
    columns = directory.COLUMNS if change.kind == "directory" else decisions.COLUMNS
    labels = {c.field: c.label(lang) for c in columns}
    return [labels.get(f, f) for f in change.fields]


def _where(problem, lang: str) -> str:
    parts = [problem.file]
    if problem.row is not None:
        unit = "onboarding.where.entry" if problem.file.lower().endswith((".yaml", ".yml", ".ics")) else "onboarding.where.row"
        parts.append(t(lang, unit, row=problem.row))
    if problem.column:
        parts.append(t(lang, "onboarding.where.column", column=problem.column))
    return ", ".join(parts)


def problem_line(problem, lang: str) -> str:
    return f"{_where(problem, lang)}: {t(lang, 'onboarding.problem.' + problem.key, **problem.params)}"


def print_outcome(outcome, settings, lang: str) -> int:
    out = sys.stdout
    refused = outcome.refused(settings.skip_bad_rows)
    if settings.dry_run:
        print(t(lang, "onboarding.dry_run"), file=out)
    elif refused:
        print(t(lang, "onboarding.refused"), file=out)
    for kind, counts in outcome.counts.items():
        line = t(lang, "onboarding.counts", what=t(lang, KIND_LABEL[kind]), created=counts.created,
                 changed=counts.changed, unchanged=counts.unchanged)
        if counts.skipped:
            line += " " + t(lang, "onboarding.skipped_count", skipped=counts.skipped)
        print(("  " if settings.dry_run or refused else "") + line, file=out)
    if outcome.changes:
        print(t(lang, "onboarding.changes_would" if settings.dry_run else "onboarding.changes"), file=out)
        for change in outcome.changes:
            print(f"  - {t(lang, KIND_LABEL[change.kind])} {change.key}: {', '.join(_field_label(change, lang))}", file=out)
        total = sum(c.changed for c in outcome.counts.values())
        if total > len(outcome.changes):
            print("  - " + t(lang, "onboarding.more_changes", count=total - len(outcome.changes)), file=out)
    if outcome.problems:
        header = "onboarding.skipped_rows" if settings.skip_bad_rows and not outcome.fatal else "onboarding.problems"
        print(t(lang, header, count=outcome.problem_total), file=sys.stderr)
        for problem in outcome.problems:
            print(f"  - {problem_line(problem, lang)}", file=sys.stderr)
        if outcome.problem_total > len(outcome.problems):
            print("  - " + t(lang, "onboarding.more_problems", count=outcome.problem_total - len(outcome.problems)),
                  file=sys.stderr)
    if outcome.notices:
        print(t(lang, "onboarding.notices"), file=sys.stderr)
        for notice in outcome.notices:
            print(f"  - {problem_line(notice, lang)}", file=sys.stderr)
    if outcome.stored:
        print(t(lang, "onboarding.stored"), file=out)
    elif settings.dry_run and not refused:
        print(t(lang, "onboarding.dry_run_ok"), file=out)
    return EXIT_PROBLEMS if refused or (settings.dry_run and outcome.problem_total) else 0


def _config(args) -> tuple[LotseConfig | None, int]:
    try:
        return load_config(args.config), 0
    except ConfigError as exc:
        print("The configuration has problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return None, EXIT_PROBLEMS


def cmd_import(args, kind: str | None = None) -> int:
    from knowledge.onboarding.tables import TableError

    config, code = _config(args)
    if config is None:
        return code
    lang = args.lang or config.bot.default_language
    if not args.files:
        print(t(lang, "onboarding.no_files"), file=sys.stderr)
        return EXIT_PROBLEMS
    if getattr(args, "handlungsfeld", None) and args.handlungsfeld not in {hf.id for hf in config.network.handlungsfelder}:
        print(t(lang, "onboarding.unknown_handlungsfeld", value=args.handlungsfeld,
                known=", ".join(hf.id for hf in config.network.handlungsfelder)), file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        settings = _settings(config, args, kind)
    except TableError as exc:
        print(problem_line(exc.problem, lang), file=sys.stderr)
        return EXIT_PROBLEMS
    from knowledge.storage.onboarding import StoreUnavailable

    try:
        outcome = asyncio.run(import_files(config, list(args.files), settings))
    except StoreUnavailable:
        print(t(lang, "onboarding.database_unavailable"), file=sys.stderr)
        return 1
    return print_outcome(outcome, settings, lang)


def _write(content: bytes, out: Path | None, lang: str) -> int:
    if out is None:
        sys.stdout.buffer.write(content)
        return 0
    try:
        out.write_bytes(content)
    except OSError as exc:
        print(t(lang, "onboarding.cannot_write", file=str(out), reason=exc.strerror or exc.__class__.__name__), file=sys.stderr)
        return EXIT_PROBLEMS
    print(t(lang, "onboarding.wrote", file=str(out)))
    return 0


def _format(args) -> str:
    if args.format:
        return str(args.format)
    if args.out is not None and args.out.suffix.lower() in (".xlsx", ".csv"):
        return args.out.suffix.lower()[1:]
    return "yaml"


async def _directory_entries(config: LotseConfig):
    from knowledge.storage import Database, DirectoryRepository

    db = Database(config.database_url)
    await db.open()
    try:
        return await DirectoryRepository(db).all()
    finally:
        await db.close()


async def _decision_entries(config: LotseConfig):
    from knowledge.register.model import Kind
    from knowledge.storage import Database, RegisterRepository

    db = Database(config.database_url)
    await db.open()
    try:
        return await RegisterRepository(db).entries_in(None, (Kind.DECISION, Kind.AGREEMENT))
    finally:
        await db.close()


def cmd_directory(args) -> int:
    if args.action == "import":
        args.files = [args.file] if args.file else []
        return cmd_import(args, kind="directory")
    from knowledge.directory.files import to_yaml
    from knowledge.onboarding.export import export_directory

    config, code = _config(args)
    if config is None:
        return code
    lang = args.lang or config.bot.default_language
    entries = asyncio.run(_directory_entries(config))
    fmt = _format(args)
    content = to_yaml(entries).encode() if fmt == "yaml" else export_directory(entries, fmt, lang)
    return _write(content, args.out, lang)


def cmd_decisions(args) -> int:
    if args.action == "import":
        args.files = list(args.file)
        return cmd_import(args, kind="decisions")
    import yaml

    from knowledge.onboarding.export import DECISION_EXPORTED, decision_rows, export_decisions

    config, code = _config(args)
    if config is None:
        return code
    lang = args.lang or config.bot.default_language
    entries = asyncio.run(_decision_entries(config))
    fmt = _format(args)
    zone = ZoneInfo(config.bot.timezone)
    if fmt == "yaml":
        fields = [c.field for c in DECISION_EXPORTED]
        records = [{k: v for k, v in zip(fields, row) if v != ""} for row in decision_rows(entries, lang, zone)]
        content = yaml.safe_dump({"decisions": records}, allow_unicode=True, sort_keys=False).encode()
    else:
        content = export_decisions(entries, fmt, lang, zone)
    return _write(content, args.out, lang)


def add_import_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--dry-run", action="store_true", help="check and count, store nothing")
    p.add_argument("--skip-bad-rows", action="store_true", help="store the good rows, list the ones left out")
    p.add_argument("--map", type=Path, help="YAML file: column header as written -> field")
    p.add_argument("--lang", choices=["de", "en"], help="language of the answer (default: the configured one)")


def add_parsers(sub) -> None:
    imp = sub.add_parser("import", help="import directory, decisions and meetings (.xlsx, .csv, .ics, .yaml)")
    imp.add_argument("files", type=Path, nargs="*")
    add_import_options(imp)
    imp.add_argument("--kind", choices=["directory", "decisions"], help="what the table files hold (default: from the headers)")
    imp.add_argument("--handlungsfeld", help="Handlungsfeld the meetings of .ics files belong to (default: the network)")
    imp.set_defaults(func=cmd_import)
    for name, func, formats in (("directory", cmd_directory, ["yaml", "csv", "xlsx"]),
                                ("decisions", cmd_decisions, ["yaml", "csv", "xlsx"])):
        p = sub.add_parser(name, help=f"import or export the {name} (.xlsx, .csv, .yaml)")
        p.add_argument("action", choices=["import", "export"])
        p.add_argument("file", type=Path, nargs="*" if name == "decisions" else "?")
        add_import_options(p)
        p.add_argument("--format", choices=formats, help="export format (default: from --out, else yaml)")
        p.add_argument("--out", type=Path, help="export: write to this file instead of standard output")
        p.set_defaults(func=func)
