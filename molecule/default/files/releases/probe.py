"""Ask every port, round after round, until STOP_FILE exists: one line per answer,
"<port> <pid> <content>", then `end N` (N answers). Run on the server: probe.py PORTS OUT
STOP_FILE."""

import os
import socket
import sys
import time


def ask(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.settimeout(2)
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        return data.split(b"\r\n\r\n", 1)[1].decode().strip()
    except (OSError, IndexError):
        return None


def main():
    ports = [int(p) for p in sys.argv[1].split(",")]
    count = 0
    with open(sys.argv[2], "a", buffering=1) as out:
        while not os.path.exists(sys.argv[3]):
            for port in ports:
                answer = ask(port)
                if answer:
                    out.write("%d %s\n" % (port, answer))
                    count += 1
            time.sleep(0.01)
        # The test checks this line: the prober ran through the whole step, and the
        # file holds every answer it got (procfile_testlib.prober_lines).
        out.write("end %d\n" % count)


if __name__ == "__main__":
    main()
