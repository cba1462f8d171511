"""Where a test's timeout may land: in the test's own code, while one of its phases runs.

Raised anywhere else, the timeout breaks pytest rather than the test: between phases or in a
report hook it escapes the runner (under xdist, into the worker's messaging: INTERNALERROR);
inside pytest's setup bookkeeping it leaves that half done ("previous item was not torn down
properly"). So the runner's deadlines carry ``in_own_code`` as their gate: the watchdog, and
the signal handler once more as the signal lands, raise the timeout only where it says yes,
and try again a moment later where it says no.
"""

from __future__ import annotations

import functools
import os
from types import CodeType, FrameType

from _pytest.runner import CallInfo

_NEUTRAL, _OWN, _MACHINERY, _PHASE = range(4)

_PHASE_CODE = CallInfo.from_call.__func__.__code__  # type: ignore[attr-defined]
"""Every phase (setup, call, teardown) runs inside it, and it catches what the phase raises."""

_kinds: dict[CodeType, int] = {}


@functools.cache
def _places() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The folders of the machinery, of the standard library and of installed packages.

    Found the first time a timeout is due, not at import: most sessions never need them.
    """
    import sysconfig
    from importlib.util import find_spec

    machinery = []
    for name in ("_pytest", "pytest", "pluggy", "pytest_tasktiming", "xdist", "execnet"):
        spec = find_spec(name)
        machinery += [
            os.path.join(place, "") for place in (spec and spec.submodule_search_locations) or ()
        ]
    paths = sysconfig.get_paths()
    library = tuple(os.path.join(paths[key], "") for key in ("stdlib", "platstdlib"))
    site = tuple(os.path.join(paths[key], "") for key in ("purelib", "platlib"))
    return tuple(machinery), library, site


def _kind(code: CodeType) -> int:
    """What running ``code`` means: the standard library is neutral, it runs for either."""
    if code is _PHASE_CODE:
        return _PHASE
    machinery, library, site = _places()
    name = code.co_filename
    if name.startswith(machinery):
        return _MACHINERY
    if name.startswith("<doctest "):  # an example of a doctest being run
        return _OWN
    # "<string>", "<frozen ...>": generated or frozen code (a dataclass's __init__ in pytest's
    # timing) runs for whoever called it, as the standard library does.
    if name.startswith("<") or (name.startswith(library) and not name.startswith(site)):
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
