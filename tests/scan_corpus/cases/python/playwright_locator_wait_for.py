# case: expect: nothing. locator.wait_for(timeout=120_000) in a module that imports Playwright (from this repository's benchmarks/html_report.py)
from playwright.sync_api import sync_playwright


def draw(page, ready):
    page.locator(ready).first.wait_for(timeout=120_000)
    page.locator(ready).click(timeout=10_000)
