# case: concurrent.futures.as_completed(timeout=7200)
from concurrent.futures import as_completed


def drain(futures):
    for future in as_completed(futures, timeout=7200):  # expect: TT001 7200
        future.result()
