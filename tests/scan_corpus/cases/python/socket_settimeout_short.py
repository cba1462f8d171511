# case: expect: nothing. settimeout(None) is blocking mode, the default; 30 s is under the limit
import socket

sock = socket.socket()
sock.settimeout(None)
sock.settimeout(30)
