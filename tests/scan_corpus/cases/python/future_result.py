# case: Future.result(7200), positional
from concurrent.futures import ThreadPoolExecutor

with ThreadPoolExecutor() as pool:
    future = pool.submit(print)
    future.result(7200)  # expect: TT001 7200
