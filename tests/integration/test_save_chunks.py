"""Save jobs: chunks that grow to SAVE_CHUNK, so workers starting together end apart."""

from __future__ import annotations

import random

import redis

from core import queues
from workers.enqueue import enqueue_saves
from workers.send_kinds import SAVE_CHUNK


def queued_chunks(connection: redis.Redis) -> list[list[int]]:
    queue = queues.queue(queues.SAVES, connection)
    return [list(job.args[1]) for job in queue.get_jobs()]


def test_the_first_chunks_grow_then_every_id_is_queued_once(redis_conn: redis.Redis) -> None:
    ids = list(range(1, 9501))
    random.Random(5).shuffle(ids)
    jobs = enqueue_saves(redis_conn, 7, ids)
    chunks = queued_chunks(redis_conn)
    sizes = [len(chunk) for chunk in chunks]
    quarter = SAVE_CHUNK // 4
    assert sizes == [quarter, 2 * quarter, 3 * quarter, SAVE_CHUNK, SAVE_CHUNK, SAVE_CHUNK, quarter]
    assert jobs == len(chunks)
    assert [i for chunk in chunks for i in chunk] == sorted(ids)


def test_few_ids_make_one_small_job(redis_conn: redis.Redis) -> None:
    assert enqueue_saves(redis_conn, 7, [42, 3, 17]) == 1
    assert queued_chunks(redis_conn) == [[3, 17, 42]]
    redis_conn.flushdb()
    enqueue_saves(redis_conn, 7, list(range(600)))
    assert [len(chunk) for chunk in queued_chunks(redis_conn)] == [SAVE_CHUNK // 4, 100]
