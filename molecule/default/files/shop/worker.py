"""Records the signals it gets, so tests can prove a graceful stop reached it."""

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
