# case: expect: nothing. Selenium waits under the limit, in seconds
from selenium.webdriver.support.ui import WebDriverWait


def wait(driver):
    driver.implicitly_wait(10)
    return WebDriverWait(driver, 30)
