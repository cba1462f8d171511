# case: Playwright's set_default_timeout is in milliseconds: 7,200,000 ms is 2 h
def configure(page):
    page.set_default_timeout(7_200_000)  # expect: TT001 7200
