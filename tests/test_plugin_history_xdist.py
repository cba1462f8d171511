"""Shards and slowest-first under xdist: the controller decides, every worker agrees, ``--tx``
workers need no copy of the history file."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from history_files import recorded
from test_plugin_history import SUITE, make_suite

from pytest_tasktiming.history.partition import partition

pytest.importorskip("xdist")

N2 = ("-n", "2", "-p", "no:benchmark")
WORKER_LINE = re.compile(r"^\[(gw\d+)\] \[ *\d+%\] PASSED (\S+)")


def by_worker(result: pytest.RunResult) -> dict[str, list[str]]:
    """Each worker's tests in the order it ran them (from ``-v`` lines)."""
    runs: dict[str, list[str]] = defaultdict(list)
    for match in map(WORKER_LINE.match, result.outlines):
        if match:
            runs[match.group(1)].append(match.group(2))
    return dict(runs)


@pytest.fixture(autouse=True)
def _no_inherited_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASK_TIMING_FILE", raising=False)


@pytest.fixture
def history(pytester: pytest.Pytester) -> Path:
    make_suite(pytester)
    return recorded(pytester.path / "task_timing.tsv", SUITE)


def test_shards_under_xdist_run_every_test_once(pytester: pytest.Pytester, history: Path) -> None:
    seen = []
    for index in (1, 2, 3):
        result = pytester.runpytest("-v", *N2, f"--task-timing-shard={index}/3")
        selected = [test for tests in by_worker(result).values() for test in tests]
        assert sorted(selected) == sorted(partition(SUITE, 3)[index - 1])
        result.stdout.fnmatch_lines([f"task timing: shard {index}/3 (*): {len(selected)} of 8 *"])
        seen += selected
    assert sorted(seen) == sorted(SUITE)


def test_loadscope_shards_keep_classes_and_modules_whole(
    pytester: pytest.Pytester, history: Path
) -> None:
    scopes = {
        "test_alpha.py": 5.0,
        "test_alpha.py::TestGroup": 8.0,
        "test_beta.py": 9.5,
        "test_gamma.py": 3.25,
    }
    for index in (1, 2):
        result = pytester.runpytest("-v", *N2, "--dist=loadscope", f"--task-timing-shard={index}/2")
        selected = {test for tests in by_worker(result).values() for test in tests}
        expected = {
            nodeid
            for nodeid in SUITE
            if nodeid.rsplit("::", 1)[0] in partition(scopes, 2)[index - 1]
        }
        assert selected == expected


def test_slowest_first_dispatches_the_longest_pending_test_to_each_worker(
    pytester: pytest.Pytester, history: Path
) -> None:
    result = pytester.runpytest("-v", *N2, "--task-timing-order=slowest-first")
    result.stdout.fnmatch_lines(["scheduling tests via HistoryScheduling"])
    runs = by_worker(result)
    assert sorted(test for tests in runs.values() for test in tests) == sorted(SUITE)
    # Each worker got the longest pending test each time: its own run goes longest first, and
    # the two longest tests (9 s and 6 s) began the two workers' runs.
    for tests in runs.values():
        assert [SUITE[test] for test in tests] == sorted((SUITE[t] for t in tests), reverse=True)
    assert {tests[0] for tests in runs.values()} == {
        "test_beta.py::test_b2",
        "test_alpha.py::TestGroup::test_g2",
    }


def test_slowest_first_under_loadscope_dispatches_whole_scopes_by_their_total(
    pytester: pytest.Pytester, history: Path
) -> None:
    result = pytester.runpytest("-v", *N2, "--dist=loadscope", "--task-timing-order=slowest-first")
    runs = by_worker(result)
    for tests in runs.values():  # a scope's tests all on one worker, in collection order
        scopes = [test.rsplit("::", 1)[0] for test in tests]
        assert scopes == sorted(scopes, key=scopes.index)
    owner = {test.rsplit("::", 1)[0]: worker for worker, tests in runs.items() for test in tests}
    assert len(owner) == 4
    # test_beta.py (9.5 s) and the class (8 s) go first, one to each worker.
    assert {tests[0].rsplit("::", 1)[0] for tests in runs.values()} == {
        "test_beta.py",
        "test_alpha.py::TestGroup",
    }


def test_remote_workers_without_the_history_file_select_and_run_the_same(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The tests live in tests/, which is all the workers get; the history stays with the
    # controller. A worker reading a history of its own would find none and split by count.
    tests = pytester.mkdir("tests")
    make_suite(pytester)
    for module in pytester.path.glob("test_*.py"):
        module.rename(tests / module.name)
    suite = {f"tests/{nodeid}": seconds for nodeid, seconds in SUITE.items()}
    recorded(pytester.path / "history.tsv", suite)
    homes = [tmp_path_factory.mktemp(f"worker{n}") for n in range(2)]
    workers = [arg for home in homes for arg in ("--tx", f"popen//chdir={home}")]
    result = pytester.runpytest(
        "-v",
        *workers,
        "--dist=load",
        "--rsyncdir",
        str(tests),
        "--task-timing-history=history.tsv",
        "--task-timing-shard=1/2",
        "--task-timing-order=slowest-first",
        "-W",
        "ignore::DeprecationWarning",  # xdist 3.x deprecates rsync
        str(tests),
    )
    runs = by_worker(result)
    ran = sorted(test.removeprefix("tests/") for tests in runs.values() for test in tests)
    assert ran == sorted(nodeid.removeprefix("tests/") for nodeid in partition(suite, 2)[0])
    for home in homes:
        assert not list(home.rglob("*.tsv"))


def test_short_tests_keep_collection_order_after_the_long_ones(pytester: pytest.Pytester) -> None:
    classes = "\n".join(
        f"class Test{name}:\n"
        + "".join(f"    def test_{n}(self):\n        pass\n" for n in range(6))
        for name in ("A", "B")
    )
    pytester.makepyfile(test_short=classes + "\ndef test_long():\n    pass\n")
    durations = {
        f"test_short.py::Test{c}::test_{n}": 0.001 * (n + 1) for c in "AB" for n in range(6)
    }
    recorded(pytester.path / "task_timing.tsv", {**durations, "test_short.py::test_long": 2.0})
    runs = by_worker(pytester.runpytest("-v", *N2, "--task-timing-order=slowest-first"))
    order = [*durations, "test_short.py::test_long"]
    assert "test_short.py::test_long" in {tests[0] for tests in runs.values()}
    for tests in runs.values():  # shorter than 50 ms: in collection order, not by duration
        short = [test for test in tests if test != "test_short.py::test_long"]
        assert short == sorted(short, key=order.index)
