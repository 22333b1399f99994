"""Fleet test app: `web` serves its version on $PORT, `worker` ticks, `release` waits.

FLEET_START_DELAY: seconds web waits before it listens (a slow boot).
FLEET_HEALTH: "ok" (default) or anything else, then /health answers 500.
A file named `unhealthy` in the working directory: /health answers 500 (an app gone bad
without a deploy).
FLEET_RELEASE_DELAY: seconds the release phase takes.
FLEET_RELEASE_GATE: a path; the release phase waits until it exists (at most 5 minutes).
FLEET_IGNORE_TERM: set: the worker ignores SIGTERM (only the stop timeout's SIGKILL ends it).
"""

import http.server
import os
import signal
import sys
import time

ROLE = sys.argv[1]
GENERATION = sys.argv[3] if len(sys.argv) > 3 else "1"
VERSION = "%s/%s" % (os.environ.get("FLEET_VERSION", "?"), GENERATION)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        healthy = os.environ.get("FLEET_HEALTH", "ok") == "ok" and not os.path.exists("unhealthy")
        status = 200 if self.path != "/health" or healthy else 500
        body = ("fleet %s %s\n" % (VERSION, os.environ.get("UNIQUE_INT"))).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if ROLE == "web":
    time.sleep(float(os.environ.get("FLEET_START_DELAY", "0")))
    http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
elif ROLE == "worker":
    if os.environ.get("FLEET_IGNORE_TERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        print("worker %s tick" % VERSION, flush=True)
        time.sleep(5)
elif ROLE == "release":
    time.sleep(float(os.environ.get("FLEET_RELEASE_DELAY", "0")))
    # Held until the test opens the gate (bounded): the run stays inside its release, with
    # the app's lock, for exactly as long as the test needs, whatever the machine's load.
    GATE = os.environ.get("FLEET_RELEASE_GATE")
    for _ in range(3000):
        if not GATE or os.path.exists(GATE):
            break
        time.sleep(0.1)
    print("release %s done" % VERSION)
