# case: expect: nothing. A timeout_at is an instant, not a duration
timeout_at = 1_700_000_000
TIMEOUT_TS = 1_700_000_000
