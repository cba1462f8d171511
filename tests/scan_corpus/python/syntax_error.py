"""A file that does not parse: a warning, and the scan goes on."""

TIMEOUT = 99999


def broken(:  # expect: TT901
    pass
