"""Where a test's timeout may land: its own code during a phase, never the machinery around it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType

import pluggy

from pytest_tasktiming.plugin.own_code import in_own_code

Check = Callable[[FrameType], bool]

# Code compiled from a string, as a dataclass's or a namedtuple's generated methods are: pytest's
# own Duration.__init__ is such code, and once took a timeout outside the phase.
GENERATED = "import sys\ndef probe(check):\n    return check(sys._getframe())\n"


def generated_probe() -> Callable[[Check], bool]:
    namespace: dict[str, object] = {}
    exec(compile(GENERATED, "<string>", "exec"), namespace)
    return namespace["probe"]  # type: ignore[return-value]


def test_the_tests_own_code_inside_its_phase_may_be_interrupted() -> None:
    assert in_own_code(sys._getframe())


def test_generated_code_belongs_to_whoever_calls_it() -> None:
    generated = generated_probe()
    assert generated(in_own_code)  # called by this test: its own code

    mark = pluggy.HookimplMarker("probe")

    class Spec:
        @pluggy.HookspecMarker("probe")
        def probe(self, check: Check) -> bool:  # type: ignore[empty-body]
            """What the machinery calls."""

    class Plugin:
        probe = staticmethod(mark(generated))

    manager = pluggy.PluginManager("probe")
    manager.add_hookspecs(Spec)
    manager.register(Plugin())
    assert manager.hook.probe(check=in_own_code) == [False]  # called by pluggy: machinery


def test_doctest_examples_are_the_tests_own_code() -> None:
    namespace: dict[str, object] = {}
    exec(compile(GENERATED, "<doctest example.txt[0]>", "exec"), namespace)
    probe: Callable[[Check], bool] = namespace["probe"]  # type: ignore[assignment]
    assert probe(in_own_code)


def test_a_plugins_hook_called_inside_pytests_bookkeeping_is_not_the_tests_own_code() -> None:
    # As anyio's pytest_fixture_setup wrapper, in site-packages: a timeout there once left
    # a fixture half set up for the next test ("assert not self._finalizers").
    mark = pluggy.HookimplMarker("probe")

    class Spec:
        @pluggy.HookspecMarker("probe")
        def probe(self, check: Check) -> bool:  # type: ignore[empty-body]
            """What the machinery calls."""

    class Plugin:
        @mark
        def probe(self, check: Check) -> bool:
            return check(sys._getframe())

    manager = pluggy.PluginManager("probe")
    manager.add_hookspecs(Spec)
    manager.register(Plugin())
    assert manager.hook.probe(check=in_own_code) == [False]
