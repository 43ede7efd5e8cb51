"""Configuration: one YAML file, validated by pydantic models.

Every problem is collected and reported at once, each with its key path and a sentence a
person understands. Secrets never live in the file: it names the environment variables
that hold them.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

USER_ID = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:\d+)?$")
ROOM_REF = re.compile(r"^[#!][^:\s]+:[A-Za-z0-9.\-]+(:\d+)?$")
SERVER_NAME = re.compile(r"^[A-Za-z0-9.\-]+(:\d+)?$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every reason as 'key.path: sentence'."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_user_id(value: str) -> str:
    if not USER_ID.match(value):
        raise ValueError(f"must look like @name:server, e.g. @lotse:example.org (got {value!r})")
    return value


def _check_room(value: str) -> str:
    if not ROOM_REF.match(value):
        raise ValueError(
            f"must be a room alias like #name:server or a room id like !abc:server (got {value!r})"
        )
    return value


UserId = Annotated[str, AfterValidator(_check_user_id)]
RoomRef = Annotated[str, AfterValidator(_check_room)]


class MatrixSettings(_Model):
    homeserver: str = Field(description="Base URL of the homeserver")
    user_id: UserId
    device_name: str = "Lotse"
    password_env: str = "LOTSE_PASSWORD"
    access_token_env: str = "LOTSE_ACCESS_TOKEN"

    @field_validator("homeserver")
    @classmethod
    def _homeserver(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", value):
            raise ValueError(f"must be a URL starting with https:// or http:// (got {value!r})")
        return value.rstrip("/")

    @field_validator("password_env", "access_token_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not ENV_NAME.match(value):
            raise ValueError(f"must be the name of an environment variable, e.g. LOTSE_PASSWORD (got {value!r})")
        return value


class StorageSettings(_Model):
    data_dir: Path
    database_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", value):
            raise ValueError("must start with sqlite:/// or postgresql:// (leave it out for the SQLite default)")
        return value


class BotSettings(_Model):
    command_prefix: str = "!"
    default_language: Literal["de", "en"] = "de"
    timezone: str = "Europe/Berlin"
    catch_up_minutes: int = Field(default=15, ge=0, le=24 * 60)
    # Per person: at most flood_limit commands in flood_window_seconds, then one notice and a pause.
    flood_limit: int = Field(default=10, ge=1, le=10_000)
    flood_window_seconds: int = Field(default=10, ge=1, le=3600)

    @field_validator("command_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value or len(value) > 3 or any(c.isspace() or c.isalnum() for c in value):
            raise ValueError("must be one to three punctuation characters, e.g. !")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"is not a known time zone, e.g. Europe/Berlin (got {value!r})") from None
        return value


WEEKDAY_CODES = {
    "montag": "MO", "monday": "MO", "dienstag": "TU", "tuesday": "TU", "mittwoch": "WE", "wednesday": "WE",
    "donnerstag": "TH", "thursday": "TH", "freitag": "FR", "friday": "FR", "samstag": "SA", "saturday": "SA",
    "sonntag": "SU", "sunday": "SU",
}


def _check_weekday(value: str) -> str:
    if value.lower() not in WEEKDAY_CODES:
        raise ValueError(f"must be a weekday like monday or montag (got {value!r})")
    return value.lower()


def _check_time(value: str) -> str:
    if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", value):
        raise ValueError(f"must be a time like 08:00 (got {value!r})")
    return value


class DigestSchedule(_Model):
    enabled: bool = True
    weekday: Annotated[str, AfterValidator(_check_weekday)] = "monday"
    time: Annotated[str, AfterValidator(_check_time)] = "08:00"


class Handlungsfeld(_Model):
    id: str
    name_de: str
    name_en: str
    room: RoomRef
    topics: tuple[str, ...] = ()
    lik: tuple[str, ...] = ()
    coordinators: tuple[UserId, ...] = ()
    digest: DigestSchedule | None = None  # overrides digests.schedule for this room

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.match(r"^[a-z0-9][a-z0-9\-_]*$", value):
            raise ValueError("must use lower-case letters, digits and hyphens, e.g. hf-gesundheit")
        return value


class NetworkSettings(_Model):
    name: str
    coordination_room: RoomRef
    handlungsfelder: tuple[Handlungsfeld, ...] = ()
    privacy_contact: str = ""

    @model_validator(mode="after")
    def _unique(self) -> NetworkSettings:
        seen: set[str] = set()
        for hf in self.handlungsfelder:
            if hf.id in seen:
                raise ValueError(f"Handlungsfeld id {hf.id!r} appears twice; every id must be unique")
            seen.add(hf.id)
        return self


class AccessSettings(_Model):
    coordinators: tuple[UserId, ...] = ()
    admins: tuple[UserId, ...] = ()
    allowed_servers: tuple[str, ...] = ()
    allowed_users: tuple[UserId, ...] = ()

    @field_validator("allowed_servers")
    @classmethod
    def _servers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for server in value:
            if not SERVER_NAME.match(server):
                raise ValueError(f"must be server names like example.org (got {server!r})")
        return value


DEFAULT_SYNONYMS = Path(__file__).resolve().parent.parent / "config" / "synonyms.yaml"


class DirectorySettings(_Model):
    # Synonym tables for "who handles …?"; later files extend earlier ones.
    synonyms: tuple[Path, ...] = (DEFAULT_SYNONYMS,)
    reconfirm_months: int = Field(default=6, ge=1, le=36)
    unconfirmed_after_days: int = Field(default=30, ge=1, le=365)
    funding_warning_weeks: int = Field(default=8, ge=1, le=52)
    question_retention_days: int = Field(default=90, ge=1, le=3650)
    check_time: str = "09:00"

    @field_validator("synonyms")
    @classmethod
    def _exists(cls, value: tuple[Path, ...]) -> tuple[Path, ...]:
        missing = [str(p) for p in value if not Path(p).is_file()]
        if missing:
            raise ValueError(f"file not found: {', '.join(missing)}")
        return value

    @field_validator("check_time")
    @classmethod
    def _time(cls, value: str) -> str:
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", value):
            raise ValueError("must be a time like 09:00")
        return value


class DigestSettings(_Model):
    schedule: DigestSchedule = DigestSchedule()
    # Post "nothing new this week" instead of staying silent when a week was empty.
    post_empty: bool = False
    network_rollup: bool = True


class MeetingSettings(_Model):
    # Minutes are first posted as a draft; the chair publishes them with !protokoll freigeben.
    minutes_approval: bool = False
    # A scheduled post more than this many seconds late says so ("verspätet").
    late_after_seconds: int = Field(default=300, ge=1, le=24 * 3600)


class EncryptionSettings(_Model):
    # Which devices of room members receive Lotse's room keys (and have key requests answered):
    # all of them (default), or only those their owner cross-signed.
    trust: Literal["all", "cross_signed"] = "all"
    # Create, upload and sign with cross-signing keys at start (2026 clients need it).
    cross_signing: bool = True
    # Optional: seal the cross-signing keys in the data directory with this passphrase.
    key_passphrase_env: str = "LOTSE_KEY_PASSPHRASE"
    # How long to wait for a missing room key before telling the sender (once per room and sender).
    undecryptable_wait_seconds: int = Field(default=30, ge=0, le=3600)

    @field_validator("key_passphrase_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not ENV_NAME.match(value):
            raise ValueError(f"must be the name of an environment variable, e.g. LOTSE_KEY_PASSPHRASE (got {value!r})")
        return value


class LotseConfig(_Model):
    matrix: MatrixSettings
    storage: StorageSettings
    bot: BotSettings = BotSettings()
    network: NetworkSettings
    access: AccessSettings = AccessSettings()
    directory: DirectorySettings = DirectorySettings()
    meetings: MeetingSettings = MeetingSettings()
    digests: DigestSettings = DigestSettings()
    encryption: EncryptionSettings = EncryptionSettings()

    @property
    def database_url(self) -> str:
        return self.storage.database_url or f"sqlite:///{self.storage.data_dir / 'lotse.db'}"

    def secret(self, env_name: str) -> str | None:
        return os.environ.get(env_name) or None

    def room_refs(self) -> list[str]:
        """Every room Lotse should be in: the coordination room and one per Handlungsfeld."""
        refs = [self.network.coordination_room]
        refs += [hf.room for hf in self.network.handlungsfelder if hf.room not in refs]
        return refs


_PYDANTIC_MESSAGES = {
    "missing": "is required but missing",
    "extra_forbidden": "is not a known setting; check the spelling or remove it",
    "string_type": "must be text",
    "path_type": "must be a path (text), e.g. /var/lib/lotse",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "tuple_type": "must be a list (one '- item' per line, or [a, b])",
    "list_type": "must be a list (one '- item' per line, or [a, b])",
    "dict_type": "must be a section of 'key: value' lines",
    "model_type": "must be a section of 'key: value' lines",
    "model_attributes_type": "must be a section of 'key: value' lines",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "literal_error": "must be {expected}",
}


def _describe(error: dict) -> str:
    """One problem as 'key.path: a sentence a person understands' (never pydantic's own words)."""
    path = ".".join(str(part) for part in error["loc"]) or "(top level)"
    template = _PYDANTIC_MESSAGES.get(error["type"])
    if template:
        message = template.format(**(error.get("ctx") or {}))
    elif error["type"] == "value_error":
        message = error["msg"].removeprefix("Value error, ")
    else:
        message = "has a value that cannot be used here; see config/lotse.example.yaml"
    return f"{path}: {message}"


# What PyYAML's problem descriptions mean, for people who do not know YAML's grammar.
_YAML_PROBLEMS = (
    ("found character '@' that cannot start", "a value starting with @ must be in quotes, e.g. \"@lotse:example.org\""),
    ("found character '`' that cannot start", "a value starting with ` must be in quotes"),
    ("cannot start any token", "there is a tab or a character YAML does not allow here; indent with spaces only"),
    ("mapping values are not allowed", "there is a colon where none is expected; put text that contains ': ' in quotes, "
                                       "or check the indentation of this line"),
    ("could not find expected ':'", "a line is missing its 'key: value' colon, or a quote is not closed"),
    ("did not find expected key", "the indentation of this line does not fit the lines above"),
    ("expected <block end>", "the indentation of this line does not fit the lines above"),
    ("',' or ']'", "a list in [brackets] is not closed with ]"),
    ("',' or '}'", "a section in {braces} is not closed with }"),
    ("expected '<document start>'", "the indentation of this line does not fit the lines above"),
    ("found unexpected end of stream", "a quote is not closed"),
    ("escape", "a backslash in \"double quotes\"; use 'single quotes' or write \\\\"),
    ("found undefined alias", "a '*' starts a word; put that text in quotes"),
    ("expected alphabetic or numeric character", "a '*' or '&' starts a word; put that text in quotes"),
    ("found duplicate", "a key or anchor appears twice"),
)


def describe_yaml_error(path: Path | str, text: str, exc: yaml.YAMLError) -> str:
    """'FILE: line N (the line): what is wrong, in plain words' for a file PyYAML cannot read."""
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    found = problem + " " + context
    mark = getattr(exc, "problem_mark", None)
    if mark is None or "end of stream" in problem or "<stream end>" in problem:
        # Something was left open at the end of the file: show where it was opened.
        mark = getattr(exc, "context_mark", None) or mark
    what = next((sentence for key, sentence in _YAML_PROBLEMS if key in found), None)
    if what is None:
        what = "the file is not valid YAML here; check quotes, colons and the indentation (spaces only)"
    if mark is None:
        return f"{path}: is not valid YAML: {what}"
    lines = text.splitlines()
    shown = lines[mark.line].strip() if mark.line < len(lines) else ""
    shown = f' ("{shown[:60]}")' if shown else ""
    return f"{path}: is not valid YAML at line {mark.line + 1}, column {mark.column + 1}{shown}: {what}"


def _server(identifier: str) -> str:
    """The server part of @user:server, #alias:server or !room:server."""
    return identifier.partition(":")[2]


def _elsewhere(items: list[tuple[str, str]], own: str, what: str, consequence: str) -> list[str]:
    """One warning per foreign server, naming the first few keys and ids found there."""
    by_server: dict[str, list[tuple[str, str]]] = {}
    for key, identifier in items:
        if _server(identifier) != own:
            by_server.setdefault(_server(identifier), []).append((key, identifier))
    warnings = []
    for server, found in by_server.items():
        keys = list(dict.fromkeys(key for key, _ in found))
        shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
        ids = ", ".join(identifier for _, identifier in found[:2]) + (", …" if len(found) > 2 else "")
        warnings.append(f"{shown}: {len(found)} {what} on {server} ({ids}), Lotse is on {own}; {consequence}")
    return warnings


_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def config_warnings(config: LotseConfig) -> list[str]:
    """Settings that are valid but probably not meant: 'key.path: sentence' each.

    Rooms and coordinators on another server than Lotse's own work only where the servers
    federate; an `allowed_servers` list without Lotse's own server keeps its own people from
    inviting it; a homeserver URL whose host has nothing to do with the server name often
    points at the wrong server (delegation via .well-known is possible, hence a warning).
    """
    own = _server(config.matrix.user_id)
    warnings = []
    host = re.sub(r"^https?://", "", config.matrix.homeserver).split("/")[0]
    hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    own_name = own.rsplit(":", 1)[0]
    if hostname not in _LOOPBACK_HOSTS and hostname != own_name and not hostname.endswith("." + own_name):
        warnings.append(
            f"matrix.homeserver: {config.matrix.homeserver} does not look like the homeserver of {own} "
            f"(the server in matrix.user_id); check that this URL serves {own}"
        )
    rooms = [("network.coordination_room", config.network.coordination_room)]
    rooms += [(f"network.handlungsfelder.{i}.room", hf.room) for i, hf in enumerate(config.network.handlungsfelder)]
    warnings += _elsewhere(rooms, own, "room(s)", "Lotse can join them only if the servers federate")
    people = [("access.coordinators", user) for user in config.access.coordinators]
    people += [("access.admins", user) for user in config.access.admins]
    people += [(f"network.handlungsfelder.{i}.coordinators", user)
               for i, hf in enumerate(config.network.handlungsfelder) for user in hf.coordinators]
    warnings += _elsewhere(people, own, "coordinator(s) or admin(s)", "they reach Lotse only if the servers federate")
    allowed = config.access.allowed_servers
    if allowed and own not in allowed:
        warnings.append(f"access.allowed_servers: does not include Lotse's own server {own}, "
                        f"so nobody on {own} can invite Lotse; add {own}")
    return warnings


def parse_config(data: object, source: str = "config") -> LotseConfig:
    if not isinstance(data, dict):
        raise ConfigError([f"{source}: must be a YAML mapping with the sections matrix, storage, network"])
    try:
        return LotseConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_describe(e) for e in exc.errors()]) from None


def load_config(path: Path | str) -> LotseConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read ({exc.strerror})"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([describe_yaml_error(path, text, exc)]) from None
    return parse_config(data, str(path))
