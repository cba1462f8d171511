"""@timed_task and timed(): the rows each kind of callable writes, and what passes through."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import functools
import inspect
import logging
import multiprocessing
import pickle
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from processes import run_captured, run_python
from waiting import run_in_thread

from pytest_tasktiming import (
    FailureLimitExceeded,
    TaskRow,
    TaskTimeoutError,
    TaskTimeoutWarning,
    fold,
    read_rows,
    set_recording,
    timed,
    timed_task,
)
from pytest_tasktiming import _task_run as _run
from pytest_tasktiming.records import new_task_id
from pytest_tasktiming.writer import flush_all

MODULE = __name__


def rows_in(path: Path) -> list[TaskRow]:
    """Every row in the file, once everything queued is written."""
    flush_all()
    return list(read_rows(path)) if path.exists() else []


def finals_in(path: Path) -> list[TaskRow]:
    """The final row of every task, in the order the tasks started."""
    return list(fold(rows_in(path)).values())


def results_in(path: Path) -> list[tuple[str, str]]:
    return [(row.task, row.result) for row in finals_in(path)]


def only_duration(path: Path, result: str) -> float:
    """The duration of the one task in the file, once it checked that it ended in ``result``."""
    (final,) = finals_in(path)
    assert final.result == result
    assert final.duration is not None
    return final.duration


@pytest.fixture(autouse=True)
def _recording_restored(tsv_path: Path) -> Iterator[None]:
    """Every test writes to its own file and leaves recording on."""
    yield
    set_recording(True)


# --- rows ------------------------------------------------------------------------------------


def test_a_call_writes_a_started_row_then_a_completed_row_with_the_same_id(
    tsv_path: Path,
) -> None:
    @timed_task
    def add(a: int, b: int) -> int:
        return a + b

    assert add(2, 3) == 5
    started, final = rows_in(tsv_path)
    assert (started.result, final.result) == ("started", "completed")
    assert started.task_id == final.task_id
    assert started.task == final.task == f"{MODULE}.{add.__qualname__}"
    assert started.mode == final.mode == "code"
    assert started.end_time is None and started.duration is None
    assert final.start_time == started.start_time
    assert final.end_time is not None and final.duration is not None
    span = (final.end_time - final.start_time).total_seconds()
    assert abs(span - final.duration) < 1.5e-6  # the monotonic duration, to the microsecond
    assert final.timestamp == final.end_time


def test_the_name_and_mode_arguments_fill_the_task_and_mode_columns(tsv_path: Path) -> None:
    @timed_task(name="nightly build", mode="ci", timeout=None)
    def build() -> None:
        pass

    build()
    assert [(row.task, row.mode) for row in rows_in(tsv_path)] == [("nightly build", "ci")] * 2


def test_the_duration_is_the_time_the_body_took(tsv_path: Path) -> None:
    @timed_task(timeout=None)
    def wait() -> None:
        threading.Event().wait(0.2)

    wait()
    assert 0.2 <= only_duration(tsv_path, "completed") < 2


def test_an_exception_is_a_failed_row_and_reaches_the_caller_untouched(tsv_path: Path) -> None:
    error = ValueError("no such host")

    def connect() -> None:
        raise error

    with pytest.raises(ValueError, match="no such host") as info:
        timed_task(timeout=None)(connect)()
    assert info.value is error
    assert info.value.__cause__ is None and info.value.__context__ is None
    hidden = [entry.frame.f_locals.get("__tracebackhide__", False) for entry in info.traceback]
    visible = [entry.name for entry, hide in zip(info.traceback, hidden, strict=True) if not hide]
    assert visible == [
        "test_an_exception_is_a_failed_row_and_reaches_the_caller_untouched",
        "connect",
    ]
    assert results_in(tsv_path) == [(f"{MODULE}.{connect.__qualname__}", "failed")]


def test_a_keyboard_interrupt_ends_the_row_as_failed_and_propagates(tsv_path: Path) -> None:
    @timed_task(name="interrupted", timeout=None)
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert results_in(tsv_path) == [("interrupted", "failed")]


def test_the_path_argument_writes_to_that_file(tsv_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.tsv"

    @timed_task(name="elsewhere", timeout=None, path=other)
    def elsewhere() -> None:
        pass

    elsewhere()
    assert results_in(other) == [("elsewhere", "completed")]
    assert rows_in(tsv_path) == []


def test_a_changed_task_timing_file_is_followed_by_later_calls(
    tsv_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @timed_task(name="step", timeout=None)
    def step() -> None:
        pass

    step()
    second = tmp_path / "second.tsv"
    monkeypatch.setenv("TASK_TIMING_FILE", str(second))
    step()
    assert len(rows_in(tsv_path)) == len(rows_in(second)) == 2


# --- every kind of callable ------------------------------------------------------------------


class Service:
    """Methods decorated every way a user might."""

    def __init__(self, factor: int) -> None:
        self.factor = factor

    @timed_task
    def method(self, x: int) -> int:
        return self.factor * x

    @classmethod
    @timed_task
    def class_outside(cls, x: int) -> str:
        return f"{cls.__name__}:{x}"

    @timed_task
    @classmethod
    def class_inside(cls, x: int) -> str:
        return f"{cls.__name__}:{x}"

    @staticmethod
    @timed_task
    def static_outside(x: int) -> int:
        return -x

    @timed_task
    @staticmethod
    def static_inside(x: int) -> int:
        return -x


class SubService(Service):
    pass


@pytest.mark.parametrize(
    ("call", "expected", "task"),
    [
        pytest.param(lambda: Service(3).method(2), 6, "Service.method", id="method"),
        pytest.param(
            lambda: SubService.class_outside(1), "SubService:1", "Service.class_outside",
            id="classmethod-outside",
        ),
        pytest.param(
            lambda: SubService(1).class_inside(1), "SubService:1", "Service.class_inside",
            id="classmethod-inside",
        ),
        pytest.param(
            lambda: Service.static_outside(4), -4, "Service.static_outside",
            id="staticmethod-outside",
        ),
        pytest.param(
            lambda: Service(1).static_inside(4), -4, "Service.static_inside",
            id="staticmethod-inside",
        ),
    ],
)  # fmt: skip
def test_methods_class_and_static_methods_bind_as_usual_and_are_recorded(
    tsv_path: Path, call: Callable[[], object], expected: object, task: str
) -> None:
    assert call() == expected
    assert results_in(tsv_path) == [(f"{MODULE}.{task}", "completed")]


def test_an_async_function_is_timed_around_its_awaited_body(tsv_path: Path) -> None:
    @timed_task(name="fetch", timeout=None)
    async def fetch(x: int) -> int:
        await asyncio.sleep(0.05)
        return x

    async def main() -> int:
        pending = fetch(7)
        await asyncio.sleep(0.3)  # created long before it is awaited: not part of the task
        return await pending

    assert asyncio.run(main()) == 7
    assert 0.05 <= only_duration(tsv_path, "completed") < 0.3


def test_a_coroutine_driven_outside_asyncio_is_recorded_and_never_interrupted(
    tsv_path: Path,
) -> None:
    @timed_task(name="by hand", timeout=30)
    async def by_hand() -> str:
        return "done"

    coroutine = by_hand()
    with pytest.raises(StopIteration) as stop:
        coroutine.send(None)  # as trio or a hand-written scheduler drives it: no asyncio loop
    assert stop.value.value == "done"
    assert results_in(tsv_path) == [("by hand", "completed")]


def test_a_generator_is_timed_over_the_whole_iteration(tsv_path: Path) -> None:
    @timed_task(name="pages", timeout=None)
    def pages(count: int) -> Iterator[int]:
        yield from range(count)

    iterator = pages(3)
    assert rows_in(tsv_path) == []  # nothing ran yet
    assert next(iterator) == 0
    assert [row.result for row in rows_in(tsv_path)] == ["started"]
    threading.Event().wait(0.2)  # the consumer's time between items is part of the iteration
    assert list(iterator) == [1, 2]
    assert only_duration(tsv_path, "completed") >= 0.2


def test_a_generator_passes_sent_values_and_its_return_value_through(tsv_path: Path) -> None:
    @timed_task(name="echo", timeout=None)
    def echo() -> Any:
        received = yield "ready"
        yield f"got {received}"
        return "done"

    generator = echo()
    assert next(generator) == "ready"
    assert generator.send("x") == "got x"
    with pytest.raises(StopIteration) as stop:
        next(generator)
    assert stop.value.value == "done"
    assert results_in(tsv_path) == [("echo", "completed")]


def test_a_generator_closed_early_is_completed_and_one_that_raises_is_failed(
    tsv_path: Path,
) -> None:
    @timed_task(name="numbers", timeout=None)
    def numbers() -> Iterator[int]:
        yield from range(100)

    for number in numbers():
        if number == 2:
            break
    generator = numbers()
    next(generator)
    with pytest.raises(ValueError, match="bad page"):
        generator.throw(ValueError("bad page"))
    assert results_in(tsv_path) == [("numbers", "completed"), ("numbers", "failed")]


def test_an_async_generator_is_timed_over_the_iteration_and_passes_everything_through(
    tsv_path: Path,
) -> None:
    @timed_task(name="stream", timeout=None)
    async def stream() -> AsyncIterator[str]:
        received = yield "first"
        yield f"got {received}"
        yield "last"

    async def main() -> list[str]:
        seen = []
        generator = stream()
        seen.append(await generator.__anext__())
        await asyncio.sleep(0.2)  # the consumer's pause is part of the iteration
        seen.append(await generator.asend("x"))
        seen.extend([item async for item in generator])
        early = stream()
        await early.__anext__()
        await early.aclose()
        failing = stream()
        await failing.__anext__()
        with pytest.raises(KeyError):
            await failing.athrow(KeyError("gone"))
        return seen

    assert asyncio.run(main()) == ["first", "got x", "last"]
    finals = finals_in(tsv_path)
    assert [row.result for row in finals] == ["completed", "completed", "failed"]
    assert finals[0].duration is not None and finals[0].duration >= 0.2


class Greeter:
    """A callable object: wrapped by a transparent proxy, not replaced by a function."""

    def __init__(self) -> None:
        self.greeted = 0

    def __call__(self, name: str) -> str:
        self.greeted += 1
        return f"hello {name}"


class AsyncGreeter:
    async def __call__(self, name: str) -> str:
        await asyncio.sleep(0)
        return f"hi {name}"


def test_a_callable_object_keeps_its_type_and_attributes(tsv_path: Path) -> None:
    greeter = Greeter()
    timed_greeter = timed_task(name="greet", timeout=None)(greeter)
    assert timed_greeter("ada") == "hello ada"
    assert isinstance(timed_greeter, Greeter)
    assert timed_greeter.greeted == greeter.greeted == 1
    timed_async = timed_task(name="greet async", timeout=None)(AsyncGreeter())
    assert asyncio.run(timed_async("bob")) == "hi bob"
    partial = timed_task(name="partial", timeout=None)(functools.partial(pow, 2))
    assert partial(10) == 1024
    async_partial = timed_task(name="async partial", timeout=None)(
        functools.partial(AsyncGreeter().__call__, "eve")
    )
    pending = async_partial()
    assert [task for task, _ in results_in(tsv_path)] == ["greet", "greet async", "partial"]
    assert asyncio.run(pending) == "hi eve"  # the task begins when awaited, not when called
    assert results_in(tsv_path) == [
        ("greet", "completed"),
        ("greet async", "completed"),
        ("partial", "completed"),
        ("async partial", "completed"),
    ]


def test_a_class_is_refused_with_a_clear_message() -> None:
    with pytest.raises(TypeError, match="decorate its methods"):
        timed_task(Greeter)
    with pytest.raises(TypeError, match="decorates functions"):
        timed_task(42)  # type: ignore[call-overload]


# --- what is preserved -----------------------------------------------------------------------


def documented(a: int, /, b: str = "x", *, c: float = 1.0) -> str:
    """Docs of the original."""
    return f"{a}{b}{c}"


async def documented_async(a: int) -> int:
    return a


def documented_generator(a: int) -> Iterator[int]:
    yield a


async def documented_async_generator(a: int) -> AsyncIterator[int]:
    yield a


@pytest.mark.parametrize(
    ("func", "check"),
    [
        pytest.param(documented, inspect.isfunction, id="function"),
        pytest.param(documented_async, inspect.iscoroutinefunction, id="async"),
        pytest.param(documented_generator, inspect.isgeneratorfunction, id="generator"),
        pytest.param(documented_async_generator, inspect.isasyncgenfunction, id="async-generator"),
    ],
)
def test_metadata_signature_and_kind_are_preserved(
    func: Callable[..., Any], check: Callable[[object], bool]
) -> None:
    for wrapped in (timed_task(func), timed_task(timeout=None)(func)):
        assert wrapped is not func
        assert wrapped.__wrapped__ is func  # type: ignore[attr-defined]
        assert (wrapped.__name__, wrapped.__qualname__) == (func.__name__, func.__qualname__)
        assert (wrapped.__doc__, wrapped.__module__) == (func.__doc__, func.__module__)
        assert inspect.signature(wrapped) == inspect.signature(func)
        assert check(wrapped)


@timed_task(timeout=None)
def pooled_square(x: int) -> int:
    """Module level, so it pickles by name into a process pool."""
    return x * x


def test_a_decorated_function_pickles_as_itself() -> None:
    assert pickle.loads(pickle.dumps(pooled_square)) is pooled_square


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_calls_in_a_process_pool_reach_the_file(tsv_path: Path, start_method: str) -> None:
    assert pooled_square(1) == 1  # the parent's writer runs when the workers are forked
    context = multiprocessing.get_context(start_method)
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        assert list(pool.map(pooled_square, range(6))) == [x * x for x in range(6)]
    this_process = new_task_id().split("-")[0]
    finals = [row for row in finals_in(tsv_path) if not row.task_id.startswith(this_process)]
    assert [row.result for row in finals] == ["completed"] * 6
    assert {row.task for row in finals} == {f"{MODULE}.pooled_square"}


# --- threads, recursion, nesting -------------------------------------------------------------


def test_concurrent_threads_each_get_their_own_task_and_duration(tsv_path: Path) -> None:
    all_inside = threading.Barrier(4)

    @timed_task(name="worker", timeout=None)
    def worker() -> None:
        all_inside.wait(timeout=10)  # four calls of one decorated function overlap here

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finals = finals_in(tsv_path)
    assert len({row.task_id for row in finals}) == 4
    assert [row.result for row in finals] == ["completed"] * 4
    latest_start = max(row.start_time for row in finals)
    assert all(row.end_time is not None and row.end_time >= latest_start for row in finals)


def test_recursive_calls_nest_each_with_its_own_id(tsv_path: Path) -> None:
    @timed_task(name="walk", timeout=None)
    def walk(depth: int) -> int:
        return 0 if depth == 0 else 1 + walk(depth - 1)

    assert walk(3) == 3
    rows = rows_in(tsv_path)
    assert [row.result for row in rows] == ["started"] * 4 + ["completed"] * 4
    ids = [row.task_id for row in rows]
    assert len(set(ids)) == 4
    assert ids[4:] == ids[3::-1]  # the innermost call ends first
    outer, inner = fold(rows)[ids[0]], fold(rows)[ids[3]]
    assert outer.duration is not None and inner.duration is not None
    assert outer.duration >= inner.duration


def test_a_timed_block_inside_a_timed_call_is_a_separate_task(tsv_path: Path) -> None:
    @timed_task(name="outer", timeout=None)
    def outer() -> str:
        with timed("inner", timeout=None) as block:
            pass
        return block.task_id

    inner_id = outer()
    finals = {row.task: row for row in finals_in(tsv_path)}
    assert finals["inner"].task_id == inner_id != finals["outer"].task_id
    assert finals["outer"].start_time <= finals["inner"].start_time
    assert finals["inner"].end_time is not None and finals["outer"].end_time is not None
    assert finals["inner"].end_time <= finals["outer"].end_time


# --- timed() ---------------------------------------------------------------------------------


def test_timed_records_a_with_block_and_exposes_its_id_and_elapsed(tsv_path: Path) -> None:
    with timed("load", mode="etl", timeout=None) as block:
        threading.Event().wait(0.1)
        assert block.elapsed >= 0.1
    (final,) = finals_in(tsv_path)
    assert (final.task, final.mode, final.result) == ("load", "etl", "completed")
    assert final.task_id == block.task_id
    assert final.duration is not None and abs(block.elapsed - final.duration) < 1e-6


def test_timed_records_an_async_with_block(tsv_path: Path) -> None:
    async def main() -> str:
        async with timed("download", timeout=None) as block:
            await asyncio.sleep(0.05)
        return block.task_id

    task_id = asyncio.run(main())
    (final,) = finals_in(tsv_path)
    assert (final.task_id, final.result) == (task_id, "completed")
    assert final.duration is not None and final.duration >= 0.05


def test_timed_lets_an_exception_through_and_records_failed(tsv_path: Path) -> None:
    with pytest.raises(OSError, match="disk full"), timed("save", timeout=None):
        raise OSError("disk full")
    assert results_in(tsv_path) == [("save", "failed")]


def test_one_timed_object_times_one_block_at_a_time(tsv_path: Path) -> None:
    step = timed("step", timeout=None)
    with step:
        first = step.task_id
        with pytest.raises(RuntimeError, match="already running"), step:
            pass
    with step:
        second = step.task_id
    assert first != second
    assert [row.task_id for row in finals_in(tsv_path)] == [first, second]


# --- the off switch --------------------------------------------------------------------------


def test_task_timing_0_at_decoration_returns_the_function_itself(
    tsv_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASK_TIMING", "0")

    def step() -> int:
        return 1

    assert timed_task(step) is step
    assert timed_task(timeout="1h", max_failures=2)(step) is step


def test_recording_switched_off_at_run_time_writes_nothing_and_still_runs(
    tsv_path: Path,
) -> None:
    @timed_task(name="quiet", timeout=None)
    def quiet() -> int:
        return 1

    @timed_task(name="quiet generator", timeout=None)
    def quiet_generator() -> Iterator[int]:
        yield 1

    assert set_recording(False) is True
    assert quiet() == 1
    assert list(quiet_generator()) == [1]
    with timed("quiet block", timeout=None) as block:
        pass
    assert block.task_id == ""
    assert block.elapsed >= 0
    assert rows_in(tsv_path) == []
    assert set_recording(True) is False
    quiet()
    assert results_in(tsv_path) == [("quiet", "completed")]


def test_task_timing_0_in_a_script_records_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    code = """
        from pytest_tasktiming import timed, timed_task

        @timed_task
        def step():
            return "ran"

        print(step.__module__, type(step).__name__)
        with timed("block"):
            pass
    """
    result = run_python(code, TASK_TIMING="0", TASK_TIMING_FILE=str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["__main__", "function"]
    assert not path.exists()


def test_a_script_gets_short_task_names_and_its_rows_written_at_exit(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    code = """
        import sys
        from pytest_tasktiming import timed_task

        class Pipeline:
            @timed_task
            def build(self):
                return 1

        Pipeline().build()
        assert "pytest" not in sys.modules, "the recorder imported pytest"
    """
    result = run_python(code, TASK_TIMING_FILE=str(path))
    assert result.returncode == 0, result.stderr
    assert results_in(path) == [("Pipeline.build", "completed")]


# --- failure streaks -------------------------------------------------------------------------


class Refused(Exception):
    """What the flaky tasks below raise."""


def test_the_nth_consecutive_failure_is_raised_as_failure_limit_exceeded(
    tsv_path: Path,
) -> None:
    attempts = 0

    @timed_task(name="flaky", timeout=None, max_failures=3)
    def flaky() -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionError(f"attempt {attempts}")

    stop = None
    for _ in range(10):  # a retry loop: stops at the limit instead of trying forever
        try:
            flaky()
        except FailureLimitExceeded as error:
            stop = error
            break
        except ConnectionError:
            continue
    assert stop is not None
    assert attempts == 3
    assert (stop.command, stop.failures, stop.limit) == ("flaky", 3, 3)
    assert isinstance(stop.__cause__, ConnectionError)
    assert str(stop.__cause__) == "attempt 3"
    assert results_in(tsv_path) == [("flaky", "failed")] * 3


def test_the_first_success_after_a_streak_is_recorded_as_recovered(
    tsv_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outcomes = iter([Refused("1"), Refused("2"), None, None])

    @timed_task(name="upload", timeout=None, max_failures=5)
    def upload() -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    with caplog.at_level(logging.INFO, logger="pytest_tasktiming"):
        for _ in range(4):
            with contextlib.suppress(Refused):
                upload()
    assert [row.result for row in finals_in(tsv_path)] == [
        "failed", "failed", "recovered", "completed",
    ]  # fmt: skip
    assert "task 'upload' recovered after 2 consecutive failures" in caplog.messages


def test_interruptions_neither_count_in_nor_end_a_streak(tsv_path: Path) -> None:
    outcomes = iter([Refused(), KeyboardInterrupt(), Refused()])

    @timed_task(name="deploy", timeout=None, max_failures=2)
    def deploy() -> None:
        raise next(outcomes)

    with pytest.raises(Refused):
        deploy()
    with pytest.raises(KeyboardInterrupt):
        deploy()
    with pytest.raises(FailureLimitExceeded) as info:
        deploy()
    assert info.value.failures == 2


@pytest.mark.parametrize("max_failures", [0, None])
def test_max_failures_0_or_none_turns_streaks_off(tsv_path: Path, max_failures: int | None) -> None:
    outcomes = iter([True] * 5 + [False])

    @timed_task(name="noisy", timeout=None, max_failures=max_failures)
    def noisy() -> None:
        if next(outcomes):
            raise Refused

    for _ in range(5):
        with pytest.raises(Refused):
            noisy()
    noisy()
    assert [row.result for row in finals_in(tsv_path)] == ["failed"] * 5 + ["completed"]


def test_functions_with_the_same_task_name_share_one_streak() -> None:
    @timed_task(name="shared", timeout=None, max_failures=2)
    def first() -> None:
        raise Refused

    @timed_task(name="shared", timeout=None, max_failures=2)
    def second() -> None:
        raise Refused

    with pytest.raises(Refused):
        first()
    with pytest.raises(FailureLimitExceeded):
        second()


def test_streaks_of_a_decorated_function_are_kept_per_thread() -> None:
    @timed_task(name="per thread", timeout=None, max_failures=2)
    def fails() -> None:
        raise Refused

    with pytest.raises(Refused):
        fails()
    raised: list[type[BaseException]] = []

    def in_another_thread() -> None:
        try:
            fails()
        except BaseException as error:
            raised.append(type(error))

    thread = threading.Thread(target=in_another_thread)
    thread.start()
    thread.join()
    assert raised == [Refused]  # the other thread's streak starts at one
    with pytest.raises(FailureLimitExceeded):
        fails()


# --- bad arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"timeout": "soon"}, r"invalid timeout 'soon' from timed_task\(timeout=\.\.\.\)",
            id="timeout",
        ),
        pytest.param({"timeout": -1}, "invalid timeout -1", id="negative-timeout"),
        pytest.param({"warning_threshold": 0}, "invalid warning_threshold 0", id="threshold"),
        pytest.param({"max_failures": -1}, "invalid max_failures -1", id="max-failures"),
        pytest.param({"name": ""}, "invalid task name ''", id="name"),
        pytest.param({"mode": ""}, "invalid mode ''", id="mode"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_at_decoration_with_a_clear_message(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        timed_task(**kwargs)(documented)
    if "max_failures" not in kwargs and "name" not in kwargs:
        with pytest.raises(ValueError, match=message.replace("timed_task", "timed")):
            timed("block", **kwargs)


def test_an_unhashable_block_name_is_refused_clearly_and_a_block_can_have_its_own_file(
    tsv_path: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=r"invalid task name \['load'\] from timed"):
        timed(["load"])  # type: ignore[arg-type]
    other = tmp_path / "blocks.tsv"
    with timed("load", path=other):
        pass
    assert results_in(other) == [("load", "completed")]
    assert rows_in(tsv_path) == []


@pytest.mark.parametrize(
    "timeout",
    [
        pytest.param(90, id="int"),
        pytest.param(1.5, id="float"),
        pytest.param("90", id="string-seconds"),
        pytest.param("30m", id="minutes"),
        pytest.param("1.5h", id="hours"),
        pytest.param(None, id="none"),
        pytest.param(0, id="zero"),
    ],
)
def test_timeouts_accept_seconds_as_numbers_or_strings_with_units(
    tsv_path: Path, timeout: float | str | None
) -> None:
    @timed_task(name="work", timeout=timeout)
    def work() -> str:
        return "done"

    assert work() == "done"
    with timed("block", timeout=timeout):
        pass
    assert results_in(tsv_path) == [("work", "completed"), ("block", "completed")]


def logged(text: str, within: float = 10.0) -> bool:
    """Wait until the watchdog logs a message containing ``text`` (False if it never does)."""
    seen = threading.Event()

    class Watcher(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if text in record.getMessage():
                seen.set()

    watcher = Watcher()
    logger = logging.getLogger("pytest_tasktiming")
    logger.addHandler(watcher)
    try:
        return seen.wait(within)
    finally:
        logger.removeHandler(watcher)


# --- timeouts ------------------------------------------------------------------------------
# Where the timeout is the point, its threshold's warning may come or not: a watchdog woken
# after the limit (a busy machine) gives none. The warnings have tests of their own.


@pytest.mark.filterwarnings("ignore::pytest_tasktiming.exceptions.TaskTimeoutWarning")
def test_a_call_past_its_timeout_in_the_main_thread_raises_and_is_recorded_as_timeout(
    tsv_path: Path,
) -> None:
    @timed_task(name="hangs", timeout=0.3)
    def hangs() -> None:
        threading.Event().wait(30)  # a blocking C call: the signal cuts it short

    with pytest.raises(TaskTimeoutError) as info:
        hangs()
    assert type(info.value) is TaskTimeoutError
    assert (info.value.task, info.value.timeout) == ("hangs", 0.3)
    assert 0.3 <= info.value.elapsed < 5
    assert 0.3 <= only_duration(tsv_path, "timeout") < 5


def test_a_call_past_its_timeout_in_a_worker_thread_is_stopped_in_its_own_code(
    tsv_path: Path,
) -> None:
    @timed_task(name="spins", timeout="0.3", warning_threshold=1.0)
    def spins() -> None:
        while True:
            pass

    with pytest.warns(TaskTimeoutWarning):
        error = run_in_thread(spins)
    assert type(error) is TaskTimeoutError
    assert error.task == "spins"
    assert results_in(tsv_path) == [("spins", "timeout")]


@pytest.mark.filterwarnings("ignore::pytest_tasktiming.exceptions.TaskTimeoutWarning")
def test_an_async_call_past_its_timeout_raises_timeout_and_leaves_its_task_usable(
    tsv_path: Path,
) -> None:
    @timed_task(name="slow fetch", timeout=0.3)
    async def slow_fetch() -> None:
        await asyncio.sleep(30)

    async def main() -> tuple[BaseException, int]:
        try:
            await slow_fetch()
        except TaskTimeoutError as error:
            caught: BaseException = error
        await asyncio.sleep(0)  # the task was not left cancelled: it goes on awaiting
        task = asyncio.current_task()
        assert task is not None
        return caught, task.cancelling()

    error, cancelling = asyncio.run(main())
    assert type(error) is TaskTimeoutError
    assert cancelling == 0
    assert results_in(tsv_path) == [("slow fetch", "timeout")]


@pytest.mark.filterwarnings("ignore::pytest_tasktiming.exceptions.TaskTimeoutWarning")
def test_timed_blocks_time_out_with_and_async_with(tsv_path: Path) -> None:
    def block() -> None:
        with pytest.raises(TaskTimeoutError), timed("block", timeout=0.3):
            threading.Event().wait(30)

    async def async_block() -> None:
        with pytest.raises(TaskTimeoutError):
            async with timed("async block", timeout=0.3):
                await asyncio.sleep(30)

    block()
    asyncio.run(async_block())
    assert results_in(tsv_path) == [("block", "timeout"), ("async block", "timeout")]


def test_without_enforcement_a_late_call_only_warns_and_completes(tsv_path: Path) -> None:
    @timed_task(name="late", timeout=0.2, enforce=False)
    def late() -> str:
        assert logged("task 'late' ran past its 0.2s timeout"), "no warning at the limit"
        return "finished"

    with pytest.warns(TaskTimeoutWarning) as warned:
        assert late() == "finished"
    assert "task 'late' ran past its 0.2s timeout" in str(warned[-1].message)
    assert only_duration(tsv_path, "completed") >= 0.2


@pytest.mark.filterwarnings("ignore::pytest_tasktiming.exceptions.TaskTimeoutWarning")
def test_a_timeout_the_body_swallows_is_still_recorded_as_timeout(tsv_path: Path) -> None:
    @timed_task(name="stubborn", timeout=0.3)
    def stubborn() -> str:
        try:
            threading.Event().wait(30)
        except TimeoutError:
            return "carried on"
        return "waited"

    assert stubborn() == "carried on"
    assert results_in(tsv_path) == [("stubborn", "timeout")]


def test_a_timeout_landing_just_as_the_call_returns_is_its_outcome(
    tsv_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class LandsInCancel:
        """A deadline whose interrupt arrives inside ``cancel()``, as it can in a race."""

        timed_out = True
        cancelled = False

        def cancel(self) -> None:
            if not self.cancelled:
                self.cancelled = True
                raise TaskTimeoutError("racy", 0.1, 0.1)

        def translate(self, error: BaseException) -> TaskTimeoutError | None:
            return error if isinstance(error, TaskTimeoutError) else None

    monkeypatch.setattr(_run, "register", lambda *args, **kwargs: LandsInCancel())

    @timed_task(name="racy", timeout=0.1)
    def racy() -> str:
        return "returned"

    with pytest.raises(TaskTimeoutError, match="racy"):
        racy()
    assert results_in(tsv_path) == [("racy", "timeout")]


@pytest.mark.filterwarnings("ignore::pytest_tasktiming.exceptions.TaskTimeoutWarning")
def test_timeouts_count_in_failure_streaks(tsv_path: Path) -> None:
    @timed_task(name="always late", timeout=0.2, max_failures=2)
    def always_late() -> None:
        threading.Event().wait(30)

    with pytest.raises(TaskTimeoutError):
        always_late()
    with pytest.raises(FailureLimitExceeded) as info:
        always_late()
    assert type(info.value.__cause__) is TaskTimeoutError
    assert results_in(tsv_path) == [("always late", "timeout")] * 2


def test_a_generator_past_its_timeout_is_warned_about_but_never_interrupted(
    tsv_path: Path,
) -> None:
    @timed_task(name="slow pages", timeout=0.2)
    def slow_pages() -> Iterator[int]:
        yield 1
        yield 2

    def consume() -> None:
        for page in slow_pages():  # the consumer's code, never interrupted: waits past the limit
            if page == 1:
                assert logged("task 'slow pages' ran past its 0.2s timeout")

    with pytest.warns(TaskTimeoutWarning) as warned:
        consume()
    assert "ran past its 0.2s timeout" in str(warned[-1].message)
    assert results_in(tsv_path) == [("slow pages", "completed")]


@pytest.mark.filterwarnings("ignore::pytest_tasktiming.exceptions.TaskTimeoutWarning")
def test_an_inner_timeout_is_the_inner_tasks_and_the_outer_one_goes_on(tsv_path: Path) -> None:
    @timed_task(name="inner", timeout=0.2)
    def inner() -> None:
        threading.Event().wait(30)

    @timed_task(name="outer", timeout=30)
    def outer() -> str:
        with pytest.raises(TaskTimeoutError) as info:
            inner()
        return info.value.task

    assert outer() == "inner"
    assert results_in(tsv_path) == [("outer", "completed"), ("inner", "timeout")]


# --- the example -----------------------------------------------------------------------------


def test_the_orchestrator_example_records_its_steps_and_its_retry_loops_stop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.tsv"
    script = Path(__file__).resolve().parent.parent / "examples" / "orchestrator.py"
    result = run_captured(
        [sys.executable, str(script)], cwd=tmp_path, timeout=60, TASK_TIMING_FILE=str(path)
    )
    assert result.returncode == 0, result.stderr
    assert "search: giving up: 'health check' failed 3 times in a row" in result.stdout
    results = collections.Counter(results_in(path))
    assert results == {
        ("fetch_sources", "completed"): 1,
        ("build", "completed"): 3,
        ("health check", "failed"): 5,
        ("health check", "recovered"): 1,
        ("deploy api", "completed"): 1,
        ("deploy search", "completed"): 1,
        ("roll back search", "completed"): 1,
    }
