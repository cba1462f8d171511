# case: Playwright's timeout=0 means no timeout at all
def wait_idle(page):
    page.wait_for_load_state("networkidle", timeout=0)  # expect: TT003
