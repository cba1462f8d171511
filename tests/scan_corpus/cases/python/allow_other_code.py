# case: an allow comment that names another code accepts nothing here
TIMEOUT = 7200  # tasktiming: allow-timeout TT003  # expect: TT001 7200
