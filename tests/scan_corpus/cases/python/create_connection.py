# case: socket.create_connection(address, 7200)
import socket

socket.create_connection(("example.org", 80), 7200)  # expect: TT001 7200
