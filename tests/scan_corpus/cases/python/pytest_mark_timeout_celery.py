# case: expect: nothing. A marker kept in a variable, under the limit (from celery t/integration/test_inspect.py)
import pytest

_timeout = pytest.mark.timeout(timeout=300)
