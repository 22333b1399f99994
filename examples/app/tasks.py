"""The jobs RQ workers run."""

import os
import time

from redis import Redis

ENQUEUED = "example:enqueued"
PROCESSED = "example:processed"
TICKS = "example:ticks"
SCHEMA = "example:schema_version"


def process():
    """A small unit of work: count it, and say which worker did it."""
    time.sleep(0.05)
    Redis.from_url(os.environ["REDIS_URL"]).incr(PROCESSED)
    return os.environ.get("DYNO")


def tick():
    Redis.from_url(os.environ["REDIS_URL"]).incr(TICKS)
