"""The `lotse` command line.

    lotse run --config FILE            run the bot
    lotse check-config FILE            validate a config file, report every problem
    lotse init --homeserver URL ...    print a starter config (YAML) to stdout
    lotse health --config FILE         exit 0 if the bot synced recently (container health check)
    lotse import FILE... --config FILE [--dry-run] [--skip-bad-rows] [--map FILE] [--lang de|en]
                                       import directory (.xlsx/.csv), decisions (.xlsx/.csv/.yaml),
                                       meetings (.ics) and network files, all or nothing (bot/onboarding.py)
    lotse directory import|export ...  the directory alone; export --format yaml|csv|xlsx [--out FILE]
    lotse directory vocabulary --config FILE    the vocabulary coordinators taught (!zuordnen), as YAML
    lotse decisions import|export ...  decisions and agreements alone; export --format yaml|csv|xlsx
    lotse export ics --config FILE [--out FILE]    all meetings as an iCalendar file
    lotse report --config FILE --out DIR [--handlungsfeld ID ...] [--period "Q3 2026"] [--public]
    lotse publish --config FILE --out DIR    the static public transparency site
    lotse crypto status|bootstrap [--reset]|restore --config FILE    cross-signing of Lotse's device

Config problems exit with code 2 and a readable list, never a traceback.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from pathlib import Path

from bot.config import ConfigError, config_warnings, load_config
from bot.starter import StarterError, starter_config

EXIT_CONFIG = 2
NO_SECRET = ("no password or access token: set the environment variable {password} (Lotse's password) "
             "or {token} (an access token) and try again")


def _report(exc: ConfigError) -> int:
    print("The configuration has problems:", file=sys.stderr)
    for problem in exc.problems:
        print(f"  - {problem}", file=sys.stderr)
    return EXIT_CONFIG


def cmd_check(args) -> int:
    try:
        config = load_config(args.file)
    except ConfigError as exc:
        return _report(exc)
    warnings = config_warnings(config)
    if warnings:
        print("Warnings (the configuration can be used, but check these):", file=sys.stderr)
        for warning in warnings:
            print(f"  - {warning}", file=sys.stderr)
    print(f"{args.file}: OK ({len(config.network.handlungsfelder)} Handlungsfelder, {len(config.room_refs())} rooms"
          f"{f', {len(warnings)} warning(s)' if warnings else ''})")
    return 0


def _missing_secret(config) -> str | None:
    """The sentence for a first start without a password or access token in the environment."""
    if (config.storage.data_dir / "session.json").exists():
        return None  # a stored device needs neither
    if config.secret(config.matrix.password_env) or config.secret(config.matrix.access_token_env):
        return None
    return NO_SECRET.format(password=config.matrix.password_env, token=config.matrix.access_token_env)


def cmd_init(args) -> int:
    try:
        print(starter_config(args.homeserver, args.user_id, args.data_dir, args.network, args.allow_server, args.password_env), end="")
    except StarterError as exc:
        print(f"lotse init: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


def configure_logging(level: str) -> None:
    """Production logging. Lotse's own lines name command words and ids, never message text;
    nio would log event contents at debug level, so it is held at warnings."""
    logging.basicConfig(level=getattr(logging, level), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("nio").setLevel(logging.WARNING)
    for noisy in ("alembic", "apscheduler", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def cmd_run(args) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _report(exc)
    missing = _missing_secret(config)
    if missing:
        print(f"lotse run: {missing}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(args.log_level)
    for warning in config_warnings(config):
        logging.getLogger("bot").warning("configuration: %s", warning)
    from bot.app import serve
    from bot.matrix import MatrixError

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(config, stop)

    try:
        asyncio.run(main())
    except MatrixError as exc:
        login = _login_problem(config, exc)
        if login is None:
            raise
        print(f"lotse run: {login}", file=sys.stderr)
        return 1
    return 0


def _login_problem(config, exc) -> str | None:
    """A readable sentence for a login the homeserver refused, or None for other errors."""
    if exc.errcode == "M_MISSING_TOKEN":
        return NO_SECRET.format(password=config.matrix.password_env, token=config.matrix.access_token_env)
    if exc.errcode in ("M_FORBIDDEN", "M_UNKNOWN_TOKEN", "M_USER_DEACTIVATED"):
        return (f"the homeserver refused the login of {config.matrix.user_id} ({exc.errcode}); check "
                f"{config.matrix.password_env} or {config.matrix.access_token_env}")
    return None


def cmd_health(args) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _report(exc)
    from bot.app import HEARTBEAT_FILE

    beat = config.storage.data_dir / HEARTBEAT_FILE
    age = time.time() - beat.stat().st_mtime if beat.exists() else None
    if age is None or age > args.max_age:
        print("unhealthy: no recent sync", file=sys.stderr)
        return 1
    print(f"healthy: last sync {age:.0f} s ago")
    return 0


async def with_stores(config, action):
    """Open the configured database, run `action(register, meetings, directory)`, close it."""
    from knowledge.directory.service import DirectoryService
    from knowledge.directory.synonyms import SynonymTable
    from knowledge.storage import Database, DirectoryRepository, MeetingRepository, RegisterRepository

    db = Database(config.database_url)
    await db.open()
    try:
        directory = DirectoryService(DirectoryRepository(db), SynonymTable.load(*config.directory.synonyms))
        await directory.load()
        return await action(RegisterRepository(db), MeetingRepository(db), directory)
    finally:
        await db.close()


async def run_import(config, file: Path):
    """Import a network file (directory, decisions, links, meetings); the demo and tests call this."""
    from bot.onboarding import run_import as run

    return await run(config, file)


async def run_directory_import(config, file: Path) -> int:
    from bot.onboarding import run_directory_import as run

    return await run(config, file)


def cmd_export(args) -> int:
    from knowledge.meetings.ics import ics_calendar

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _report(exc)

    async def action(register, meetings, directory):
        return await meetings.meetings()

    content = ics_calendar(asyncio.run(with_stores(config, action)))
    if args.out:
        args.out.write_bytes(content)
        print(f"wrote {args.out}")
    else:
        sys.stdout.buffer.write(content)
    return 0


def cmd_report(args) -> int:
    from bot.app import utcnow
    from commands.i18n import report_labels
    from knowledge.publishing.report import PeriodError, build_report, parse_period, write_all

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _report(exc)
    known = {hf.id: hf.name_de for hf in config.network.handlungsfelder}
    unknown = [h for h in args.handlungsfeld if h not in known]
    if unknown:
        print(f"lotse report: unknown Handlungsfeld {', '.join(unknown)}; known: {', '.join(sorted(known))}", file=sys.stderr)
        return EXIT_CONFIG
    now = utcnow()
    try:
        start, end = parse_period(args.period, now.date())
    except PeriodError:
        print(f"lotse report: cannot read the period {args.period!r} (e.g. 2026, 'Q3 2026', 'seit 1.1.2026')", file=sys.stderr)
        return EXIT_CONFIG

    async def action(register, meetings, directory):
        return await build_report(network=config.network.name, register=register, meetings=meetings,
                                  handlungsfelder=args.handlungsfeld or sorted(known), start=start, end=end, now=now,
                                  public_only=args.public)

    built = asyncio.run(with_stores(config, action))
    for path in write_all(built, known, args.out, report_labels(config.bot.default_language)):
        print(f"wrote {path}")
    return 0


def cmd_publish(args) -> int:
    from bot.app import utcnow
    from knowledge.meetings.ics import ics_calendar
    from knowledge.publishing.site import public_meetings, publish

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _report(exc)

    async def action(register, meetings, directory):
        ics = ics_calendar(public_meetings(await meetings.meetings()))
        return await publish(out=args.out, network=config.network.name,
                             handlungsfelder=[(hf.id, hf.name_de, hf.lik) for hf in config.network.handlungsfelder],
                             register=register, meetings=meetings, roles=directory.all(), now=utcnow(),
                             timezone=config.bot.timezone, ics=ics)

    for path in asyncio.run(with_stores(config, action)):
        print(f"wrote {path}")
    return 0


async def run_crypto(config, action: str, reset: bool, recovery_key: str | None) -> int:
    from bot.crosssigning import CrossSigningError
    from bot.encryption import bootstrap, cross_signing_for
    from bot.matrix import HomeserverUnavailable, MatrixClient, MatrixError

    client = MatrixClient(config.matrix.homeserver, config.matrix.user_id, config.matrix.device_name,
                          config.storage.data_dir)
    password = config.secret(config.matrix.password_env)
    try:
        await client.login(password, config.secret(config.matrix.access_token_env))
        await client.upload_device_keys()
        cross_signing = cross_signing_for(client, config.encryption, config.secret, password)
        if action == "status":
            status = await cross_signing.status()
            print("\n".join(status.lines()))
            return 0 if status.cross_signed else 1
        if action == "bootstrap":
            return 0 if await bootstrap(cross_signing, reset=reset) else 1
        await cross_signing.restore(recovery_key or "")
        print(f"restored the cross-signing keys; device {client.device_id} is cross-signed")
        return 0
    except CrossSigningError as exc:
        print(f"lotse crypto {action}: {exc}", file=sys.stderr)
        return 1
    except MatrixError as exc:
        login = _login_problem(config, exc)
        print(f"lotse crypto {action}: {login or f'the homeserver could not be used ({exc})'}", file=sys.stderr)
        return 1
    except HomeserverUnavailable as exc:
        print(f"lotse crypto {action}: the homeserver {config.matrix.homeserver} could not be reached ({exc})",
              file=sys.stderr)
        return 1
    finally:
        await client.close()


def cmd_crypto(args) -> int:
    import getpass
    import os

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _report(exc)
    missing = _missing_secret(config)
    if missing:
        print(f"lotse crypto {args.action}: {missing}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging("WARNING")
    recovery_key = None
    if args.action == "restore":
        recovery_key = os.environ.get("LOTSE_RECOVERY_KEY") or (
            getpass.getpass("Recovery key: ") if sys.stdin.isatty() else sys.stdin.readline())
    return asyncio.run(run_crypto(config, args.action, args.reset, recovery_key))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lotse", description="Lotse, the Matrix bot for integration networks")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot")
    run.add_argument("--config", required=True, type=Path)
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run.set_defaults(func=cmd_run)
    check = sub.add_parser("check-config", help="validate a config file")
    check.add_argument("file", type=Path)
    check.set_defaults(func=cmd_check)
    init = sub.add_parser("init", help="print a starter config to stdout")
    init.add_argument("--homeserver", required=True)
    init.add_argument("--user-id", required=True)
    init.add_argument("--data-dir", required=True, type=Path)
    init.add_argument("--network", type=Path, help="network description (like config/demo-network.yaml)")
    init.add_argument("--allow-server", action="append", default=[], help="homeserver allowed to invite Lotse")
    init.add_argument("--password-env", default="LOTSE_PASSWORD", help="environment variable holding the password")
    init.set_defaults(func=cmd_init)
    health = sub.add_parser("health", help="exit 0 if the bot synced recently")
    health.add_argument("--config", required=True, type=Path)
    health.add_argument("--max-age", type=float, default=120.0, help="seconds")
    health.set_defaults(func=cmd_health)
    from bot.onboarding import add_parsers

    add_parsers(sub)
    export = sub.add_parser("export", help="export data: ics (all meetings)")
    export.add_argument("what", choices=["ics"])
    export.add_argument("--config", required=True, type=Path)
    export.add_argument("--out", type=Path)
    export.set_defaults(func=cmd_export)
    report = sub.add_parser("report", help="LIK report as Markdown, HTML, CSV and JSON")
    report.add_argument("--config", required=True, type=Path)
    report.add_argument("--out", required=True, type=Path)
    report.add_argument("--handlungsfeld", action="append", default=[])
    report.add_argument("--period", default="", help="2026, 'Q3 2026', 'seit 1.1.2026', '1.1.2026-30.6.2026'")
    report.add_argument("--public", action="store_true", help="only entries marked public")
    report.set_defaults(func=cmd_report)
    publish = sub.add_parser("publish", help="build the public transparency site")
    publish.add_argument("--config", required=True, type=Path)
    publish.add_argument("--out", required=True, type=Path)
    publish.set_defaults(func=cmd_publish)
    crypto = sub.add_parser("crypto", help="cross-signing: status, bootstrap, restore (recovery key)")
    crypto.add_argument("action", choices=["status", "bootstrap", "restore"])
    crypto.add_argument("--config", required=True, type=Path)
    crypto.add_argument("--reset", action="store_true", help="bootstrap: replace existing keys with new ones")
    crypto.set_defaults(func=cmd_crypto)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were installed: no traceback
        return 130


if __name__ == "__main__":
    sys.exit(main())
