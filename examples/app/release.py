"""The release phase: runs once per deploy that changes something, before restarts."""

import os

from redis import Redis

import tasks

SCHEMA_VERSION = "3"

redis = Redis.from_url(os.environ["REDIS_URL"])
redis.set(tasks.SCHEMA, SCHEMA_VERSION)
print("release: schema version %s written to Redis" % SCHEMA_VERSION, flush=True)
