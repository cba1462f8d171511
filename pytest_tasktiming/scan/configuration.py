"""The scan's settings: ``[tool.tasktiming.scan]`` in pyproject.toml, then the command line.

The table is read from the nearest ``pyproject.toml`` that has one, looking from the
directory that holds every scanned path upwards (as pytest finds its rootdir). Its paths are
relative to that file's directory::

    [tool.tasktiming.scan]
    max = "2h"                                    # the limit, as --max
    exclude = ["tests/fixtures", "*_pb2.py"]      # not scanned
    per-file-ignores = { "tests/*" = ["TT003"] }  # codes not reported there
    [tool.tasktiming.scan.calls]                  # more calls with a timeout
    "mylib.run_job" = { unit = "min", position = 1, keyword = "limit" }
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .._durations import parse_seconds
from .apis import UNITS, Api
from .findings import RULES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself requires tomli on Python 3.10, so it is always there
    import tomli as tomllib

DEFAULT_LIMIT = 3600.0
_TABLE = "[tool.tasktiming.scan]"
_KEYS = ("max", "exclude", "per-file-ignores", "calls")


class ConfigError(ValueError):
    """A bad value in ``[tool.tasktiming.scan]`` or in ``--select``/``--ignore``."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a scan needs besides the paths."""

    limit: float = DEFAULT_LIMIT
    base: str = "."
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    calls: tuple[Api, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    force_exclude: bool = False

    def reports(self, code: str, path: str) -> bool:
        """True when a finding with ``code`` in ``path`` is reported."""
        if self.select and not code.startswith(self.select):
            return False
        if code.startswith(self.ignore):
            return False
        if not self.per_file_ignores:
            return True
        relative = os.path.relpath(os.path.abspath(path), self.base).replace(os.sep, "/")
        return not any(
            fnmatch.fnmatchcase(relative, pattern) and code.startswith(codes)
            for pattern, codes in self.per_file_ignores
        )


def codes(text: str, option: str) -> tuple[str, ...]:
    """``TT001,TT9`` as a tuple of codes or code prefixes, each checked against the rules."""
    found = tuple(code.strip().upper() for code in text.split(",") if code.strip())
    for code in found:
        if not any(rule.startswith(code) for rule in RULES) or not code.startswith("TT"):
            known = ", ".join(RULES)
            raise ConfigError(f"{option}: unknown rule code {code!r}; the codes are {known}")
    return found


def settings_for(
    paths: Sequence[str],
    *,
    limit: float | None = None,
    select: str = "",
    ignore: str = "",
    force_exclude: bool = False,
) -> Settings:
    """The settings of a scan of ``paths``: the command line's over the configuration's."""
    settings = dataclasses.replace(
        load(paths),
        select=codes(select, "--select"),
        ignore=codes(ignore, "--ignore"),
        force_exclude=force_exclude,
    )
    return settings if limit is None else dataclasses.replace(settings, limit=limit)


def load(paths: Sequence[str]) -> Settings:
    """The settings of the nearest ``[tool.tasktiming.scan]`` above ``paths``, or the defaults."""
    found = _find(paths)
    if found is None:
        return Settings()
    pyproject, table = found
    where = f"{_TABLE} of {pyproject}"
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} in {where}: expected {', '.join(_KEYS)}")
    limit = DEFAULT_LIMIT
    if "max" in table:
        try:
            limit = parse_seconds(table["max"], source=f"max in {where}") or 0.0
        except ValueError as error:
            raise ConfigError(str(error)) from None
        if not limit:
            raise ConfigError(f"max in {where} must be above 0")
    ignores = _table(table, "per-file-ignores", where)
    return Settings(
        limit=limit,
        base=os.path.dirname(pyproject),
        exclude=_strings(table.get("exclude", []), f"exclude in {where}"),
        per_file_ignores=tuple(
            (pattern, codes(",".join(_strings(value, f"{pattern!r} in {where}")), pattern))
            for pattern, value in ignores.items()
        ),
        calls=tuple(
            _call(name, spec, where) for name, spec in _table(table, "calls", where).items()
        ),
    )


def _find(paths: Sequence[str]) -> tuple[str, dict[str, object]] | None:
    directory = os.path.commonpath([os.path.abspath(path) for path in paths] or [os.getcwd()])
    if not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            table = _read(candidate)
            if table is not None:
                return candidate, table
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _read(pyproject: str) -> dict[str, object] | None:
    try:
        with open(pyproject, "rb") as stream:
            document = tomllib.load(stream)
    except (OSError, tomllib.TOMLDecodeError):
        return None  # the scan reports a broken pyproject.toml as a file it could not parse
    table: object = document
    for part in ("tool", "tasktiming", "scan"):
        table = table.get(part) if isinstance(table, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{_TABLE} of {pyproject} must be a table")
    return table


def _table(table: dict[str, object], key: str, where: str) -> dict[str, object]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{key} in {where} must be a table")
    return value


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _call(name: str, spec: object, where: str) -> Api:
    """``"mylib.run" = {unit = "min", position = 1, keyword = "limit"}`` as an ``Api``."""
    what = f"calls.{name!r} in {where}"
    if not isinstance(spec, dict) or set(spec) - {"unit", "position", "keyword"}:
        raise ConfigError(f"{what} must be a table of unit, position and keyword")
    unit = spec.get("unit", "s")
    position = spec.get("position")
    keyword = spec.get("keyword")
    if unit not in UNITS:
        raise ConfigError(f"{what}: unknown unit {unit!r}; expected ms, s, min or h")
    if position is None and keyword is None:
        raise ConfigError(f"{what} needs a position (0 for the first argument) or a keyword")
    if position is not None and (not isinstance(position, int) or position < 0):
        raise ConfigError(f"{what}: position must be a whole number >= 0")
    if keyword is not None and not isinstance(keyword, str):
        raise ConfigError(f"{what}: keyword must be a string")
    if "." not in name or not name.rsplit(".", 1)[-1]:
        raise ConfigError(f"{what}: name a call as package.function or .method")
    return Api(name, UNITS[str(unit)][0], position, (keyword,) if keyword else ())


def all_apis(settings: Settings, table: Iterable[Api]) -> list[Api]:
    """The built-in table with the user's calls, which come first and so win."""
    return [*settings.calls, *table]
