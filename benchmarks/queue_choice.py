"""Why the writer uses one shared deque: enqueue cost of the candidate queue designs.

Each design is driven by 1 and 16 producer threads while a consumer thread drains it, as the
writer's thread does. Run: ``python benchmarks/queue_choice.py``.
"""

from __future__ import annotations

import queue
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable


def drained(pop: Callable[[], object], empty: type[Exception]) -> int:
    """Call ``pop`` until it raises ``empty``, as the writer's thread empties its queue; return
    how many items it took."""
    count = 0
    while True:
        try:
            pop()
        except empty:
            return count
        count += 1


class SharedDeque:
    """The writer's design: one deque, ``append`` is atomic under the GIL."""

    def __init__(self) -> None:
        self.items: deque[object] = deque()
        self.put = self.items.append

    def drain(self) -> int:
        return drained(self.items.popleft, IndexError)


class PerThreadDeques:
    """One deque per producer thread, found through ``threading.local``, drained in turn."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.all: list[deque[object]] = []
        self.lock = threading.Lock()

    def put(self, item: object) -> None:
        try:
            mine = self.local.items
        except AttributeError:
            mine = self.local.items = deque()
            with self.lock:
                self.all.append(mine)
        mine.append(item)

    def drain(self) -> int:
        return sum(drained(items.popleft, IndexError) for items in list(self.all))


class SimpleQueue:
    """``queue.SimpleQueue``: a C queue with its own lock."""

    def __init__(self) -> None:
        self.items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.put = self.items.put

    def drain(self) -> int:
        return drained(self.items.get_nowait, queue.Empty)


def run(design: Callable[[], SharedDeque | PerThreadDeques | SimpleQueue], threads: int,
        per_thread: int) -> tuple[float, float]:  # fmt: skip
    target = design()
    stop = threading.Event()
    drained = [0]

    def consume() -> None:
        while not stop.is_set():
            drained[0] += target.drain()
            stop.wait(0.001)
        drained[0] += target.drain()

    barrier = threading.Barrier(threads + 1)
    samples: list[int] = []

    def produce() -> None:
        put, clock, mine = target.put, time.perf_counter_ns, []
        barrier.wait()
        for item in range(per_thread):
            before = clock()
            put(item)
            mine.append(clock() - before)
        samples.extend(mine)

    consumer = threading.Thread(target=consume)
    consumer.start()
    producers = [threading.Thread(target=produce) for _ in range(threads)]
    for producer in producers:
        producer.start()
    barrier.wait()
    for producer in producers:
        producer.join()
    stop.set()
    consumer.join()
    assert drained[0] == threads * per_thread
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] / 1000, cuts[98] / 1000


def main() -> None:
    designs = {"shared deque": SharedDeque, "per-thread deques": PerThreadDeques,
               "queue.SimpleQueue": SimpleQueue}  # fmt: skip
    print(f"{'design':20} {'threads':>7} {'p50 us':>8} {'p99 us':>8}")
    for threads in (1, 16):
        for name, design in designs.items():
            p50s, p99s = zip(
                *(run(design, threads, 200_000 // threads) for _ in range(5)), strict=True
            )
            print(f"{name:20} {threads:>7} {statistics.median(p50s):>8.3f} "
                  f"{statistics.median(p99s):>8.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
