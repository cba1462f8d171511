# case: concurrent.futures.wait(futures, 7200)
import concurrent.futures


def settle(futures):
    concurrent.futures.wait(futures, 7200)  # expect: TT001 7200
