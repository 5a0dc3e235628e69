"""A chunk queued twice while its job is live is queued once (RQ's unique enqueue), now or
after a delay; once that job has ended, the same id can be queued again."""

from __future__ import annotations

import redis
from rq import Queue
from rq.job import Job, JobStatus

from core import queues
from workers import entry
from workers.enqueue import enqueue, enqueue_once


def test_a_live_job_is_not_queued_twice(redis_conn: redis.Redis) -> None:
    queue = queues.queue(queues.MESSAGES, redis_conn)
    assert enqueue_once(queue, entry.send_outbound, (7,), "text-7")
    assert not enqueue_once(queue, entry.send_outbound, (7,), "text-7")
    assert [job.id for job in queue.get_jobs()] == ["text-7"]


def test_a_delayed_job_is_not_queued_twice(redis_conn: redis.Redis) -> None:
    queue = queues.queue(queues.MESSAGES, redis_conn)
    assert enqueue_once(queue, entry.send_outbound, (7,), "text-7", delay=30)
    assert not enqueue_once(queue, entry.send_outbound, (7,), "text-7", delay=30)
    assert not enqueue_once(queue, entry.send_outbound, (7,), "text-7")
    assert queue.scheduled_job_registry.get_job_ids() == ["text-7"]
    assert queue.count == 0, "not before its time"


def test_an_ended_job_can_be_queued_again(redis_conn: redis.Redis) -> None:
    queue = queues.queue(queues.MESSAGES, redis_conn)
    assert enqueue_once(queue, entry.send_outbound, (7,), "text-7")
    job = Job.fetch("text-7", connection=redis_conn)
    queue.remove(job)
    job.set_status(JobStatus.FAILED)
    assert enqueue_once(queue, entry.send_outbound, (7,), "text-7")
    assert [job.id for job in queue.get_jobs()] == ["text-7"]


def test_chunks_of_a_kind_go_on_its_queue(redis_conn: redis.Redis) -> None:
    ids = list(range(1, 251))
    assert enqueue(redis_conn, "discord", ids) == 3
    jobs = Queue(queues.DISCORD, connection=redis_conn).get_jobs()
    assert [len(job.args[0]) for job in jobs] == [100, 100, 50]
    assert {job.func for job in jobs} == {entry.send_chunk}
