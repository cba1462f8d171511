# case: pytest-timeout's marker with 0 switches the timeout off
import pytest


@pytest.mark.timeout(0)  # expect: TT003
def never_stops():
    pass
