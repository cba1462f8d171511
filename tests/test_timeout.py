"""Deadlines and the watchdog: warnings, interrupts in every kind of thread, the last resort."""

from __future__ import annotations

import asyncio
import bdb
import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

import pytest
from processes import run_captured
from waiting import run_in_thread, wait_until

from pytest_tasktiming import timeout
from pytest_tasktiming._timing import clock
from pytest_tasktiming.exceptions import TaskTimeoutError, TaskTimeoutWarning
from pytest_tasktiming.timeout import (
    Deadline,
    TimeoutEnforcer,
    last_resort,
    restore_signal_handler,
    watch,
)
from pytest_tasktiming.timeout import deadline as deadline_states
from pytest_tasktiming.timeout import interrupt as _interrupt
from pytest_tasktiming.timeout import watchdog as _watchdog
from pytest_tasktiming.timeout.deadline import ASYNC_EXCEPTION, FIRING, injected

needs_signals = pytest.mark.skipif(
    _interrupt.SIGNAL is None, reason="the main thread is signalled only where there are signals"
)


def quiet(deadline: Deadline) -> None:
    """An ``on_warning`` that keeps tests free of warnings they do not look at."""


def busy_until(event: threading.Event, limit: float = 5.0) -> None:
    """Pure Python work (no C call to hide in) until ``event`` or ``limit`` seconds."""
    end = time.monotonic() + limit
    while not event.is_set() and time.monotonic() < end:
        pass


@pytest.fixture
def own_signal_handler() -> Iterator[None]:
    """Start and end the test with the watchdog's signal handler not installed."""
    restore_signal_handler()
    yield
    restore_signal_handler()


# --- the ladder: main thread, other threads, asyncio -----------------------------------------


@needs_signals
def test_main_thread_timeout_interrupts_time_sleep_with_task_timeout_error() -> None:
    start = time.monotonic()
    with pytest.raises(TimeoutError) as caught, watch("sleepy", 0.3, on_warning=quiet) as deadline:
        time.sleep(10)
    assert time.monotonic() - start < 2.0
    assert type(caught.value) is TaskTimeoutError
    assert (caught.value.task, caught.value.timeout) == ("sleepy", 0.3)
    assert caught.value.elapsed >= 0.3
    assert deadline.timed_out
    assert deadline.interrupted_by == "signal"


def test_worker_thread_python_loop_is_interrupted() -> None:
    never = threading.Event()

    def task() -> None:
        with watch("spinner", 0.3, on_warning=quiet):
            busy_until(never, limit=10)

    error = run_in_thread(task)
    assert type(error) is TaskTimeoutError
    assert error.task == "spinner"
    assert 0.3 <= error.elapsed < 3.0


def test_asyncio_task_is_cancelled_and_surfaces_as_task_timeout_error() -> None:
    async def slow() -> str:
        with watch("coro", 0.3, target=asyncio.current_task(), on_warning=quiet) as deadline:
            await asyncio.sleep(10)
        return deadline.interrupted_by or ""

    async def main() -> tuple[BaseException, int]:
        task = asyncio.ensure_future(slow())
        try:
            await task
        except TaskTimeoutError as error:
            return error, task.cancelling()
        raise AssertionError("not interrupted")

    start = time.monotonic()
    error, cancelling = asyncio.run(main())
    assert time.monotonic() - start < 3.0
    assert type(error) is TaskTimeoutError
    assert error.task == "coro"
    assert cancelling == 0, "the timeout's cancellation is taken back, as asyncio.timeout does"


def test_asyncio_cancellation_by_someone_else_stays_a_cancellation() -> None:
    async def main() -> None:
        started = asyncio.Event()

        async def body() -> None:
            with watch("coro", 60, target=asyncio.current_task(), on_warning=quiet):
                started.set()
                await asyncio.sleep(10)

        task = asyncio.ensure_future(body())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


@needs_signals
def test_half_second_timeout_fires_at_half_a_second_not_rounded_like_alarm() -> None:
    start = time.monotonic()
    with pytest.raises(TaskTimeoutError), watch("short", 0.5, on_warning=quiet):
        time.sleep(10)
    assert 0.45 <= time.monotonic() - start < 1.2


def test_nested_deadline_tells_its_own_timeout_from_an_outer_one() -> None:
    never = threading.Event()
    seen: dict[str, Any] = {}

    def task() -> None:
        with watch("outer", 0.3, on_warning=quiet) as outer:
            inner = watch("inner", 60, on_warning=quiet)
            try:
                busy_until(never, limit=10)
            except TaskTimeoutError as error:
                inner.cancel()
                seen["inner"] = inner.translate(error)
                seen["outer"] = outer.translate(error)
                raise

    assert type(run_in_thread(task)) is TaskTimeoutError
    assert seen["inner"] is None
    assert type(seen["outer"]) is TaskTimeoutError
    assert seen["outer"].task == "outer"


# --- warnings and the opt-out ----------------------------------------------------------------


def test_warning_comes_after_the_threshold_and_before_the_limit() -> None:
    times: dict[str, float] = {}
    never = threading.Event()

    def task() -> None:
        start = time.monotonic()

        def warned(deadline: Deadline) -> None:
            times["warning"] = time.monotonic() - start

        # A second between the two: a watchdog woken after the limit gives no warning at all.
        with watch("slowish", 2.0, warning_threshold=0.5, on_warning=warned):
            busy_until(never, limit=10)

    error = run_in_thread(task)
    assert isinstance(error, TaskTimeoutError)
    assert 0.95 <= times["warning"] < 2.0
    assert times["warning"] < error.elapsed


def test_a_watchdog_woken_after_the_limit_gives_no_threshold_warning() -> None:
    enforcer = TimeoutEnforcer(60)
    enforcer.start_task("late")
    deadline = enforcer._deadline
    assert deadline is not None
    deadline.started -= 100  # as if the watchdog woke 100 s late, past the limit
    with pytest.warns(TaskTimeoutWarning) as caught:
        _watchdog.watchdog._act(deadline)
    enforcer.stop_task()
    assert [str(warning.message) for warning in caught] == [
        "task 'late' ran past its 60s timeout (1.67 min so far); not enforced, it goes on"
    ]


def test_an_enforced_deadline_woken_after_the_limit_is_stopped_without_a_warning() -> None:
    seen: list[str] = []
    running: list[Deadline] = []
    started = threading.Event()

    def task() -> None:
        with watch(
            "late",
            60,
            on_warning=lambda _: seen.append("warning"),
            on_timeout=lambda _: seen.append("timeout"),
        ) as deadline:
            running.append(deadline)
            started.set()
            busy_until(threading.Event(), limit=10)

    def act_late() -> None:
        assert started.wait(10)
        running[0].started -= 100  # as if the watchdog woke 100 s late
        _watchdog.watchdog._act(running[0])

    waker = threading.Thread(target=act_late)
    waker.start()
    error = run_in_thread(task)
    waker.join()
    assert type(error) is TaskTimeoutError
    assert seen == ["timeout"]


class _Signal(logging.Handler):
    """Sets an event when a record about ``task`` arrives: waiting for the watchdog."""

    def __init__(self, task: str) -> None:
        super().__init__()
        self.task = task
        self.records: list[logging.LogRecord] = []
        self.arrived = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if f"task {self.task!r}" in record.getMessage():
            self.records.append(record)
            self.arrived.set()


def test_threshold_warning_is_a_task_timeout_warning_and_a_log_line() -> None:
    handler = _Signal("report")
    logger = logging.getLogger("pytest_tasktiming")
    logger.addHandler(handler)
    try:
        with (  # warned at 0.5 s, long before the limit (a watchdog woken after it skips it)
            pytest.warns(TaskTimeoutWarning, match=r"'report' has run [\d.]+ m?s, \d+% of its 2s"),
            watch("report", 2.0, warning_threshold=0.25, enforce=False),
        ):
            assert handler.arrived.wait(5)
    finally:
        logger.removeHandler(handler)
    message = handler.records[0].getMessage()
    assert "task 'report' has run " in message
    assert "of its 2s timeout" in message


def test_opt_out_only_warns_and_the_function_completes() -> None:
    past_limit = threading.Event()
    calls: list[tuple[bool, bool]] = []

    def on_warning(deadline: Deadline) -> None:
        calls.append((deadline.warned, deadline.expired))
        if deadline.expired:
            past_limit.set()

    def task() -> str:
        with watch(  # the threshold well before the limit: a late watchdog would skip it
            "lenient", 1.0, warning_threshold=0.3, enforce=False, on_warning=on_warning
        ) as deadline:
            assert past_limit.wait(5), "no warning at the limit"
        assert not deadline.timed_out
        return "finished"

    assert run_in_thread(task) is None
    assert calls == [(True, False), (True, True)]


def test_a_failing_warning_callback_does_not_stop_enforcement(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(deadline: Deadline) -> None:
        raise RuntimeError("callback bug")

    never = threading.Event()

    def task() -> None:
        with watch("robust", 1.0, warning_threshold=0.3, on_warning=broken):
            busy_until(never, limit=10)

    assert type(run_in_thread(task)) is TaskTimeoutError
    assert "callback bug" in caplog.text


def test_debugger_makes_the_watchdog_stand_down() -> None:
    # A timeout first: once an interrupt went astray and left traced code spinning forever.
    assert isinstance(run_in_thread(lambda: _spin_past("first", 0.2)), TaskTimeoutError)
    reached_limit = threading.Event()

    class SilentDebugger(bdb.Bdb):
        def user_line(self, frame: FrameType) -> None:
            pass

    def on_warning(deadline: Deadline) -> None:
        if deadline.expired:
            reached_limit.set()

    def task() -> None:
        debugger = SilentDebugger()
        with watch("debugged", 0.2, on_warning=on_warning) as deadline:
            debugger.set_trace()
            busy_until(reached_limit, limit=5)
            debugger.set_continue()
        assert reached_limit.is_set()
        assert deadline.expired
        assert not deadline.timed_out

    assert run_in_thread(task) is None


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_prevents_firing() -> None:
    fired: list[str] = []
    sentinel_done = threading.Event()

    def record(deadline: Deadline) -> None:
        fired.append(deadline.task)

    def sentinel_seen(deadline: Deadline) -> None:
        if deadline.expired:
            sentinel_done.set()

    cancelled = watch("cancelled", 0.2, on_warning=record, on_timeout=record)
    cancelled.cancel()
    sentinel = watch("sentinel", 0.4, enforce=False, on_warning=sentinel_seen)
    assert sentinel_done.wait(5)  # the heap is in time order: "cancelled" came due first
    sentinel.cancel()
    assert fired == []
    assert not cancelled.timed_out


class _Gate:
    """Stands in for the fire lock: the test plays the watchdog delivering an interrupt."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.lock = threading.Lock()
        self.lock.acquire()

    def __enter__(self) -> None:
        self.entered.set()
        self.lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.lock.release()


def test_cancel_swallows_an_interrupt_sent_as_the_task_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = _Gate()
    monkeypatch.setattr(deadline_states, "fire_lock", gate)
    deadlines: list[Deadline] = []
    outcome: list[str] = []

    def task() -> None:
        try:
            deadline = watch("just in time", 60, on_warning=quiet)
            deadlines.append(deadline)
            deadline._mark(deadline._stage, FIRING)  # the watchdog fires as it ends
            deadline.cancel()
            total = sum(range(100_000))  # plenty of bytecodes for a stray exception
            outcome.append(f"ran to the end: {total}")
        except BaseException as error:
            outcome.append(f"interrupted by {error!r}")

    worker = threading.Thread(target=task)
    worker.start()
    assert gate.entered.wait(5)
    deadline = deadlines[0]
    assert worker.ident is not None
    deadline._how = ASYNC_EXCEPTION
    assert _interrupt.set_async_exc(worker.ident, injected(deadline))
    gate.lock.release()
    worker.join(5)
    assert outcome == [f"ran to the end: {sum(range(100_000))}"]


def test_no_timeout_gives_an_inert_deadline() -> None:
    before = len(_watchdog.watchdog.heap)
    with watch("unlimited", None) as deadline:
        pass
    assert deadline.timeout is None
    assert watch("zero", 0).timeout is None
    assert len(_watchdog.watchdog.heap) == before


# --- one watchdog thread ---------------------------------------------------------------------


def test_ten_thousand_concurrent_deadlines_add_exactly_one_thread() -> None:
    before = {thread.ident for thread in threading.enumerate()}
    deadlines = [watch(f"task {n}", 3600 + n, on_warning=quiet) for n in range(10_000)]
    new = [thread for thread in threading.enumerate() if thread.ident not in before]
    watchdogs = [t for t in threading.enumerate() if t.name == "tasktiming-watchdog"]
    for deadline in deadlines:
        deadline.cancel()
    assert [thread.name for thread in new] in ([], ["tasktiming-watchdog"])
    assert len(watchdogs) == 1


def test_cancelled_deadlines_do_not_pile_up_in_the_heap() -> None:
    for n in range(20_000):
        watch(f"task {n}", 3600, on_warning=quiet).cancel()
    assert len(_watchdog.watchdog.heap) <= 2 * _watchdog._MIN_COMPACT


def test_a_short_deadline_after_many_long_ones_still_fires() -> None:
    for n in range(2_000):  # the watchdog learns of these lazily, and sleeps past them all
        watch(f"long {n}", 3600, on_warning=quiet).cancel()
    warned = threading.Event()
    with watch("short", 0.1, enforce=False, on_warning=lambda _: warned.set()):
        assert warned.wait(5), "the short deadline's warning never came"


def test_only_a_new_earliest_deadline_wakes_the_watchdog() -> None:
    watchdog = _watchdog.Watchdog()
    wakeups: list[str] = []
    notify = watchdog.wakeup.notify

    def counted(n: int = 1) -> None:
        wakeups.append(task)
        notify(n)

    watchdog.wakeup.notify = counted  # type: ignore[method-assign]
    now = clock.mono()
    deadlines = {task: watch(task, None) for task in ("first", "later", "later still", "earlier")}
    task = "first"
    watchdog.add(now + 100, deadlines[task])  # starts the thread, which sleeps until then
    assert watchdog.thread is not None
    watchdog.thread.name = "a test's own watchdog"  # not the process's, in stack dumps
    wait_until(lambda: watchdog.wakes_at == now + 100)
    for task, delay in [("later", 200), ("later still", 300)]:
        watchdog.add(now + delay, deadlines[task])
    assert wakeups == []
    task = "earlier"
    watchdog.add(now + 50, deadlines[task])
    assert wakeups == ["earlier"]
    wait_until(lambda: watchdog.wakes_at == now + 50)
    assert sorted(entry[2].task for entry in watchdog.heap) == sorted(deadlines)
    for deadline in deadlines.values():
        deadline.cancel()


def test_watchdog_is_restarted_in_a_forked_child() -> None:
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    watch("parent's", 3600, on_warning=quiet).cancel()  # the parent's watchdog is running
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, 3.12+
        pid = os.fork()
    if pid == 0:  # the child: exit 0 only if its own watchdog interrupts it
        code = 1
        try:
            with watch("child's", 0.2, on_warning=quiet):
                busy_until(threading.Event(), limit=5)
        except TaskTimeoutError:
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# --- the signal handler ----------------------------------------------------------------------


class UsersHandler(NamedTuple):
    """A signal handler of the user's own, and the event it sets when called."""

    function: Callable[[int, FrameType | None], None]
    called: threading.Event


@contextlib.contextmanager
def users_handler(signum: int) -> Iterator[UsersHandler]:
    """Install a user's handler for ``signum``; put back the one before it afterwards."""
    called = threading.Event()

    def function(signum: int, frame: FrameType | None) -> None:
        called.set()

    original = signal.signal(signum, function)
    try:
        yield UsersHandler(function, called)
    finally:
        signal.signal(signum, original)


@needs_signals
def test_previous_handler_gets_foreign_signals_and_is_restored(own_signal_handler: None) -> None:
    assert _interrupt.SIGNAL is not None
    with users_handler(_interrupt.SIGNAL) as users:
        with watch("task", 60, on_warning=quiet):
            assert signal.getsignal(_interrupt.SIGNAL) is not users.function
            signal.pthread_kill(threading.get_ident(), _interrupt.SIGNAL)
            assert users.called.wait(5), "a signal the watchdog did not send was swallowed"
        restore_signal_handler()
        assert signal.getsignal(_interrupt.SIGNAL) is users.function


@needs_signals
def test_users_sigalrm_handler_is_untouched_and_still_fires() -> None:
    with users_handler(signal.SIGALRM) as alarm:
        try:
            with watch("task", 60, on_warning=quiet):
                signal.setitimer(signal.ITIMER_REAL, 0.05)
                assert alarm.called.wait(5)
            assert signal.getsignal(signal.SIGALRM) is alarm.function
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


@needs_signals
def test_a_handler_installed_after_ours_is_never_clobbered(own_signal_handler: None) -> None:
    assert _interrupt.SIGNAL is not None
    watch("installs ours", 60, on_warning=quiet).cancel()
    with users_handler(_interrupt.SIGNAL) as later:
        with pytest.raises(TaskTimeoutError), watch("falls back", 0.2, on_warning=quiet) as d:
            busy_until(threading.Event(), limit=10)
        assert d.interrupted_by == "async exception"
        restore_signal_handler()
        assert signal.getsignal(_interrupt.SIGNAL) is later.function


# --- the last resort -------------------------------------------------------------------------


def test_uninterruptible_c_call_triggers_the_last_resort(
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = threading.Lock()
    blocker.acquire()
    stuck = threading.Event()

    def stuck_in_c_code() -> None:
        with watch("stubborn", 0.2, on_warning=quiet, on_stuck=lambda _: stuck.set(), grace=0.2):
            blocker.acquire()  # an async exception cannot reach into a C call

    raised: list[BaseException] = []
    worker = threading.Thread(
        target=lambda: raised.extend(_raised_by(stuck_in_c_code)), name="stubborn-worker"
    )
    worker.start()
    assert stuck.wait(5), "on_stuck was not called"
    blocker.release()
    worker.join(5)
    err = capsys.readouterr().err
    assert "task 'stubborn' is still running" in err
    assert "not exiting" in err
    assert "Thread 'stubborn-worker'" in err
    assert "in stuck_in_c_code" in err
    assert "Thread 'tasktiming-watchdog'" not in err
    assert [type(error) for error in raised] == [TaskTimeoutError], "raised once it got out"


def _raised_by(func: Callable[[], object]) -> list[BaseException]:
    try:
        func()
    except BaseException as error:
        return [error]
    return []


def test_exit_on_stuck_exits_the_process_with_its_code_after_flushing(tmp_path: Path) -> None:
    tsv = tmp_path / "stuck.tsv"
    script = textwrap.dedent(
        f"""
        import threading, time
        from pytest_tasktiming.records import new_task_id
        from pytest_tasktiming.timeout import watch
        from pytest_tasktiming.writer import AsyncBufferedWriter

        lazy = AsyncBufferedWriter({str(tsv)!r}, flush_interval=3600, buffer_size=1000)
        now = time.time_ns()
        lazy.put((now, "code", new_task_id(), now, None, None, "job", "started"))

        def job():
            with watch("job", 0.2, on_warning=lambda d: None):
                time.sleep(60)  # in a worker thread, no exception gets in

        worker = threading.Thread(target=job, name="sleeper")
        worker.start()
        worker.join()
        """
    )
    (tmp_path / "stuck.py").write_text(script)
    start = time.monotonic()
    done = run_captured(
        [sys.executable, str(tmp_path / "stuck.py")],
        timeout=30,
        TASK_TIMING_EXIT_ON_STUCK="1",
        TASK_TIMING_GRACE="0.3",
    )
    assert done.returncode == timeout.EXIT_ON_STUCK_CODE == 124
    assert time.monotonic() - start < 20
    assert "task 'job' is still running" in done.stderr
    assert f"exiting with status {timeout.EXIT_ON_STUCK_CODE}" in done.stderr
    assert "Thread 'sleeper'" in done.stderr
    assert "time.sleep(60)" in done.stderr
    assert "\tjob\tstarted\n" in tsv.read_text(), "the writer was not flushed before exiting"


def test_bad_grace_in_the_environment_is_reported_and_the_default_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TASK_TIMING_GRACE", "soon")
    deadline = watch("x", 60)
    deadline.cancel()
    assert last_resort.grace(deadline) == timeout.DEFAULT_GRACE
    assert "invalid timeout 'soon' from environment variable TASK_TIMING_GRACE" in caplog.text


# --- TimeoutEnforcer ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "seconds"),
    [
        pytest.param(90, 90.0, id="int"),
        pytest.param(0.5, 0.5, id="float"),
        pytest.param("90", 90.0, id="string-seconds"),
        pytest.param("30m", 1800.0, id="minutes"),
        pytest.param("1.5h", 5400.0, id="hours"),
        pytest.param(None, None, id="none-disables"),
        pytest.param(0, None, id="zero-disables"),
    ],
)
def test_enforcer_accepts_seconds_and_strings_with_units(given: Any, seconds: Any) -> None:
    assert TimeoutEnforcer(given).timeout == seconds


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"timeout_seconds": "abc"}, "invalid timeout 'abc'", id="word"),
        pytest.param({"timeout_seconds": -1}, "invalid timeout -1", id="negative"),
        pytest.param({"timeout_seconds": "5 parsecs"}, "invalid timeout '5 parsecs'", id="unit"),
        pytest.param({"warning_threshold": 1.5}, "invalid warning_threshold 1.5", id="ratio"),
        pytest.param({"warning_threshold": 0}, "invalid warning_threshold 0", id="zero"),
    ],
)
def test_enforcer_rejects_bad_values_with_a_clear_message(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        TimeoutEnforcer(**kwargs)
    assert "\n" not in str(caught.value)


@pytest.fixture
def fake_mono(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A monotonic clock the test moves by hand, seen only by a watchdog of the test's own.

    The process's watchdog must never see fake times: it would go on sleeping towards a
    deadline computed on them, long after the test, and miss every later deadline.
    """
    now = [1000.0]
    monkeypatch.setattr(clock, "mono", lambda: now[0])
    own = _watchdog.Watchdog()
    monkeypatch.setattr(_watchdog, "watchdog", own)
    monkeypatch.setattr(timeout, "watchdog", own)
    return now


def test_check_timeout_reports_progress_warning_and_limit(fake_mono: list[float]) -> None:
    now = fake_mono
    enforcer = TimeoutEnforcer("1h")
    assert enforcer.check_timeout() == (False, "no task started")
    enforcer.start_task("nightly build")
    now[0] += 60
    assert enforcer.check_timeout() == (
        False,
        "task 'nightly build': 60.0s elapsed, limit 3600s",
    )
    now[0] += 2940
    should, message = enforcer.check_timeout()
    assert not should
    assert message.startswith("warning: task 'nightly build' is near its timeout: 3000.0s")
    now[0] += 601
    assert enforcer.check_timeout() == (
        True,
        "task 'nightly build' timed out: 3601.0s elapsed, limit 3600s",
    )
    assert enforcer.stop_task() == 3601.0
    assert enforcer.check_timeout() == (False, "no task started")


def test_check_timeout_when_opted_out_only_warns(fake_mono: list[float]) -> None:
    now = fake_mono
    enforcer = TimeoutEnforcer(10, opt_out=True)
    enforcer.start_task("lenient")
    now[0] += 12.0
    should, message = enforcer.check_timeout()
    enforcer.stop_task()
    assert not should
    assert "warning" in message
    assert "12.0s elapsed, limit 10s" in message
    assert "not enforced" in message


def test_execute_with_timeout_returns_the_result_in_time() -> None:
    assert TimeoutEnforcer(5).execute_with_timeout(lambda a, b=0: a + b, 1, b=2) == 3


def test_execute_with_timeout_raises_task_timeout_error_at_the_limit() -> None:
    enforcer = TimeoutEnforcer(0.3)

    def runaway() -> None:
        busy_until(threading.Event(), limit=10)

    error = run_in_thread(lambda: enforcer.execute_with_timeout(runaway))
    assert type(error) is TaskTimeoutError
    assert error.task.endswith("runaway")


def test_execute_with_timeout_opted_out_runs_to_the_end() -> None:
    enforcer = TimeoutEnforcer(0.2, opt_out=True)
    with pytest.warns(TaskTimeoutWarning, match="has run|ran past") as caught:
        result = enforcer.execute_with_timeout(time.sleep, 0.8)  # the work, not a wait
    assert result is None
    assert "ran past its 0.2s timeout" in str(caught[-1].message)


def test_the_timeout_module_imports_neither_pytest_nor_ctypes() -> None:
    code = (
        "import sys, pytest_tasktiming.timeout; "
        "print(sorted({'pytest', 'ctypes'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


# --- exceptions ------------------------------------------------------------------------------


def _spin_past(task: str, seconds: float) -> None:
    """Pure Python work past a deadline, with no ``with`` to translate the error."""
    deadline = watch(task, seconds, on_warning=quiet)
    try:
        busy_until(threading.Event(), limit=10)
    finally:
        deadline.cancel()


def test_timeout_errors_pickle_as_plain_task_timeout_errors() -> None:
    injected = run_in_thread(lambda: _spin_past("pickled", 0.2))
    assert isinstance(injected, TaskTimeoutError)
    for error in (injected, TaskTimeoutError("plain", 1.0, 1.5)):
        clone = pickle.loads(pickle.dumps(error))
        assert type(clone) is TaskTimeoutError
        assert (clone.task, clone.timeout, clone.elapsed) == (
            error.task,
            error.timeout,
            error.elapsed,
        )
        assert str(clone) == str(error)
    warning = pickle.loads(pickle.dumps(TaskTimeoutWarning("near")))
    assert type(warning) is TaskTimeoutWarning


def test_a_timeout_that_is_not_the_tasks_own_says_which_limit_it_reached() -> None:
    error = TaskTimeoutError("t", 5.0, 6.25, "the session's 6s limit was reached")
    assert str(error) == "task 't' timed out after 6.250s: the session's 6s limit was reached"
    clone = pickle.loads(pickle.dumps(error))
    assert (clone.reason, str(clone)) == (error.reason, str(error))
    assert TaskTimeoutError("t", 5.0, 6.25).reason is None


def test_with_block_raises_a_plain_error_pointing_at_the_interrupted_line() -> None:
    def task() -> None:
        with watch("traced", 0.2, on_warning=quiet):
            busy_until(threading.Event(), limit=10)

    error = run_in_thread(task)
    assert type(error) is TaskTimeoutError
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert "busy_until" in frames
