from playwright.sync_api import Page


def test_home(page: Page) -> None:
    page.goto("https://example.org", timeout=60_000)  # 60 s: Playwright counts in ms
    page.set_default_timeout(7_200_000)
