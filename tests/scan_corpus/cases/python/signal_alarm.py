# case: signal.alarm(seconds)
import signal

signal.alarm(3 * 60 * 60)  # expect: TT001 10800
