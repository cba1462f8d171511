# case: Selenium's set_page_load_timeout(seconds)
def configure(driver):
    driver.set_page_load_timeout(7200)  # expect: TT001 7200
