# case: expect: nothing. get(section, 7200) has no block flag: it is not queue.get
import configparser

config = configparser.ConfigParser()
config.get("section", 7200)
