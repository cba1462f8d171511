"""Timeouts above 3600 s that the scan must find, one per line marked `expect`."""

import asyncio
import datetime as dt
import faulthandler
import math
import signal
import subprocess
from datetime import timedelta

import pytest
from pytest import mark

from pytest_tasktiming import TimeoutEnforcer, timed, timed_task

HOUR = 60 * 60
DEFAULT_TIMEOUT = 2 * HOUR  # expect: TT001 7200
READ_TIMEOUT_MS = 4_000_000  # expect: TT001 4000
JOB_TIMEOUT_MINUTES = 90  # expect: TT001 5400
timeout_hours: float = 1.5  # expect: TT001 5400
STEP_TIMEOUT = timedelta(hours=3)  # expect: TT001 10800
TOTAL_TIMEOUT = dt.timedelta(days=1).total_seconds()  # expect: TT001 86400
FOREVER_TIMEOUT = float("inf")  # expect: TT003
SETTINGS = {"timeout": 7201, "retries": 99999}  # expect: TT001 7201
WAIT = 5 * HOUR
POLL_TIMEOUT = 7200; NOTE = "# tasktiming: allow-timeout"  # expect: TT001 7200


class Client:
    def __init__(self) -> None:
        self.timeout = 3 * 3600  # expect: TT001 10800
        self.session_timeout = "2h"  # expect: TT001 7200


def fetch(url: str, timeout: float = 10_000) -> None:  # expect: TT001 10000
    subprocess.run(["curl", url], timeout=HOUR * 4, check=True)  # expect: TT001 14400


def keyword_only(*, connect_timeout=math.inf) -> None:  # expect: TT003
    pass


@pytest.mark.timeout(7200)  # expect: TT001 7200
def test_slow() -> None:
    pass


@mark.timeout(timeout=0)  # expect: TT003
def test_never_times_out() -> None:
    pass


@pytest.mark.task_timing(timeout="3h")  # expect: TT001 10800
def test_marked() -> None:
    pass


@pytest.mark.task_timing(timeout=None)  # expect: TT003
def test_no_limit() -> None:
    pass


@timed_task(timeout=24 * HOUR)  # expect: TT001 86400
def nightly() -> None:
    pass


@timed_task(timeout=0)  # expect: TT003
def unlimited() -> None:
    pass


async def main() -> None:
    await asyncio.wait_for(asyncio.sleep(1), 7200)  # expect: TT001 7200
    async with asyncio.timeout(WAIT):  # expect: TT001 18000
        pass
    signal.alarm(10_000)  # expect: TT001 10000
    faulthandler.dump_traceback_later(4000)  # expect: TT001 4000
    enforcer = TimeoutEnforcer(7200)  # expect: TT001 7200
    other = TimeoutEnforcer(timeout_seconds=None)  # expect: TT003
    with timed("deploy", timeout=timedelta(minutes=61)):  # expect: TT001 3660
        pass
    await asyncio.wait_for(
        asyncio.sleep(1),
        timeout=2  # expect: TT001 7200
        * 3600,
    )
    print(enforcer, other)
