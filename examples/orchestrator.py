"""A small release orchestrator whose every step is a recorded task.

Run it, then look at what it recorded::

    python examples/orchestrator.py
    tasktiming report

Steps are ``@timed_task`` functions and ``timed(...)`` blocks; three builds run in threads,
each its own task. Two services are polled in retry loops: "api" comes up on the third try
(its success is written as ``recovered``), "search" never does, and its third consecutive
failure is raised as ``FailureLimitExceeded``, which ends the loop instead of retrying
forever. Rows go to ``$TASK_TIMING_FILE``, else ``task_timing.tsv`` here. Takes about a second.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from pytest_tasktiming import FailureLimitExceeded, timed, timed_task

MODE = "orchestrator"
ATTEMPTS_BEFORE_UP = {"api": 2, "search": 1_000}  # failed polls before each service answers
_polls: dict[str, int] = {}


def pause(seconds: float) -> None:
    threading.Event().wait(seconds)


@timed_task(mode=MODE, timeout="30s")
def fetch_sources() -> list[str]:
    pause(0.05)
    return ["core", "api", "search"]


@timed_task(mode=MODE, timeout=10)
def build(component: str) -> str:
    pause(0.1)
    return f"{component}.whl"


@timed_task(name="health check", mode=MODE, timeout=2, max_failures=3)
def health_check(service: str) -> None:
    """Poll a service once; ``ConnectionError`` while it is not up yet."""
    _polls[service] = _polls.get(service, 0) + 1
    pause(0.02)
    if _polls[service] <= ATTEMPTS_BEFORE_UP[service]:
        raise ConnectionError(f"{service} is not answering (poll {_polls[service]})")


def wait_until_up(service: str) -> bool:
    """Retry the health check until it passes or its failure streak reaches the limit."""
    while True:
        try:
            health_check(service)
        except FailureLimitExceeded as stop:
            print(f"  {service}: giving up: {stop} (last error: {stop.__cause__})")
            return False
        except ConnectionError as error:
            print(f"  {service}: {error}; retrying")
            pause(0.05)
        else:
            print(f"  {service}: up")
            return True


def main() -> int:
    sources = fetch_sources()
    with ThreadPoolExecutor(max_workers=3) as pool:
        artifacts = list(pool.map(build, sources))
    print(f"built {', '.join(artifacts)}")
    for service in ("api", "search"):
        with timed(f"deploy {service}", mode=MODE, timeout="5m") as step:
            healthy = wait_until_up(service)
        if not healthy:
            with timed(f"roll back {service}", mode=MODE):
                pause(0.05)
        print(f"  deploy {service}: {step.elapsed:.2f}s (task id {step.task_id})")
    print("rows written; run `tasktiming report` to see them")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
