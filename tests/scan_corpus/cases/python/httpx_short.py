# case: expect: nothing. httpx timeouts under the limit
import httpx

client = httpx.Client(timeout=httpx.Timeout(5.0, connect=60))
httpx.get("https://example.org", timeout=30)
