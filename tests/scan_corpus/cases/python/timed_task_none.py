# case: this package's decorator with timeout=None: no limit
from pytest_tasktiming import timed_task


@timed_task(timeout=None)  # expect: TT003
def forever():
    pass
