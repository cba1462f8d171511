"""Nothing here may be reported: within the limit, not a timeout, unknown, or allowed."""

import asyncio
import os
import subprocess
from datetime import timedelta

import pytest

from pytest_tasktiming import TimeoutEnforcer, timed_task

TIMEOUT = 3600
SHORT_TIMEOUT = timedelta(minutes=5)
TIMEOUT_RETRIES = 100_000
TIMEOUT_THRESHOLD = 10_000
timeout_method = "thread"
timeout_func_only = True
READ_TIMEOUT_MS = 3_600_000
SLEEP = 7200
BIG_NUMBER = 10**100
DEFAULT_TIMEOUT = int(os.environ.get("TIMEOUT", "99999"))
timeout = TIMEOUT
LONG_TIMEOUT = 9 * 3600  # tasktiming: allow-timeout (the nightly build needs it)
text = "timeout=99999  # not code"
HUGE = 10 ** 10 ** 10


def run(command: list[str], timeout: float | None = None) -> None:
    subprocess.run(command, timeout=timeout, check=True)
    subprocess.run(command, timeout=None, check=True)
    subprocess.run(command, timeout=SLEEP // 2, check=True)
    subprocess.run(command, check=True, timeout=0)


@pytest.mark.timeout(60)
def test_quick() -> None:
    pass


@pytest.mark.timeout(7200)  # tasktiming: allow-timeout
def test_allowed() -> None:
    pass


@pytest.mark.parametrize("timeout", [99999])
def test_parametrized(timeout: int) -> None:
    pass


@timed_task
def bare() -> None:
    pass


@timed_task(timeout=3600)
def at_the_limit() -> None:
    pass


async def main() -> None:
    await asyncio.sleep(99999)
    await asyncio.wait_for(asyncio.sleep(1), 30)
    enforcer = TimeoutEnforcer(opt_out=True)
    print(enforcer, f"{99999}", {"timeout": "long"}, {"limit": 99999})
