"""Where a test's timeout may land: in the test's own code, while one of its phases runs.

Raised anywhere else, the timeout breaks pytest rather than the test: between phases or in a
report hook it escapes the runner (under xdist, into the worker's messaging: INTERNALERROR);
inside pytest's setup bookkeeping it leaves that half done ("previous item was not torn down
properly"). So the runner's deadlines carry ``in_own_code`` as their gate: the watchdog, and
the signal handler once more as the signal lands, raise the timeout only where it says yes,
and try again a moment later where it says no.
"""

from __future__ import annotations

import os
import sysconfig
from importlib.util import find_spec
from types import CodeType, FrameType

from _pytest.runner import CallInfo

_NEUTRAL, _OWN, _MACHINERY, _PHASE = range(4)

_PHASE_CODE = CallInfo.from_call.__func__.__code__  # type: ignore[attr-defined]
"""Every phase (setup, call, teardown) runs inside it, and it catches what the phase raises."""


def _package_dirs(*names: str) -> tuple[str, ...]:
    dirs = []
    for name in names:
        spec = find_spec(name)
        for location in (spec and spec.submodule_search_locations) or ():
            dirs.append(os.path.join(location, ""))
    return tuple(dirs)


_MACHINERY_DIRS = _package_dirs("_pytest", "pytest", "pluggy", "pytest_tasktiming", "xdist")
_LIBRARY_DIRS = tuple(
    os.path.join(sysconfig.get_paths()[key], "") for key in ("stdlib", "platstdlib")
)
_SITE_DIRS = tuple(os.path.join(sysconfig.get_paths()[key], "") for key in ("purelib", "platlib"))
_kinds: dict[CodeType, int] = {}


def _kind(code: CodeType) -> int:
    """What running ``code`` means: the standard library is neutral, it runs for either."""
    if code is _PHASE_CODE:
        return _PHASE
    name = code.co_filename
    if name.startswith(_MACHINERY_DIRS):
        return _MACHINERY
    if name.startswith("<frozen ") or (
        name.startswith(_LIBRARY_DIRS) and not name.startswith(_SITE_DIRS)
    ):
        return _NEUTRAL
    return _OWN


def in_own_code(frame: FrameType) -> bool:
    """True when the innermost frame that is not the standard library's is the test's own
    code (a test, a fixture, a conftest hook, a library they call), inside a phase."""
    own = False
    current: FrameType | None = frame
    while current is not None:
        code = current.f_code
        kind = _kinds.get(code)
        if kind is None:
            kind = _kinds[code] = _kind(code)
        if kind == _PHASE:
            return own
        if not own:
            if kind == _MACHINERY:
                return False
            own = kind == _OWN
        current = current.f_back
    return False


def own_stack(frame: FrameType) -> str:
    """The stack of ``frame`` as text, from where the test's own code begins (pytest's and
    pluggy's frames below it left out, as pytest leaves them out of its tracebacks)."""
    import traceback

    frames: list[FrameType] = []
    current: FrameType | None = frame
    while current is not None and (
        not frames or _kinds.setdefault(current.f_code, _kind(current.f_code)) != _MACHINERY
    ):
        frames.append(current)
        current = current.f_back
    summary = traceback.StackSummary.extract((each, each.f_lineno) for each in reversed(frames))
    return "".join(summary.format())
