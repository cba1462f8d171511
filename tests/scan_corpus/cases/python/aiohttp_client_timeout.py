# case: aiohttp.ClientTimeout(total=7200)
import aiohttp

TIMEOUT_SETTINGS = dict(connect=10)
timeout = aiohttp.ClientTimeout(total=7200)  # expect: TT001 7200
