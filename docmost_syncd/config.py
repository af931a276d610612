"""Configuration: a TOML file plus ``DOCMOST_SYNCD_<SECTION>__<KEY>`` environment overrides.

The file is read with tomllib and handed to pydantic-settings as init values; the sources are
ordered so that environment variables win over the file. Every problem is reported at once, one
line per key, naming the key, where the value came from and why it is wrong.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from docmost_syncd.errors import ConfigError

ENV_PREFIX = "DOCMOST_SYNCD_"
CONFIG_ENV = "DOCMOST_SYNCD_CONFIG"
CREDENTIAL_NAME = "docmost-password"

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value: object) -> float:
    """Seconds from ``90``, ``"45s"``, ``"30m"``, ``"1h30m"``, ``"2d"``."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration like 30m, 1h30m")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value!r} is negative; a duration is like 30m, 1h30m")
        return float(value)
    text = str(value).strip().replace(" ", "")
    match = _DURATION.match(text)
    if not text or match is None:
        raise ValueError(f'"{value}" is not a duration like 30m, 1h30m')
    days, hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def format_duration(seconds: float) -> str:
    """The inverse of parse_duration for whole seconds, for check-config output."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if secs else "")
    return text or "0s"


Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _http_url(key: str, value: str) -> str:
    url = value.rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise ValueError(f'{key} "{value}" is not an http(s) URL like https://docmost.example.com')
    return url


class DocmostSettings(_Section):
    url: str | None = None
    # The address readers open Docmost at, for the pages' Docmost links (default: url, which is
    # where docmost-syncd connects, and may be a name only its own network resolves)
    public_url: str | None = None
    email: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None
    api_token: SecretStr | None = None
    timeout_seconds: float = Field(default=60.0, gt=0)
    verify_tls: bool = True
    ca_bundle: Path | None = None
    retries: int = Field(default=4, ge=0, le=10)
    # requests in flight to Docmost at once, over every space (its server is someone's wiki)
    max_parallel_requests: int = Field(default=4, ge=1, le=32)
    # largest attachment downloaded; `export_max_bytes` is its name from the export-based releases
    max_file_bytes: int = Field(
        default=4 * 1024**3, gt=0, validation_alias=AliasChoices("max_file_bytes", "export_max_bytes")
    )
    login_max_wait_seconds: float = Field(default=120.0, ge=0)

    @field_validator("password", "api_token")
    @classmethod
    def _not_empty(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and not secret.get_secret_value().strip():
            raise ValueError("empty; leave the key out, or give the secret")
        return secret

    @model_validator(mode="after")
    def _check_url(self) -> DocmostSettings:
        if self.url is not None:
            self.url = _http_url("url", self.url)
        if self.public_url is not None:
            self.public_url = _http_url("public_url", self.public_url)
        return self


class OutputSettings(_Section):
    dir: Path | None = None
    fsync_files: bool = False
    # "text": formulas as code, builds on any Docusaurus site; "katex": $…$ for remark-math + rehype-katex
    math: Literal["text", "katex"] = "text"
    # front matter: last_update.author (who changed a page last), custom_edit_url (back to Docmost):
    # "editor" (the page in Docmost's editor, for a team's own site), "share" (Docmost's public page
    # of the page's share, sync.publish = "shared" only), "none"; true: the publish mode's default
    # ("share" for "shared", else "editor"), false: "none"
    authors: bool = True
    edit_links: bool | Literal["editor", "share", "none"] = True

    @field_validator("dir")
    @classmethod
    def _a_folder(cls, value: Path | None) -> Path | None:
        if value is not None and value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file, not a folder (name a folder; a missing one is made)")
        return value


class SyncSettings(_Section):
    interval: Duration | None = None
    cron: str | None = None
    timezone: str = "UTC"
    jitter: Duration = 0.0
    run_on_start: bool = True
    concurrency: int = Field(default=2, ge=1, le=32)
    spaces_include: list[str] = Field(default_factory=list)
    spaces_exclude: list[str] = Field(default_factory=list)
    prune_removed_spaces: bool = True
    # "all": every page the login can read; "shared": only what Docmost shares publicly
    publish: Literal["all", "shared"] = "all"
    # A run may remove at most this share of a space's published pages (and any number up to
    # removal_guard_pages); past that the space is not published until confirmed (--allow-removal).
    removal_guard: float = Field(default=0.5, gt=0, le=1)
    removal_guard_pages: int = Field(default=20, ge=0)
    max_failures: int | None = Field(default=None, ge=1)
    shutdown_deadline: Duration = 60.0
    misfire_grace: Duration = 300.0

    @model_validator(mode="after")
    def _one_schedule(self) -> SyncSettings:
        if self.interval is not None and self.cron is not None:
            raise ValueError("set either sync.interval or sync.cron, not both")
        if self.interval is not None and self.interval < 10:
            raise ValueError(f"interval {self.interval:g}s is shorter than 10s")
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError(f'cron "{self.cron}" is not a 5-field crontab expression like "*/30 * * * *"')
        return self

    @property
    def effective_interval(self) -> float | None:
        """Seconds between runs; None when a cron expression schedules them."""
        if self.cron is not None:
            return None
        return self.interval if self.interval is not None else 1800.0


class HttpSettings(_Section):
    bind: str = "127.0.0.1:9808"

    @model_validator(mode="after")
    def _check_bind(self) -> HttpSettings:
        if self.bind and not re.match(r"^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$", self.bind):
            raise ValueError(f'bind "{self.bind}" is not host:port like 127.0.0.1:9808 (empty disables)')
        return self


class LogSettings(_Section):
    format: Literal["json", "console", "auto"] = "auto"
    level: Literal["debug", "info", "warning", "error"] = "info"
    # stdout for a container, whose log collector reads stdout; stderr keeps pipes clean elsewhere.
    stream: Literal["stderr", "stdout"] = "stderr"


class HooksSettings(_Section):
    post_sync: list[str] = Field(default_factory=list)
    post_sync_timeout: Duration = 300.0


class LimitsSettings(_Section):
    """Caps applied to every export ZIP before anything from it is written."""

    max_entries: int = Field(default=200_000, gt=0)
    max_uncompressed_bytes: int = Field(default=20 * 1024**3, gt=0)
    max_compression_ratio: float = Field(default=250.0, gt=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    docmost: DocmostSettings = Field(default_factory=DocmostSettings)
    output: OutputSettings = Field(default_factory=OutputSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    hooks: HooksSettings = Field(default_factory=HooksSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    _from_environment: ClassVar[bool] = True  # see from_values

    @model_validator(mode="after")
    def _share_links_need_shares(self) -> Settings:
        if self.output.edit_links == "share" and self.sync.publish != "shared":
            raise ValueError('output.edit_links = "share" links each page to its public share: it needs sync.publish = "shared"')
        return self

    @property
    def edit_links(self) -> Literal["editor", "share", "none"]:
        """What each page's Docmost link opens (``output.edit_links`` with its default resolved)."""
        chosen = self.output.edit_links
        if chosen is True:
            return "share" if self.sync.publish == "shared" else "editor"
        return "none" if chosen is False else chosen

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init values; the environment overrides it.
        return (env_settings, init_settings) if cls._from_environment else (init_settings,)

    @classmethod
    def from_values(cls, **values: Any) -> Settings:
        """Settings from these values and the defaults alone, whatever ``DOCMOST_SYNCD_*``
        variables the environment holds (the demo: none of the user's settings apply to it)."""
        return _ValuesOnly(**values)

    @property
    def state_dir(self) -> Path:
        """Staging, state and lock live inside the output folder: same filesystem, hidden from Docusaurus."""
        if self.output.dir is None:
            raise ConfigError(["output.dir: missing; set it in the config file or DOCMOST_SYNCD_OUTPUT__DIR"])
        return self.output.dir / ".docmost-syncd"


class _ValuesOnly(Settings):
    """``Settings.from_values``: no source but the values given."""

    _from_environment: ClassVar[bool] = False


class LoadedConfig(BaseModel):
    """Settings plus what loading them noticed (warnings are logged once logging is set up)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings
    path: Path | None
    warnings: list[str]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found"]) from None
    except PermissionError:
        raise ConfigError([f"{path}: config file not readable (permission denied)"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None


def _unparsable_lists(error: SettingsError) -> list[str]:
    """The environment variables behind pydantic-settings' "error parsing value for field X":
    lists (spaces_include, post_sync, ...) come as JSON there. Only list keys are named, so
    that no secret's value is ever printed."""
    found = re.search(r'field "(\w+)"', str(error))
    section = found.group(1) if found else ""
    model = Settings.model_fields.get(section)
    problems = []
    if model is not None and isinstance(model.annotation, type):
        for name, field in model.annotation.model_fields.items():
            variable = f"{ENV_PREFIX}{section}__{name}".upper()
            value = os.environ.get(variable)
            if value is None or not str(field.annotation).startswith("list"):
                continue
            try:
                json.loads(value)
            except ValueError:
                problems.append(
                    f"{variable}: {value!r} is not a JSON list; write it like "
                    f'\'["eng", "sec-common"]\' (from environment)'
                )
    return problems or [f"{error} (from environment)"]


def _plain_type(field: FieldInfo) -> type | None:
    """bool, int or float for a field that holds exactly that (optional or not); None for others
    (durations take strings such as "30m", paths and text are strings)."""
    if any(isinstance(meta, BeforeValidator) for meta in field.metadata):
        return None
    annotation = field.annotation
    options = [arg for arg in get_args(annotation) if arg is not type(None)] or [annotation]
    return options[0] if len(options) == 1 and options[0] in (bool, int, float) else None


def _file_types(data: dict[str, Any], path: Path | None) -> list[str]:
    """A TOML file says what type a value is: a number is not a switch, "yes" is not true, "60"
    is not a number. (Environment variables are text and are read as pydantic reads them.)"""
    problems = []
    for section, values in data.items():
        field = Settings.model_fields.get(section)
        model = field.annotation if field is not None else None
        if not isinstance(values, dict) or not isinstance(model, type) or not issubclass(model, BaseModel):
            continue
        for key, value in values.items():
            kind = _plain_type(model.model_fields[key]) if key in model.model_fields else None
            if kind is None:
                continue
            if kind is bool and not isinstance(value, bool):
                problems.append(f"{section}.{key}: {value!r} is not true or false (from {path})")
            elif kind in (int, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
                problems.append(f"{section}.{key}: {value!r} is not a number (from {path})")
            elif kind is int and isinstance(value, float):
                problems.append(f"{section}.{key}: {value!r} is not a whole number (from {path})")
    return problems


def _describe(error: dict[str, Any], path: Path | None) -> str:
    loc = [str(part) for part in error["loc"]]
    key = ".".join(loc) if loc else "(config)"
    env_name = ENV_PREFIX + "__".join(loc).upper()
    origin = env_name if env_name in os.environ else (str(path) if path else "defaults")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "missing"
    elif not message.startswith(('"', "'")) and "password" not in key and "token" not in key:
        raw = error.get("input")
        if isinstance(raw, str | int | float | bool):
            message = f"{raw!r} is invalid: {message}"
    return f"{key}: {message} (from {origin})"


def _resolve_password(settings: Settings, problems: list[str]) -> None:
    """Password precedence: explicit value (file or env), then password_file, then systemd credential."""
    docmost = settings.docmost
    if docmost.password is not None:
        return
    candidates: list[tuple[str, Path]] = []
    if docmost.password_file is not None:
        candidates.append(("docmost.password_file", docmost.password_file))
    else:
        creds = os.environ.get("CREDENTIALS_DIRECTORY")
        if creds and (Path(creds) / CREDENTIAL_NAME).exists():
            candidates.append(("$CREDENTIALS_DIRECTORY", Path(creds) / CREDENTIAL_NAME))
    for key, file in candidates:
        try:
            secret = file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            problems.append(f"{key}: cannot read {file}: {exc.strerror or exc}")
            return
        if not secret:
            problems.append(f"{key}: {file} is empty")
            return
        docmost.password = SecretStr(secret)
        return


def load_config(path: Path | None = None) -> LoadedConfig:
    """Read the TOML file (or $DOCMOST_SYNCD_CONFIG), apply the environment, validate everything."""
    if path is None and os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV])
    data = _read_toml(path) if path is not None else {}
    warnings: list[str] = []
    wrong_types = _file_types(data, path)
    if wrong_types:
        raise ConfigError(wrong_types)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError([_describe(dict(err), path) for err in exc.errors()]) from None
    except SettingsError as exc:
        raise ConfigError(_unparsable_lists(exc)) from None
    problems: list[str] = []
    _resolve_password(settings, problems)
    if problems:
        raise ConfigError(problems)
    if path is not None and isinstance(data.get("docmost"), dict) and data["docmost"].get("password"):
        mode = path.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.append(
                f"{path} holds docmost.password and is readable by group or others "
                f"(mode {stat.filemode(mode)}); use password_file or LoadCredential, or chmod 600"
            )
    return LoadedConfig(settings=settings, path=path, warnings=warnings)


def require_server(settings: Settings, path: Path | None) -> None:
    """What a command that talks to Docmost needs; raises ConfigError naming every missing key."""
    origin = str(path) if path else "environment"
    problems: list[str] = []
    docmost = settings.docmost
    if not docmost.url:
        problems.append(f"docmost.url: missing (from {origin})")
    if docmost.api_token is None:
        if not docmost.email:
            problems.append(
                f"docmost.email: missing; needed to log in unless docmost.api_token is set (from {origin})"
            )
        if docmost.password is None:
            problems.append(
                "docmost.password: missing; give password_file, $CREDENTIALS_DIRECTORY/docmost-password "
                f"or DOCMOST_SYNCD_DOCMOST__PASSWORD (from {origin})"
            )
    if settings.output.dir is None:
        problems.append(f"output.dir: missing (from {origin})")
    if docmost.ca_bundle is not None and not docmost.ca_bundle.is_file():
        problems.append(f"docmost.ca_bundle: {docmost.ca_bundle} is not a file (from {origin})")
    if problems:
        raise ConfigError(problems)


def effective_config(settings: Settings) -> dict[str, Any]:
    """The configuration as check-config prints it: secrets masked, durations readable."""
    data = settings.model_dump(mode="json")
    for key in ("password", "api_token"):
        if data["docmost"].get(key) is not None:
            data["docmost"][key] = "**********"
    for section, keys in {
        "sync": ("interval", "jitter", "shutdown_deadline", "misfire_grace"),
        "hooks": ("post_sync_timeout",),
    }.items():
        for key in keys:
            if data[section].get(key) is not None:
                data[section][key] = format_duration(data[section][key])
    if data["sync"]["interval"] is None and data["sync"]["cron"] is None:
        data["sync"]["interval"] = format_duration(1800)
    return data
