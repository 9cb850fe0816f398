#!/usr/bin/python3
# netns-relay.py NETNS PORT: listen on 127.0.0.1:PORT inside the network namespace
# NETNS (a /proc/PID/ns/net path) and relay each connection to 127.0.0.1:PORT
# of the namespace this runs in (tests/t2401: a scan host reaches the
# stack's git server, and nothing else of the network, through it).
import ctypes, os, socket, sys, threading

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
here = os.open("/proc/self/ns/net", os.O_RDONLY)
there = os.open(sys.argv[1], os.O_RDONLY)
port = int(sys.argv[2])
if libc.setns(there, CLONE_NEWNET) != 0:
    sys.exit("netns-relay: setns: %s" % os.strerror(ctypes.get_errno()))
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
if libc.setns(here, CLONE_NEWNET) != 0:
    sys.exit("netns-relay: setns back: %s" % os.strerror(ctypes.get_errno()))
print("listening", flush=True)

def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

while True:
    c, _ = srv.accept()
    u = socket.create_connection(("127.0.0.1", port))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
