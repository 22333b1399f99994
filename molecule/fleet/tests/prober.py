"""Probe HTTP endpoints in rounds until stdin closes; print one JSON line per round.

Run inside the sandbox hub's network namespace (the servers' private network):
  ip netns exec sdh-hub python3 prober.py HOST:PORT ...
Each line: {"t": seconds, "up": ["HOST:PORT", ...], "body": {"HOST:PORT": "..."}}; the
last one `end N` (N rounds): the test reads it as proof the prober ran through the step.
"""

import json
import select
import sys
import time
import urllib.request

TARGETS = sys.argv[1:]
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
START = time.monotonic()
ROUNDS = 0

while True:
    up, body = [], {}
    for target in TARGETS:
        try:
            with OPENER.open("http://%s/" % target, timeout=0.5) as response:
                body[target] = response.read().decode().strip()
                up.append(target)
        except Exception:  # pylint: disable=broad-except
            pass
    print(json.dumps({"t": round(time.monotonic() - START, 2), "up": up, "body": body}), flush=True)
    ROUNDS += 1
    if select.select([sys.stdin], [], [], 0.1)[0]:
        break
print("end %d" % ROUNDS, flush=True)
