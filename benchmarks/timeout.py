"""What a timeout costs per call, threads, and how punctual it is, against the usual ways.

In one run, interleaved, median of several repeats, around a trivial call with a one-hour
timeout that never fires: ``watch()`` + ``cancel()`` (in the main thread, a worker thread,
with 10,000 other deadlines live, and in an asyncio task) against ``asyncio.timeout``,
``signal.setitimer`` alone, pytest-timeout's signal method (install a SIGALRM handler, arm
``setitimer``, disarm, restore), its thread method (a ``threading.Timer`` per call) and
func-timeout (the call runs in a new thread). Then the threads that 1,000 concurrent
deadlines need, and how late a 0.2 s timeout fires. Run: ``python benchmarks/timeout.py``
(``pip install -e ".[bench]"`` for func-timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import statistics
import threading
import time
from collections.abc import Callable, Iterator

from pytest_tasktiming.exceptions import TaskTimeoutError
from pytest_tasktiming.timeout import watch

HOUR = 3600.0


def work() -> None:
    """The timed call: as cheap as possible, so the timeout's cost shows."""


def bare(calls: int) -> None:
    for _ in range(calls):
        work()


def ours(calls: int) -> None:
    for _ in range(calls):
        deadline = watch("bench", HOUR)
        work()
        deadline.cancel()


def ours_in_a_worker(calls: int) -> None:
    worker = threading.Thread(target=ours, args=(calls,))
    worker.start()
    worker.join()


@contextlib.contextmanager
def ten_thousand_live() -> Iterator[None]:
    """10,000 other deadlines in the heap, earlier than the measured ones (set up untimed)."""
    live = [watch(f"live {n}", HOUR / 2 + n) for n in range(10_000)]
    try:
        yield
    finally:
        for deadline in live:
            deadline.cancel()


def setitimer_only(calls: int) -> None:
    for _ in range(calls):
        signal.setitimer(signal.ITIMER_REAL, HOUR)
        work()
        signal.setitimer(signal.ITIMER_REAL, 0)


def pytest_timeout_signal(calls: int) -> None:
    def handler(signum: int, frame: object) -> None:
        raise TimeoutError

    for _ in range(calls):
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, HOUR)
        work()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


def timer_per_call(calls: int) -> None:
    for _ in range(calls):
        timer = threading.Timer(HOUR, work)
        timer.start()
        work()
        timer.cancel()
        timer.join()


def func_timeout_per_call(calls: int) -> None:
    from func_timeout import func_timeout  # the [bench] extra

    for _ in range(calls):
        func_timeout(HOUR, work)


def asyncio_timeout(calls: int) -> None:
    async def loop() -> None:
        for _ in range(calls):
            async with asyncio.timeout(HOUR):
                work()

    asyncio.run(loop())


def ours_in_asyncio(calls: int) -> None:
    async def loop() -> None:
        task = asyncio.current_task()
        for _ in range(calls):
            deadline = watch("bench", HOUR, target=task)
            work()
            deadline.cancel()

    asyncio.run(loop())


Setup = Callable[[], contextlib.AbstractContextManager[None]]
CASES: list[tuple[str, Callable[[int], None], int, Setup]] = [
    ("bare call", bare, 1, contextlib.nullcontext),
    ("watch()+cancel(), main thread", ours, 1, contextlib.nullcontext),
    ("watch()+cancel(), worker thread", ours_in_a_worker, 1, contextlib.nullcontext),
    ("watch()+cancel(), 10,000 live deadlines", ours, 1, ten_thousand_live),
    ("watch()+cancel(), asyncio task", ours_in_asyncio, 1, contextlib.nullcontext),
    ("asyncio.timeout()", asyncio_timeout, 1, contextlib.nullcontext),
    ("signal.setitimer arm+disarm (main thread only)", setitimer_only, 1, contextlib.nullcontext),
    ("pytest-timeout signal method", pytest_timeout_signal, 1, contextlib.nullcontext),
    (
        "threading.Timer per call (pytest-timeout thread)",
        timer_per_call,
        20,
        contextlib.nullcontext,
    ),
    ("func-timeout (new thread per call)", func_timeout_per_call, 20, contextlib.nullcontext),
]


def per_call_us(calls: int, repeats: int) -> dict[str, float]:
    """Median microseconds per call of each case, the cases interleaved in every repeat."""
    samples: dict[str, list[float]] = {name: [] for name, *_ in CASES}
    for _ in range(repeats):
        for name, case, divisor, setup in CASES:
            count = max(calls // divisor, 100)
            with setup():
                start = time.perf_counter()
                case(count)
                samples[name].append((time.perf_counter() - start) / count * 1e6)
    return {name: statistics.median(times) for name, times in samples.items()}


def threads_for(concurrent: int) -> tuple[int, int]:
    """Threads that ``concurrent`` live deadlines need: ours, then one Timer each."""
    deadlines = [watch(f"task {n}", HOUR) for n in range(concurrent)]
    ours_threads = sum(t.name == "tasktiming-watchdog" for t in threading.enumerate())
    for deadline in deadlines:
        deadline.cancel()
    before = threading.active_count()
    timers = [threading.Timer(HOUR, work) for _ in range(concurrent)]
    for timer in timers:
        timer.start()
    timers_threads = threading.active_count() - before
    for timer in timers:
        timer.cancel()
    for timer in timers:
        timer.join()
    return ours_threads, timers_threads


def lateness_ms(seconds: float, runs: int) -> dict[str, list[float]]:
    """How long after ``seconds`` the TaskTimeoutError arrives, main thread and worker."""

    def spin() -> float:
        start = time.perf_counter()
        try:
            with watch("late?", seconds, on_warning=lambda deadline: None):
                while True:
                    pass
        except TaskTimeoutError:
            return (time.perf_counter() - start - seconds) * 1000
        raise AssertionError("unreachable")

    def sleep() -> float:
        start = time.perf_counter()
        try:
            with watch("late?", seconds, on_warning=lambda deadline: None):
                time.sleep(10 * seconds)
        except TaskTimeoutError:
            return (time.perf_counter() - start - seconds) * 1000
        raise AssertionError("not interrupted")

    def in_worker() -> float:
        result: list[float] = []
        worker = threading.Thread(target=lambda: result.append(spin()))
        worker.start()
        worker.join()
        return result[0]

    return {
        "main thread, Python loop": [spin() for _ in range(runs)],
        "main thread, time.sleep": [sleep() for _ in range(runs)],
        "worker thread, Python loop": [in_worker() for _ in range(runs)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("pytest_tasktiming").setLevel(logging.ERROR)  # no line per timeout

    timings = per_call_us(args.calls, args.repeats)
    reference = timings["watch()+cancel(), main thread"] - timings["bare call"]
    print(f"one-hour timeout around a trivial call, median of {args.repeats} (us per call)")
    print(f"{'':52} {'us/call':>10} {'overhead':>10} {'vs ours':>8}")
    for name, us in timings.items():
        overhead = us - timings["bare call"]
        ratio = f"{overhead / reference:7.1f}x" if name != "bare call" else ""
        print(f"{name:52} {us:10.2f} {overhead:10.2f} {ratio:>8}")

    ours_threads, timers_threads = threads_for(1000)
    print(f"\nthreads for 1,000 concurrent deadlines: ours {ours_threads}, Timer {timers_threads}")

    print("\nhow late a 0.2 s timeout arrives (ms after the limit: median, max of 5)")
    for name, late in lateness_ms(0.2, 5).items():
        print(f"  {name:28} {statistics.median(late):6.1f} {max(late):6.1f}")
    print("  (signal.alarm takes whole seconds: alarm(int(0.5)) is alarm(0), which never fires)")


if __name__ == "__main__":
    main()
