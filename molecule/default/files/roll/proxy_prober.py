"""Send requests through the front proxy one after another (about 30 a second) until
STOP_FILE exists: one line per request, its HTTP status or ERR and why, then `end N` (N
requests). Run on the server: proxy_prober.py URL OUT STOP_FILE."""

import os
import sys
import time
import urllib.error
import urllib.request

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def main():
    url, out_path, stop = sys.argv[1:4]
    count = 0
    with open(out_path, "a", buffering=1) as out:
        while not os.path.exists(stop):
            count += 1
            try:
                with OPENER.open(url, timeout=10) as response:
                    out.write("%d\n" % response.status)
            except urllib.error.HTTPError as exc:
                out.write("%d\n" % exc.code)
            except OSError as exc:
                out.write("ERR %s\n" % str(getattr(exc, "reason", exc)).replace("\n", " "))
            time.sleep(0.03)
        # Read by the test: the prober ran through the whole step, and every request it
        # sent has its line.
        out.write("end %d\n" % count)


if __name__ == "__main__":
    main()
