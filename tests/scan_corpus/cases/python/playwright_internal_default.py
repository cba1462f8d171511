# case: expect: nothing. A bare `timeout = 30000` in Playwright's own code is its 30 s default in ms (from playwright-python playwright/_impl/_page.py)
from playwright._impl._waiter import Waiter


def expect_event(event, timeout=None):
    if timeout is None:
        timeout = 30000
    return Waiter(event, timeout)
