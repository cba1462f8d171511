# case: a Session's get(timeout=) in seconds
import requests

session = requests.Session()
session.get("https://example.org", timeout=7200)  # expect: TT001 7200
