# case: expect: nothing. An allow comment naming this finding's code
TIMEOUT = 7200  # tasktiming: allow-timeout TT001
NO_LIMIT_TIMEOUT = float("inf")  # tasktiming: allow-timeout TT001, TT003
