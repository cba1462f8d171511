"""A syntax error where a timeout is: a warning, and the scan goes on."""

TIMEOUT = 99999


def broken(timeout=:  # expect: TT901
    pass
