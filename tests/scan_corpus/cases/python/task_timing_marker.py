# case: this package's marker with a duration string
import pytest


@pytest.mark.task_timing(timeout="3h")  # expect: TT001 10800
def nightly():
    pass
