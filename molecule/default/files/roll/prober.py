"""Probe every web instance's port directly, round after round, until STOP_FILE exists:
one line per round with how many answered 200, then `end N` (N rounds). A round with 0 is
a moment with no instance serving. Run on the server: prober.py PORTS OUT STOP_FILE."""

import os
import socket
import sys
import time


def answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.settimeout(1)
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def main():
    ports = [int(p) for p in sys.argv[1].split(",")]
    rounds = 0
    with open(sys.argv[2], "a", buffering=1) as out:
        while not os.path.exists(sys.argv[3]):
            out.write("%d\n" % sum(answers(port) for port in ports))
            rounds += 1
            time.sleep(0.02)
        # The test checks this line: the prober ran through the whole step, and the
        # file holds every round it made (procfile_testlib.prober_lines).
        out.write("end %d\n" % rounds)


if __name__ == "__main__":
    main()
