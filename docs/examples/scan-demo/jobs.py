import subprocess
from datetime import timedelta

from pytest_tasktiming import timed_task

NIGHTLY_TIMEOUT = timedelta(hours=6)


@timed_task(timeout=2 * 60 * 60)
def build() -> None:
    subprocess.run(["make"], timeout=600, check=True)


@timed_task(timeout=None)
def watch() -> None:
    subprocess.run(["make", "watch"], timeout=86400, check=True)  # tasktiming: allow-timeout
