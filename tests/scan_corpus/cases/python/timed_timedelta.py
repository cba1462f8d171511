# case: this package's timed() with a timedelta
from datetime import timedelta

from pytest_tasktiming import timed

with timed("build", timeout=timedelta(hours=2)):  # expect: TT001 7200
    pass
