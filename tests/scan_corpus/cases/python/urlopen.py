# case: urllib.request.urlopen(url, data, timeout), positional
import urllib.request

urllib.request.urlopen("https://example.org", None, 7200)  # expect: TT001 7200
