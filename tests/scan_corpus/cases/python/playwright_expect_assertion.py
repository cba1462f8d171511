# case: expect: nothing. Playwright's expect(...).to_have_text(timeout=) is in ms
from playwright.sync_api import expect


def check(locator):
    expect(locator).to_have_text("done", timeout=30_000)
    expect(locator).not_to_be_visible(timeout=45_000)
