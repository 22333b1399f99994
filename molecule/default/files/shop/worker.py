"""Records the signals it gets, so tests can prove a graceful stop reached it.
With /var/lib/shop-data/ignore-term present, it records SIGTERM and runs on."""

import argparse
import os
import signal
import sys
import time

DATA = "/var/lib/shop-data"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    name = parser.parse_args().name

    def stop(signum, _frame):
        with open(os.path.join(DATA, "%s.stopped" % name), "a") as handle:
            handle.write("signal %d pid %d\n" % (signum, os.getpid()))
        # A test's switch for a worker that takes its whole stop timeout (a long job):
        # systemd's SIGKILL at TimeoutStopSec ends it.
        if os.path.exists(os.path.join(DATA, "ignore-term")):
            return
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    with open(os.path.join(DATA, "%s.started" % name), "w") as handle:
        handle.write("%d %s %s\n" % (os.getpid(), os.environ.get("UNIQUE_INT"), os.environ.get("PORT")))
    print("%s up, UNIQUE_INT=%s PORT=%s" % (name, os.environ.get("UNIQUE_INT"), os.environ.get("PORT")),
          flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
