"""Row 7's baseline: a task that only records when it started (a bare Celery round trip)."""

import os
import time

import redis
from celery import shared_task


@shared_task(name="bench.ping")
def ping(reply_key: str, token: int) -> None:
    started = time.time()
    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    client.rpush(reply_key, f"{token} {started}")
