"""The xdist scheduler of ``--task-timing-order slowest-first``: the dispatch follows history.

A sorted collection is not enough: xdist's ``load`` first hands each worker a run of
consecutive tests, so sorting gives the slowest tests all to one worker. Here the controller
keeps the units (tests, or whole scopes under ``loadscope``/``loadfile``/``loadgroup``) in
order of recorded time and gives the longest pending one to each worker as it frees, keeping
only a small prefetch queued: a worker must always hold its next test (it needs it to decide
the teardown of the current one), and fast tests get a few more so that no worker waits for
a round trip to the controller. Workers only receive indices, so ``--tx`` workers without the
history file run the same order.

Imported only under xdist, by ``history.HistoryPlugin.pytest_xdist_make_scheduler``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from xdist.remote import Producer  # type: ignore[import-untyped]
from xdist.scheduler import LoadScheduling  # type: ignore[import-untyped]
from xdist.workermanage import WorkerController  # type: ignore[import-untyped]

from pytest_tasktiming.plugin.scopes import Weights

PREFETCH = 0.05
"""Predicted seconds of work queued behind a worker's next test before it gets no more: the
end of the run is uneven by at most about this much."""
MAX_QUEUED = 64
SHORT = PREFETCH
"""Units predicted shorter than this keep collection order, after the longer ones: they can
make the end no more uneven than the prefetch does, and in order they keep the tests of a
class or module together on a worker, so its fixtures are not set up again and again."""


class HistoryScheduling(LoadScheduling):  # type: ignore[misc]
    """Longest pending unit to the worker that frees first (LoadScheduling's bookkeeping).

    ``node2pending[node]`` lists the indices sent to a worker and not yet complete, the
    first being the one it runs; ``units`` the pending units, longest first.
    """

    def __init__(
        self,
        config: pytest.Config,
        log: Producer | None,
        weigh: Callable[[Sequence[str]], Weights],
        dist: str,
    ) -> None:
        super().__init__(config, log)
        self.weigh = weigh
        self.dist = dist
        self.collection: list[str] | None = None
        self.units: list[list[int]] = []
        self.seconds: list[float] = []

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed or self.units:
            return False
        return all(len(pending) < 2 for pending in self.node2pending.values())

    @property
    def has_pending(self) -> bool:
        return bool(self.units) or any(self.node2pending.values())

    def schedule(self) -> None:
        """Order the units by recorded time and fill every worker's queue, longest first."""
        assert self.collection_is_completed
        if self.collection is not None:  # a node came up later: give it work too
            for node in self.nodes:
                self.check_schedule(node)
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        collection: list[str] = next(iter(self.node2collection.values()))
        self.collection = collection
        weights = self.weigh(collection)
        self.seconds = weights.seconds
        self.units = list(weights.units(collection, self.dist).values())
        self._sort_units()
        batches: dict[WorkerController, list[int]] = {node: [] for node in self.nodes}
        while self.units:
            hungry = [node for node in self.nodes if self._wants_more(node, batches[node])]
            if not hungry:
                break
            node = min(hungry, key=lambda n: self._queued(self.node2pending[n] + batches[n]))
            batches[node] += self.units.pop(0)
        for node, batch in batches.items():
            self._send(node, batch)
        if not self.units:
            for node in self.nodes:
                node.shutdown()

    def check_schedule(self, node: WorkerController, duration: float = 0) -> None:
        """Top up the queue of ``node``, which just finished a test; shut it down when all
        units are sent."""
        if node.shutting_down:
            return
        if not self.units:
            node.shutdown()
            return
        batch: list[int] = []
        while self.units and self._wants_more(node, batch):
            batch += self.units.pop(0)
        self._send(node, batch)

    def mark_test_pending(self, item: str) -> None:
        """Run ``item`` again (a plugin rerunning a crashed test): next, whatever its time."""
        assert self.collection is not None
        self.units.insert(0, [self.collection.index(item)])
        for node in self.nodes:
            self.check_schedule(node)

    def remove_node(self, node: WorkerController) -> str | None:
        """Forget a worker; the tests it had not started go back to the pending units."""
        pending = self.node2pending.pop(node)
        if not pending:
            return None
        assert self.collection is not None
        crashed: str = self.collection[pending.pop(0)]
        self.units += [[index] for index in pending]
        self._sort_units()
        for other in self.nodes:
            self.check_schedule(other)
        return crashed

    def _sort_units(self) -> None:
        seconds = self.seconds

        def longest_first(unit: list[int]) -> tuple[float, int]:
            total = sum(seconds[index] for index in unit)
            return (-total if total >= SHORT else 0.0, unit[0])

        self.units.sort(key=longest_first)

    def _wants_more(self, node: WorkerController, batch: list[int]) -> bool:
        queue = len(self.node2pending[node]) + len(batch)
        if queue < 2:
            return True  # it cannot start its test before it has the next one
        if queue >= MAX_QUEUED:
            return False
        return self._queued((self.node2pending[node] + batch)[1:]) < PREFETCH

    def _queued(self, indices: Sequence[int]) -> float:
        seconds = self.seconds
        return sum(seconds[index] for index in indices)

    def _send(self, node: WorkerController, batch: list[int]) -> None:
        if batch:
            self.node2pending[node].extend(batch)
            node.send_runtest_some(batch)
