"""`cycsrv serve` settings from the command line, `CYCSRV_*` environment variables and a TOML
file, merged in that order of precedence (CLI > environment > file > defaults).

Every setting has one name: `--max-message-size` on the command line, `CYCSRV_MAX_MESSAGE_SIZE`
in the environment, `max_message_size` in the file. Lists (actions, origins) are TOML arrays,
or shell words in the environment (`CYCSRV_REPEATING_ACTIONS="table_data table=Transactions"`).
"""

from __future__ import annotations

import argparse
import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

ENV_PREFIX = "CYCSRV_"


class ConfigError(Exception):
    """A setting that cannot be used; the message names it and where it came from."""


@attrs.frozen
class Setting:
    """One `serve` setting: its name, value type and default."""

    name: str
    kind: type
    default: Any = None
    many: bool = False

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("input", str),
    Setting("output", str),
    Setting("host", str, "127.0.0.1"),
    Setting("port", int, 4242),
    Setting("repeating_actions", str, (), many=True),
    Setting("initial_actions", str, (), many=True),
    Setting("heartbeat", float, 5.0),
    Setting("http_port", int),
    Setting("no_dashboard", bool, False),
    Setting("max_message_size", int, 1 << 20),
    Setting("log_level", str, "INFO"),
    Setting("log_format", str, "text"),
    Setting("log_file", str),
    Setting("token_file", str),
    Setting("allow_origin", str, (), many=True),
    Setting("certfile", str),
    Setting("keyfile", str),
    Setting("rate_limit", float, 0.0),
    Setting("rate_burst", int),
    Setting("client_timeout", float, 30.0),
)
BY_NAME = {s.name: s for s in SETTINGS}
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _from_text(setting: Setting, text: str, where: str) -> Any:
    if setting.many:
        return tuple(shlex.split(text))
    if setting.kind is bool:
        if text.strip().lower() in TRUE | FALSE:
            return text.strip().lower() in TRUE
        raise ConfigError(f"{where}: expected true or false, got {text!r}")
    try:
        return setting.kind(text)
    except ValueError:
        raise ConfigError(f"{where}: expected {setting.kind.__name__}, got {text!r}") from None


def _from_toml(setting: Setting, value: Any, where: str) -> Any:
    if setting.many:
        if isinstance(value, str):
            return tuple(shlex.split(value))
        if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            return tuple(str(v) for v in value)
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    if setting.kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not setting.kind:
        raise ConfigError(f"{where}: expected {setting.kind.__name__}, got {value!r}")
    return value


def read_config_file(path: str) -> dict[str, Any]:
    """The settings of a TOML file (top level or a `[serve]` table); unknown keys are errors."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    data = data.get("serve", data)
    values = {}
    for key, value in data.items():
        setting = BY_NAME.get(key.replace("-", "_"))
        if setting is None:
            raise ConfigError(f"config file {path}: unknown key {key!r}")
        values[setting.name] = _from_toml(setting, value, f"config file {path}: key {key!r}")
    return values


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given as `CYCSRV_*` variables; an unknown `CYCSRV_` name is an error."""
    values = {}
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        setting = BY_NAME.get(name[len(ENV_PREFIX):].lower())
        if setting is None:
            raise ConfigError(f"environment variable {name}: not a cycsrv serve setting")
        values[setting.name] = _from_text(setting, text, f"environment variable {name}")
    return values


def merge_settings(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, Any]:
    """Every setting's value: the command line, else the environment, else `--config` (or
    `$CYCSRV_CONFIG`), else the default. `args` holds None for options not given."""
    config = getattr(args, "config", None) or environ.get(ENV_PREFIX + "CONFIG")
    from_file = read_config_file(config) if config else {}
    from_env = read_environment(environ)
    merged = {}
    for setting in SETTINGS:
        value = getattr(args, setting.name, None)
        if value is None or (setting.many and not value) or (setting.kind is bool and not value):
            value = from_env.get(setting.name, from_file.get(setting.name, setting.default))
        elif setting.many:
            value = tuple(value)
        merged[setting.name] = value
    return merged
