# case: expect: nothing. signal.alarm(0) cancels a pending alarm; setdefaulttimeout(None) is the default
import signal
import socket

signal.alarm(0)
socket.setdefaulttimeout(None)
