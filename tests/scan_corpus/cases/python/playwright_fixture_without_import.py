# case: expect: nothing. pytest-playwright's page fixture, no import: goto and wait_for_selector are Playwright's names, in ms
def test_home(page):
    page.goto("https://example.org", timeout=60_000)
    page.wait_for_selector("#ready", timeout=90_000)
