"""The web process: enqueues jobs and reports counts (Flask, served by gunicorn)."""

import os

from flask import Flask, jsonify, request
from redis import Redis
from rq import Queue, Worker

import tasks

app = Flask(__name__)
redis = Redis.from_url(os.environ["REDIS_URL"])
queue = Queue("default", connection=redis)


@app.get("/")
def counts():
    return jsonify(
        dyno=os.environ.get("DYNO"),
        enqueued=int(redis.get(tasks.ENQUEUED) or 0),
        processed=int(redis.get(tasks.PROCESSED) or 0),
        queued=len(queue),
        workers=sorted(w.name for w in Worker.all(connection=redis)),
        schema_version=(redis.get(tasks.SCHEMA) or b"").decode(),
    )


@app.post("/jobs")
def enqueue():
    count = int(request.args.get("count", 1))
    for _job in range(count):
        queue.enqueue(tasks.process)
        redis.incr(tasks.ENQUEUED)
    return jsonify(enqueued=count), 202
