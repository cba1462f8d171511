# case: expect: nothing. Counts named after timeouts
TIMEOUT_RETRIES = 9999
timeout_count = 100_000
