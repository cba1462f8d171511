# case: a constant named like a timeout, bound to a timedelta
from datetime import timedelta

JOB_TIMEOUT = timedelta(hours=3)  # expect: TT001 10800
