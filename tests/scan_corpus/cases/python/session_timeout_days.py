# case: expect: nothing. SESSION_TIMEOUT_DAYS is a session's expiry in days (the third false positive)
SESSION_TIMEOUT_DAYS = 30
TOKEN_TIMEOUT_WEEKS = 2
