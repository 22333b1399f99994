"""A web instance that takes BOOT_SECONDS (2) before it listens on PORT, and logs its life
to var/events next to it (/srv/roll/var/events), one appended line per event:
"<event> <PS> <pid> <version>" (its version: the VERSION file next to it).
The events' order is what the tests read: never a duration.

BROKEN=1 in the environment: a new version that never listens (it exits at once).
GET /slow is a slow request a stop must let finish: it is held until the instance gets its
stop signal (or var/release-slow exists), then answers ("slow-done").
"""

import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# /srv/roll; the proxy scenario runs a copy as another app, in /srv/hap.
ROOT = os.path.dirname(os.path.abspath(__file__))
EVENTS = os.path.join(ROOT, "var", "events")
RELEASE_SLOW = os.path.join(ROOT, "var", "release-slow")
STOPPING = threading.Event()
with open(os.path.join(ROOT, "VERSION")) as version_file:
    VERSION = version_file.read().strip()


def log(event):
    with open(EVENTS, "a") as events:
        events.write("%s %s %d %s\n" % (event, os.environ.get("PS", "?"), os.getpid(), VERSION))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):  # noqa: N802 - the handler's API
        if self.path == "/slow":
            log("slow-request")
            # Held until the stop began, so that the answer can only come if the stop waits
            # for it; bounded, and a file lets the test release the other instances' ones.
            deadline = time.monotonic() + 240
            while not STOPPING.wait(0.1) and time.monotonic() < deadline \
                    and not os.path.exists(RELEASE_SLOW):
                pass
            log("slow-done")
        body = ("%s %s\n" % (os.environ.get("PS", "?"), VERSION)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    log("booting")
    if os.environ.get("BROKEN") == "1":
        log("broken")
        sys.exit(1)
    time.sleep(float(os.environ.get("BOOT_SECONDS", "2")))
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    server.daemon_threads = False  # a stop lets requests in flight finish

    def stop(_signum, _frame):
        log("stopping")
        STOPPING.set()
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    log("listening")
    server.serve_forever()
    server.server_close()  # joins the request threads: slow requests complete
    log("stopped")


if __name__ == "__main__":
    main()
