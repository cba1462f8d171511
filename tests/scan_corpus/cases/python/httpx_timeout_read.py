# case: httpx.Timeout(10.0, read=7200): the read timeout
import httpx

client = httpx.Client(timeout=httpx.Timeout(10.0, read=7200))  # expect: TT001 7200
