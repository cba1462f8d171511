# case: expect: nothing. time.sleep and threading.Timer delay; they are not timeouts
import threading
import time

time.sleep(7200)
threading.Timer(7200, print).start()
