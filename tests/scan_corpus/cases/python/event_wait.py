# case: threading.Event().wait(7200): the missed case
import threading

threading.Event().wait(7200)  # expect: TT001 7200
