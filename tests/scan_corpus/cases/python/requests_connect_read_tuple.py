# case: requests' (connect, read) tuple: the read timeout of 7200 s is what lets a call hang
import requests


def fetch(url):
    return requests.get(url, timeout=(3.05, 7200))  # expect: TT001 7200
