# case: pytest-timeout's marker, positional
import pytest


@pytest.mark.timeout(7200)  # expect: TT001 7200
def slow():
    pass
