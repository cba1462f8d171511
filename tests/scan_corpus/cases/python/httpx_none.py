# case: expect: nothing. A third-party client's timeout=None is its own documented choice, left to the reader
import httpx

client = httpx.Client(timeout=httpx.Timeout(None, connect=10))
