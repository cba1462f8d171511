# case: expect: nothing. Names of expiries: CACHE_TIMEOUT, cache_timeout, idle and keep-alive timeouts
CACHE_TIMEOUT = 86400
settings = {"cache_timeout": 86400, "idle_timeout": 7200}


def serve(keepalive_timeout=7200):
    pass
