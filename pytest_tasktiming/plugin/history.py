"""Using the file's history in a session: shards, the slowest-first order, and its reading.

Registered by ``plugin.pytest_configure`` only when an option uses the history. The process
that runs the session reads the history (through the index in ``config.cache``, see
``history.index``); under xdist that is the controller, which decides the dispatch order
itself (``scheduler.py``) and sends the recorded durations to its workers in
``workerinput``, so ``--tx`` workers need no copy of the file and every worker selects the
same shard. A history that cannot be read is one line on the terminal and a session without
history, never a failed session.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import Any

import pytest

from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.history.index import load
from pytest_tasktiming.history.partition import loads, partition
from pytest_tasktiming.history.recent import History
from pytest_tasktiming.plugin.options import is_worker
from pytest_tasktiming.plugin.ordering import slowest_first
from pytest_tasktiming.plugin.scopes import SCOPED, Weights
from pytest_tasktiming.plugin.settings import HistorySettings
from pytest_tasktiming.plugin.workers import stable_nodeid

HISTORY_KEY = "tasktiming_history"
"""``workerinput`` key: the recent durations by test, as the controller read them."""
DIST_KEY = "tasktiming_dist"
"""``workerinput`` key: the controller's ``--dist`` (a worker's own says ``no``)."""
SHARD_SPEC_KEY = "tasktiming_shard_spec"
"""``workerinput`` key: the controller's ``(K, N)``, from its CI variables with ``auto``."""
SHARD_KEY = "tasktiming_shard"
"""``workeroutput`` key: the shard a worker selected (``ShardSummary`` as a tuple)."""
CACHE_DIR = "tasktiming-history"


@dataclass(frozen=True, slots=True)
class ShardSummary:
    """The shard this session runs, and the predicted time of every shard."""

    index: int
    total: int
    tests: int
    collected: int
    predicted: list[float]
    known: int
    mean: float

    def line(self, source: str) -> str:
        """The summary's line: this shard's predicted time against the slowest and fastest."""
        own = self.predicted[self.index - 1]
        unknown = self.collected - self.known
        line = (
            f"shard {self.index}/{self.total} ({source}): {self.tests} of {self.collected} "
            f"tests, predicted {own:.2f}s; slowest shard {max(self.predicted):.2f}s, "
            f"fastest {min(self.predicted):.2f}s"
        )
        if not self.known:
            line += "; no test has a recorded duration: split by count"
        elif unknown:
            tests = "test" if unknown == 1 else "tests"
            line += f"; {unknown} {tests} without history counted at the mean, {self.mean:.3f}s"
        return line


class HistoryPlugin:
    """Reads the history once and applies the shard and the order of ``HistorySettings``."""

    def __init__(self, config: pytest.Config, options: HistorySettings) -> None:
        self.config = config
        self.options = options
        self.worker = is_worker(config)
        self.problem: str | None = None
        self.shard: ShardSummary | None = None
        self._history: History | None = None

    @property
    def history(self) -> History:
        """The recent durations by test, read on first use."""
        if self._history is None:
            self._history = self._read()
        return self._history

    def _read(self) -> History:
        if self.worker:  # from the controller, which read the file
            workerinput: dict[str, Any] = getattr(self.config, "workerinput", {})
            return History(workerinput.get(HISTORY_KEY) or {})
        path = self.options.path
        shown = os.path.relpath(path, self.config.invocation_params.dir)
        try:
            loaded = load(path, self._cache_dir(), stable_nodeid)
        except FileNotFoundError:
            self.problem = f"no history yet: {shown} does not exist"
            return History()
        except FormatError as error:
            self.problem = f"history {shown} not used: line {error.line}: {error.message}"
            return History()
        except OSError as error:
            self.problem = f"history {shown} not used: {error.strerror or error}"
            return History()
        if loaded.skipped:
            self.problem = (
                f"history {shown}: skipped {loaded.skipped} lines that are not rows "
                "(see tasktiming validate)"
            )
        return loaded.history

    def _cache_dir(self) -> Any:
        cache = getattr(self.config, "cache", None)  # None under -p no:cacheprovider
        if cache is None:
            return None
        try:
            return cache.mkdir(CACHE_DIR)
        except OSError:
            return None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self) -> None:
        if self.worker:
            return
        _ = self.history  # read now, in the reading process, and say at once what went wrong
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if self.problem is not None and terminal is not None:
            terminal.write_line(f"task timing: {self.problem}", yellow=True)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Send the workers what they need of the history: shards and limits are theirs."""
        if self.options.shard is not None or self.options.auto_timeout is not None:
            node.workerinput[HISTORY_KEY] = self.history.runs
            node.workerinput[DIST_KEY] = self.config.getvalue("dist")
            node.workerinput[SHARD_SPEC_KEY] = self.options.shard

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Slowest-first under xdist: the controller dispatches by history (None: xdist's own)."""
        dist = config.getvalue("dist")
        if self.options.order != "slowest-first" or dist not in ("load", "worksteal", *SCOPED):
            return None
        history = self.history
        if not history:  # nothing recorded: nothing to go by
            return None
        from pytest_tasktiming.plugin.scheduler import HistoryScheduling

        def weigh(nodeids: Sequence[str]) -> Weights:
            return Weights(nodeids, history)

        return HistoryScheduling(config, log, weigh, dist)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        shard = getattr(node, "workeroutput", {}).get(SHARD_KEY)
        if shard is not None and self.shard is None:
            self.shard = ShardSummary(*shard)

    @pytest.hookimpl(trylast=True)  # after -k, -m and others chose and ordered the tests
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        workerinput: dict[str, Any] = getattr(config, "workerinput", {})
        shard = workerinput.get(SHARD_SPEC_KEY, self.options.shard)
        if shard is not None:
            self._select_shard(config, items, *shard)
        # Under xdist the controller orders the dispatch: a worker's order would not count.
        if self.options.order == "slowest-first" and not self.worker:
            weights = Weights([item.nodeid for item in items], self.history)
            if weights.known:  # without any recorded duration, collection order stands
                items[:] = slowest_first(items, weights.seconds)

    def _select_shard(
        self, config: pytest.Config, items: list[pytest.Item], index: int, total: int
    ) -> None:
        """Keep the tests of shard ``index`` of ``total``; deselect the others, as ``-k`` does."""
        nodeids = [item.nodeid for item in items]
        weights = Weights(nodeids, self.history)
        units = weights.units(nodeids, self._dist())
        seconds = {unit: weights.total(indices) for unit, indices in units.items()}
        shards = partition(seconds, total)
        chosen = {index for unit in shards[index - 1] for index in units[unit]}
        keep = [item for number, item in enumerate(items) if number in chosen]
        if len(keep) < len(items):
            config.hook.pytest_deselected(
                items=[item for number, item in enumerate(items) if number not in chosen]
            )
            items[:] = keep
        self.shard = ShardSummary(
            index,
            total,
            len(keep),
            len(nodeids),
            loads(shards, seconds),
            weights.known,
            weights.mean,
        )
        if self.worker:
            config.workeroutput[SHARD_KEY] = astuple(self.shard)  # type: ignore[attr-defined]

    def _dist(self) -> str:
        """The session's ``--dist``, as the controller has it."""
        workerinput: dict[str, Any] = getattr(self.config, "workerinput", {})
        return str(workerinput.get(DIST_KEY) or self.config.getoption("dist", default="no"))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        options = self.options
        if self.shard is not None:
            terminalreporter.write_line(f"task timing: {self.shard.line(options.shard_source)}")
        elif options.shard_source and options.shard is None:
            terminalreporter.write_line(f"task timing: shard {options.shard_source}")
