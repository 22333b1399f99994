"""The scheduler process: enqueues a tick job every SCHEDULER_INTERVAL seconds."""

import os
import signal
import sys
import time

from redis import Redis
from rq import Queue

import tasks


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    queue = Queue("default", connection=Redis.from_url(os.environ["REDIS_URL"]))
    interval = float(os.environ.get("SCHEDULER_INTERVAL", "10"))
    while True:
        queue.enqueue(tasks.tick)
        print("scheduler %s: enqueued a tick" % os.environ.get("DYNO"), flush=True)
        time.sleep(interval)


if __name__ == "__main__":
    main()
