"""``--tx`` workers as on another machine: a disk of their own and a clock of their own.

The workers here are local processes, but each runs in a directory of its own that xdist
rsyncs the tests into, and their wall clock runs an hour ahead of the controller's: what a
remote ``--tx ssh=...`` worker looks like to the plugin.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from plugin_helpers import DECORATED_TEST, rows_of

pytest.importorskip("xdist")  # the [xdist] extra; the test extra installs it

AN_HOUR_AHEAD = """
from pytest_tasktiming._timing import clock

def pytest_configure(config):
    if hasattr(config, "workerinput"):  # a worker: its wall clock is an hour fast
        real = clock.wall_ns
        clock.wall_ns = lambda: real() + 3600 * 10**9
"""


def test_rsynced_workers_with_their_own_clock_give_rows_on_the_controllers_clock(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    pytester.makeconftest(AN_HOUR_AHEAD)
    test_file = pytester.makepyfile(test_remote=DECORATED_TEST)
    homes = [tmp_path_factory.mktemp(f"worker{n}") for n in range(2)]
    workers = [arg for home in homes for arg in ("--tx", f"popen//chdir={home}")]
    before = dt.datetime.now(dt.timezone.utc)
    result = pytester.runpytest(
        "--task-timing", *workers, "--dist", "load", "--rsyncdir", str(pytester.path), test_file
    )
    after = dt.datetime.now(dt.timezone.utc)
    result.assert_outcomes(passed=7)

    rows = rows_of(pytester.path / "task_timing.tsv")
    finals = Counter((row.mode, row.result) for row in rows if row.result != "started")
    assert finals == {("pytest", "passed"): 7, ("code", "completed"): 12}
    assert Counter(row.task for row in rows if row.mode == "code") == {"helper": 12, "block": 12}
    for row in rows:  # an hour-fast worker clock would put them an hour after `after`
        assert before <= row.start_time <= row.timestamp <= after, row
        assert row.end_time is None or row.start_time <= row.end_time <= after, row
    for home in homes:
        assert list(home.rglob("*.tsv")) == [], "a worker wrote a file of its own"
        assert list(home.rglob("test_remote.py")), "the worker did not run from its own copy"
