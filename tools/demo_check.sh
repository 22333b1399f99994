#!/usr/bin/env bash
# The demo server's identity, to compare before and after `make test`: its boot id and the
# main PID of every instance (a reboot, a restart or a redeploy changes them), after one
# request through its web process, which must answer. Prints; fails if the demo is down.
set -euo pipefail
cd "$(dirname "$0")/.."
sandbox=(python3 tools/sandbox.py)
"${sandbox[@]}" ssh demo cat /proc/sys/kernel/random/boot_id
"${sandbox[@]}" ssh demo systemctl show --property=Id,ActiveState,MainPID "'example-*@*.service'" |
  paste -d' ' - - - - | sort
# The demo shares this machine's network: web.1 listens on 127.0.0.1:5001, and nginx in
# front of the web instances on 127.0.0.1:8580.
python3 - <<'PY' >&2
import json, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for name, url in (("web.1", "http://127.0.0.1:5001/"), ("nginx", "http://127.0.0.1:8580/")):
    with opener.open(url, timeout=30) as response:
        assert response.status == 200, (url, response.status)
        print("demo %s answered:" % name, json.dumps(json.load(response)))
PY
