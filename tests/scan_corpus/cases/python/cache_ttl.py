# case: expect: nothing. A cache's timeout is how long an entry lives (the TTL of 86400)
from django.core.cache import cache


def remember(key, value):
    cache.set(key, value, timeout=86400)
    cache.get_or_set(key, value, timeout=86400)


@cache.cached(timeout=86400)
def expensive():
    pass
