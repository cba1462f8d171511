"""Where a test's timeout may land: in the test's own code, while one of its phases runs.

Raised anywhere else, the timeout breaks pytest rather than the test: between phases or in a
report hook it escapes the runner (under xdist, into the worker's messaging: INTERNALERROR);
inside pytest's fixture or setup bookkeeping, or a plugin's hook called in the middle of it,
it leaves that half done ("previous item was not torn down properly"). So the runner's
deadlines carry ``in_own_code`` as their gate: the watchdog, and the signal handler once more
as the signal lands, raise the timeout only where it says yes, and try again a moment later
where it says no.
"""

from __future__ import annotations

import functools
import os
from types import CodeType, FrameType

from _pytest.runner import CallInfo

_NEUTRAL, _OWN, _MACHINERY, _HOOKS, _PHASE = range(5)

_PHASE_CODE = CallInfo.from_call.__func__.__code__  # type: ignore[attr-defined]
"""Every phase (setup, call, teardown) runs inside it, and it catches what the phase raises."""

_kinds: dict[CodeType, int] = {}


@functools.cache
def _places() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The folders of the machinery, of pluggy, of the standard library and of installed
    packages.

    Found the first time a timeout is due, not at import: most sessions never need them.
    """
    import sysconfig
    from importlib.util import find_spec

    def folders(*names: str) -> tuple[str, ...]:
        found = []
        for name in names:
            spec = find_spec(name)
            places = (spec and spec.submodule_search_locations) or ()
            found += [os.path.join(place, "") for place in places]
        return tuple(found)

    paths = sysconfig.get_paths()
    return (
        folders("_pytest", "pytest", "pytest_tasktiming", "xdist", "execnet"),
        folders("pluggy"),
        tuple(os.path.join(paths[key], "") for key in ("stdlib", "platstdlib")),
        tuple(os.path.join(paths[key], "") for key in ("purelib", "platlib")),
    )


def _kind(code: CodeType) -> int:
    """What running ``code`` means: the standard library is neutral, it runs for either."""
    if code is _PHASE_CODE:
        return _PHASE
    machinery, hooks, library, site = _places()
    name = code.co_filename
    if name.startswith(machinery):
        return _MACHINERY
    if name.startswith(hooks):
        return _HOOKS
    if name.startswith("<doctest "):  # an example of a doctest being run
        return _OWN
    # "<string>", "<frozen ...>": generated or frozen code (a dataclass's __init__ in pytest's
    # timing) runs for whoever called it, as the standard library does.
    if name.startswith("<") or (name.startswith(library) and not name.startswith(site)):
        return _NEUTRAL
    return _OWN


def in_own_code(frame: FrameType) -> bool:
    """True when the innermost frame that is not the standard library's is the test's own
    code (a test, a fixture, a finalizer, a library they call), inside a phase.

    Code that pluggy calls is a hook implementation (of a plugin, or of a conftest file) and
    runs inside pytest's bookkeeping: not the test's own, wherever its file is.
    """
    own = False  # the innermost frames are the test's own code
    entered = False  # and the machinery that called it is known
    current: FrameType | None = frame
    while current is not None:
        kind = _kind_of(current.f_code)
        if kind == _PHASE:
            return own
        if not own:
            if kind in (_MACHINERY, _HOOKS):
                return False
            own = kind == _OWN
        elif not entered and kind in (_MACHINERY, _HOOKS):
            if kind == _HOOKS:
                return False
            entered = True
        current = current.f_back
    return False


def own_stack(frame: FrameType) -> str:
    """The stack of ``frame`` as text, from where the test's own code begins (pytest's and
    pluggy's frames below it left out, as pytest leaves them out of its tracebacks)."""
    import traceback

    frames: list[FrameType] = []
    current: FrameType | None = frame
    while current is not None and (
        not frames or _kind_of(current.f_code) not in (_MACHINERY, _HOOKS, _PHASE)
    ):
        frames.append(current)
        current = current.f_back
    summary = traceback.StackSummary.extract((each, each.f_lineno) for each in reversed(frames))
    return "".join(summary.format())


def _kind_of(code: CodeType) -> int:
    kind = _kinds.get(code)
    if kind is None:
        kind = _kinds[code] = _kind(code)
    return kind
