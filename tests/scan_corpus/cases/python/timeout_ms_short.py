# case: expect: nothing. READ_TIMEOUT_MS = 30_000 is 30 s
READ_TIMEOUT_MS = 30_000
