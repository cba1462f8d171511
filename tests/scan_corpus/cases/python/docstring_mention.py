# case: expect: nothing. Text in a string is not code
def wait(timeout=None):
    """Call with timeout=7200 to wait two hours.

    timeout = 7200
    """
    return "sock.settimeout(7200)"
