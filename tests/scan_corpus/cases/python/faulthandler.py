# case: faulthandler.dump_traceback_later(timeout)
import faulthandler

faulthandler.dump_traceback_later(7200)  # expect: TT001 7200
