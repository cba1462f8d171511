# case: Selenium's WebDriverWait(driver, timeout) is in seconds
from selenium.webdriver.support.ui import WebDriverWait


def wait_long(driver):
    return WebDriverWait(driver, 7200)  # expect: TT001 7200
