"""Claims in Redis: a scan sends a job once while it is under way.

A scan finds the same due work every time it runs until a job has done it; without a claim
every scan would send the job again and a backlog would grow with each. A claim is a key that
expires (``job_claim_seconds``): the job releases it when it is done, and when a message is lost
(a broker restarted without persistence, a queue purged) the claim runs out and the next scan
sends the job again. A claim is only a hint — the truth is in the database, and a job sent
twice does its work once.
"""
from __future__ import annotations

import redis


class Claims:
    def __init__(self, client: redis.Redis, prefix: str, seconds: int) -> None:
        self.client, self.prefix, self.seconds = client, prefix, max(1, seconds)

    def _key(self, job: str, key: int) -> str:
        return f"{self.prefix}:claim:{job}:{key}"

    def claim(self, job: str, key: int) -> bool:
        """True if the job was not claimed: the caller sends it."""
        return bool(self.client.set(self._key(job, key), "1", nx=True, ex=self.seconds))

    def hold(self, job: str, key: int, seconds: int) -> None:
        """Keep the job claimed for ``seconds`` more (a retry is waiting, or it gave up for now)."""
        self.client.set(self._key(job, key), "1", ex=max(1, seconds))

    def release(self, job: str, key: int) -> None:
        self.client.delete(self._key(job, key))
