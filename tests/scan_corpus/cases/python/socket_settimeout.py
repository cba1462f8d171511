# case: socket.settimeout(7200): the missed case
import socket

sock = socket.socket()
sock.settimeout(7200)  # expect: TT001 7200
