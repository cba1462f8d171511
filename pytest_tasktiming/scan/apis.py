"""The calls whose timeout the scan knows: which argument holds it, and in which unit.

One table, ``APIS``, documented in docs/cli.md. A name ``package.function`` matches a call
resolved through the file's imports whose first part is ``package`` and last part is
``function`` (``asyncio.wait_for``, ``asyncio.tasks.wait_for``); a name ``.method`` matches
any call of that name (``event.wait(...)``, ``Popen(...).wait(...)``) when no ``package.``
name did. Arguments named like a timeout in other calls are read by their name
(``name_unit``), in seconds unless the name ends with a unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import dataclass

UNITS = {
    **dict.fromkeys(("ms", "msec", "msecs", "millis", "milliseconds"), ("ms", 0.001)),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), ("s", 1.0)),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), ("min", 60.0)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), ("h", 3600.0)),
}
"""Unit words, in names (``READ_TIMEOUT_MS``) and in ``[tool.tasktiming.scan.calls]``."""


@dataclass(frozen=True, slots=True)
class Api:
    """A call that takes a timeout.

    :param position: the positional index of the timeout (None: keyword only).
    :param keywords: its keyword names (several for ``httpx.Timeout(connect=, read=)``).
    :param unit: ``s``, ``ms``, ``min`` or ``h``; ``ttl`` marks a keyword ``timeout`` that
        is an expiry (``cache.set(key, value, timeout=86400)``), never a finding.
    :param off: the values that switch the timeout off: ``"0"``, ``"None"``, both or ``""``.
    :param flag_before: the argument before ``position`` must be ``True`` or ``False``
        (``queue.get(True, 30)``: without it, ``d.get(key, 30)`` would be a timeout).
    :param needs_import: only in a module that imports this package (Playwright's generic
        method names such as ``click``).
    """

    name: str
    unit: str
    position: int | None = None
    keywords: tuple[str, ...] = ("timeout",)
    off: str = ""
    flag_before: bool = False
    needs_import: str | None = None

    @property
    def scale(self) -> float:
        """Seconds per unit of the value (0 for an expiry)."""
        return UNITS[self.unit][1] if self.unit in UNITS else 0.0


def _family(
    unit: str,
    names: str,
    *,
    position: int | None = None,
    off: str = "",
    needs_import: str | None = None,
) -> list[Api]:
    """One entry per name, all alike but for the name."""
    return [Api(name, unit, position, off=off, needs_import=needs_import) for name in names.split()]


_PLAYWRIGHT_METHODS = """
    .goto .reload .go_back .go_forward .set_content .wait_for_selector .wait_for_load_state
    .wait_for_url .wait_for_function .wait_for_event .wait_for_navigation .expect_navigation
    .expect_response .expect_request .expect_popup .expect_download .expect_file_chooser
    .expect_event .expect_console_message .expect_page .connect_over_cdp .to_have_* .to_be_*
    .to_contain_text .not_to_* .launch_persistent_context
"""
_PLAYWRIGHT_GENERIC = """
    .click .dblclick .fill .type .press .press_sequentially .check .uncheck .set_checked .hover
    .tap .focus .clear .select_option .set_input_files .screenshot .wait_for .drag_to .inner_text
    .inner_html .text_content .get_attribute .input_value .dispatch_event .launch .connect
    .fetch .set_options .scroll_into_view_if_needed .select_text .evaluate_handle .pdf
"""
_CACHES = ".set .add .touch .get_or_set .set_many .cache_page .cached .memoize .expire"

APIS: tuple[Api, ...] = (
    # pytest, pytest-timeout and this package: 0 or None means no limit at all.
    Api("pytest.timeout", "s", 0, ("timeout",), off="0"),  # @pytest.mark.timeout(7200)
    Api("pytest.task_timing", "s", None, ("timeout",), off="0 None"),
    Api(".timed_task", "s", None, ("timeout",), off="0 None"),
    Api("pytest_tasktiming.timed", "s", None, ("timeout",), off="0 None"),
    Api(".TimeoutEnforcer", "s", 0, ("timeout_seconds",), off="0 None"),
    # The standard library, in seconds.
    Api("asyncio.wait_for", "s", 1),
    Api("asyncio.timeout", "s", 0, ("delay",)),
    Api("asyncio.wait", "s"),
    Api("asyncio.as_completed", "s"),
    Api("concurrent.wait", "s", 1),
    Api("concurrent.as_completed", "s", 1),
    Api("multiprocessing.wait", "s", 1),
    Api("socket.create_connection", "s", 1),
    Api("socket.setdefaulttimeout", "s", 0, ()),
    Api(".settimeout", "s", 0, ()),
    Api("signal.alarm", "s", 0, ()),
    Api("signal.setitimer", "s", 1, ("seconds",)),
    Api("faulthandler.dump_traceback_later", "s", 0),
    Api("urllib.urlopen", "s", 2),
    Api("subprocess.run", "s"),
    Api(".communicate", "s", 1),
    Api(".wait", "s", 0),  # threading.Event/Condition/Barrier, Popen
    Api(".wait_for", "s", 1),  # threading.Condition.wait_for(predicate, timeout)
    Api(".join", "s", 0),  # threading.Thread, multiprocessing.Process
    Api(".result", "s", 0),  # concurrent.futures.Future
    Api(".exception", "s", 0),
    Api(".get", "s", 1, flag_before=True),  # queue.Queue.get(block, timeout)
    Api(".put", "s", 2, flag_before=True),
    Api(".acquire", "s", 1, flag_before=True),  # threading.Lock/Semaphore
    # HTTP clients, in seconds; a (connect, read) tuple counts by its longer part.
    Api("httpx.Timeout", "s", 0, ("timeout", "connect", "read", "write", "pool")),
    Api("aiohttp.ClientTimeout", "s", 0, ("total", "connect", "sock_read", "sock_connect")),
    Api("urllib3.Timeout", "s", 0, ("total", "connect", "read")),
    # Selenium, in seconds.
    Api("selenium.WebDriverWait", "s", 1),
    *_family("s", ".implicitly_wait .set_page_load_timeout .set_script_timeout", position=0),
    # Playwright, in milliseconds; 0 is no timeout at all.
    *_family("ms", ".set_default_timeout .set_default_navigation_timeout", position=0, off="0"),
    Api(".wait_for_timeout", "ms", 0, ()),
    *_family("ms", _PLAYWRIGHT_METHODS, off="0"),
    *_family("ms", _PLAYWRIGHT_GENERIC, off="0", needs_import="playwright"),
    # Caches: their `timeout` is how long an entry lives, not how long anything runs.
    *_family("ttl", _CACHES),
)

MILLISECOND_PACKAGES = frozenset(("playwright",))
"""In a module that imports one of these, a value named only ``timeout`` is in milliseconds."""

_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_NOT_DURATIONS = frozenset(
    ("count", "counter", "retries", "retry", "attempts", "num", "number", "ratio", "factor",
     "multiplier", "threshold", "percent", "method", "func", "only", "error", "errors", "at",
     "until", "ts", "timestamp", "exception", "exc", "message", "msg", "handler", "callback",
     "type", "class", "cls", "enabled", "disabled", "flag")
)  # fmt: skip
_NOT_RUN_LIMITS = frozenset(
    ("ttl", "cache", "cached", "cookie", "idle", "keepalive", "lease", "expire", "expires",
     "expiry", "expiration", "retention", "lifetime", "age", "day", "days", "d", "week",
     "weeks", "w", "month", "months", "year", "years")
)  # fmt: skip
"""Words that make a name an expiry or a retention: ``CACHE_TIMEOUT``, ``SESSION_TIMEOUT_DAYS``."""


def name_unit(name: str) -> tuple[str, float] | None:
    """``(unit, seconds per unit)`` of a value named ``name``; None if it is no time limit.

    ``READ_TIMEOUT_MS`` is in milliseconds, ``timeout_minutes`` in minutes; names ending in
    a count (``TIMEOUT_RETRIES``) or an instant (``timeout_at``) are not durations, and names
    of expiries (``cache_timeout``, ``SESSION_TIMEOUT_DAYS``) do not limit how long anything runs.
    """
    if "timeout" not in name.lower():
        return None
    words = [word.lower() for word in _WORDS.findall(name)]
    if not words or words[-1] in _NOT_DURATIONS or _NOT_RUN_LIMITS.intersection(words):
        return None
    return UNITS.get(words[-1], ("s", 1.0))


class ApiTable:
    """``APIS`` and the user's extra calls, indexed by the last part of their names.

    An entry replaces any later one of the same name with another unit.
    """

    def __init__(self, apis: Iterable[Api]) -> None:
        self.exact: dict[str, list[Api]] = {}
        self.methods: dict[str, list[Api]] = {}
        self.prefixes: list[Api] = []
        self.needs_imports = set(MILLISECOND_PACKAGES)
        named: dict[tuple[str, str | None], str] = {}
        for api in apis:
            if named.setdefault((api.name, api.needs_import), api.unit) != api.unit:
                continue  # the user's entry for a name, which comes first, replaces ours
            if api.needs_import:
                self.needs_imports.add(api.needs_import)
            package, _, last = api.name.rpartition(".")
            if last.endswith("*"):
                self.prefixes.append(api)
            elif package:
                self.exact.setdefault(last, []).append(api)
            else:
                self.methods.setdefault(last, []).append(api)

    def lookup(self, qualname: str, packages: Set[str]) -> list[Api]:
        """The entries for a call to ``qualname`` (``requests.get``, ``page.goto``).

        :param packages: those of ``needs_import`` that the module imports.
        """
        parts = qualname.split(".")
        last = parts[-1]
        found = [
            api for api in self.exact.get(last, ()) if _package(api) == parts[0] and len(parts) > 1
        ]
        if found:
            return found
        candidates = self.methods.get(last) or [
            api for api in self.prefixes if last.startswith(api.name[1:-1])
        ]
        usable = [a for a in candidates if a.needs_import is None or a.needs_import in packages]
        # A method of a package that needs its import wins over the general reading.
        return [a for a in usable if a.needs_import] or usable


GENERIC_METHODS = frozenset(
    ("wait", "join", "result", "exception", "get", "put", "acquire", "communicate")
)
"""Names too common to be worth parsing a file for: their lines must match ``GENERIC_CALL``."""
_NUMBER = rb"\s*[-+(]?\s*\d"
_FLAG = rb"[^()\n]*\b(?:True|False)\s*,"
GENERIC_CALLS = tuple(
    re.compile(pattern)
    for pattern in (
        rb"wait\((?:" + _NUMBER + rb"|[^()\n]*," + _NUMBER + rb")",
        rb"\.join\(" + _NUMBER,
        rb"\.result\(" + _NUMBER,
        rb"\.exception\(" + _NUMBER,
        rb"\.get\(" + _FLAG,
        rb"\.put\(" + _FLAG,
        rb"\.acquire\(" + _FLAG,
        rb"\.communicate\([^()\n]*," + _NUMBER,
    )
)
"""For each ``GENERIC_METHODS`` name, a call with a number where its timeout goes (or the
block flag before it). Each pattern starts with a literal, which ``re`` looks for fast."""


def trigger_words(apis: Iterable[Api]) -> set[bytes]:
    """What a line must contain (lower-cased) to hold a timeout: a call's name, or ``timeout``.

    Keyword timeouts are all named ``timeout...`` or passed to a call with ``timeout`` in its
    name; the others are found by the name of their call.
    """
    words = {b"timeout"}
    for api in apis:
        last = api.name.rsplit(".", 1)[-1].lower()
        named = api.position is None and all("timeout" in word for word in api.keywords)
        if not named and "timeout" not in last and last not in GENERIC_METHODS:
            words.add(last.encode())
    return words


def imported_packages(source: bytes, packages: Iterable[str]) -> frozenset[str]:
    """Which of ``packages`` the source imports anywhere (in a function too)."""
    return frozenset(
        package
        for package in packages
        if package.encode() in source
        and re.search(rb"^[ \t]*(?:from|import)[ \t]+%s\b" % package.encode(), source, re.M)
    )


def _package(api: Api) -> str:
    return api.name.split(".", 1)[0]
