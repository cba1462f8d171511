# case: an infinite timeout is no limit at all
import math

LOCK_TIMEOUT = math.inf  # expect: TT003
