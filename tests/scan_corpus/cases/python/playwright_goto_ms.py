# case: expect: nothing. Playwright's goto(timeout=60000) is 60 s, not 16.7 h (the first false positive)
from playwright.sync_api import Page


def open_home(page: Page) -> None:
    page.goto("https://example.org", timeout=60000)
