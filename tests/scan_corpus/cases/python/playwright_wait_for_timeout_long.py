# case: Playwright's wait_for_timeout(9999999) waits 2.8 h (from playwright-python tests/sync/test_page_add_locator_handler.py)
def handler(page) -> None:
    page.wait_for_timeout(9999999)  # expect: TT001 9999.999
