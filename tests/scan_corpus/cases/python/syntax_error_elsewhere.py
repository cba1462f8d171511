# case: a syntax error in a definition without a trigger word is not parsed; the rest is checked
TIMEOUT = 99999  # expect: TT001 99999


def broken(:
    pass
