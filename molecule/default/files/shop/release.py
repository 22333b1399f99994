"""Release phase: appends a line per run; fails when asked to (FAIL_RELEASE=1)."""

import os
import sys
import time

if os.environ.get("FAIL_RELEASE") == "1":
    print("release failed on purpose: the migration broke", flush=True)
    sys.exit(3)
with open("/var/lib/shop-data/releases", "a") as handle:
    handle.write("%f\n" % time.time())
print("release done", flush=True)
