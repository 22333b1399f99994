"""Records every signal it gets, and its shell, so tests can count what reached it.

On SIGTERM it writes a line and takes a second before it exits: a shell that died at
once would let systemd signal it again ("final SIGTERM") within that second, and the
second line would show it.
"""

import argparse
import os
import signal
import sys
import time

DATA = "/var/lib/bashy-data"


def main():
    name = argparse.ArgumentParser()
    name.add_argument("--name", required=True)
    name = name.parse_args().name
    signals = os.path.join(DATA, "%s.signals" % name)

    def record(signum, _frame):
        with open(signals, "a") as handle:
            handle.write("signal %d\n" % signum)
        if signum == signal.SIGTERM:
            time.sleep(1)
            sys.exit(0)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, record)
    parent = open("/proc/%d/comm" % os.getppid()).read().strip()
    with open(os.path.join(DATA, "%s.started" % name), "w") as handle:
        handle.write("%d %s %s\n" % (os.getpid(), parent, os.environ.get("PORT")))
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
