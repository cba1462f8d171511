# case: expect: nothing. requests' (connect, read) tuple under the limit
import requests

requests.post("https://example.org", json={}, timeout=(3.05, 27))
