# case: queue.get(True, 7200): the timeout after the block flag
import queue

jobs = queue.Queue()
jobs.get(True, 7200)  # expect: TT001 7200
