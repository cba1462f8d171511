# case: expect: nothing. Retentions, leases and cookies named after timeouts are expiries
LOG_RETENTION_TIMEOUT = 30 * 86400
lease_timeout = 86400
COOKIE_TIMEOUT = 86400
TOKEN_TIMEOUT_EXPIRES = 7 * 86400
