"""The job queue in Redis (JOB_QUEUE=redis), for workers on several machines, with the guarantees of the
database queue: a job is taken by one worker only; a worker killed in the middle of a job leaves it marked
running, and `requeue_abandoned` puts it back (at once when the worker ran on this machine and its process
is gone, otherwise after JOB_ABANDONED_AFTER_MINUTES); only the worker that holds a job records its end, so
a job is never recorded as finished twice. Jobs are written to be run again safely (see jobs.py).

Keys, under the prefix: `job:<id>` (a hash: the task, its arguments, status, times, workers, result),
`queue:<name>` (a list of ids waiting, oldest at the right) and `running` (a hash: id → worker). Taking,
finishing and requeueing a job are Lua scripts, so each is one atomic step in Redis.

A job asked for inside a database transaction is pushed once the transaction commits, so a worker never
runs it before the rows it works on exist, and never runs one whose transaction was rolled back.
"""

import datetime
import json
import logging
import signal
import threading
import time
import uuid
from traceback import format_exception

import redis
from django.conf import settings
from django.db import close_old_connections, transaction
from django.tasks import TaskContext, TaskResult, TaskResultStatus
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import TaskError
from django.tasks.exceptions import TaskResultDoesNotExist
from django.tasks.signals import task_enqueued, task_finished, task_started
from django.utils import timezone
from django.utils.json import normalize_json
from django.utils.module_loading import import_string

logger = logging.getLogger("kycuong.jobs")

# Finished jobs are kept this long for their results, like the database queue's pruning default.
RESULT_DAYS = 14

TAKE = """
local id = redis.call('RPOP', KEYS[1])
if not id then return false end
local key = ARGV[1] .. id
local workers = cjson.decode(redis.call('HGET', key, 'worker_ids') or '[]')
table.insert(workers, ARGV[2])
redis.call('HSET', key, 'status', 'RUNNING', 'started_at', ARGV[3], 'last_attempted_at', ARGV[3],
           'worker_ids', cjson.encode(workers))
redis.call('HSET', KEYS[2], id, ARGV[2])
return id
"""

FINISH = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'status', ARGV[3], 'finished_at', ARGV[4], 'return_value', ARGV[5],
           'errors', ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[7])
return 1
"""

REQUEUE = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'status', 'READY', 'started_at', '')
redis.call('RPUSH', KEYS[3], ARGV[1])
return 1
"""


def _time(value: str) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


class RedisUnavailable(RuntimeError):
    pass


class RedisBackend(BaseTaskBackend):
    supports_get_result = True

    def __init__(self, alias, params):
        super().__init__(alias, params)
        self.url = self.options.get("url") or settings.REDIS_URL
        self.prefix = self.options.get("prefix", "kycuong:jobs").rstrip(":") + ":"
        self.redis = redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=30)
        self._take = self.redis.register_script(TAKE)
        self._finish = self.redis.register_script(FINISH)
        self._requeue = self.redis.register_script(REQUEUE)

    # --- keys ----------------------------------------------------------------------------------------------

    def job_key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def queue_key(self, queue_name: str) -> str:
        return f"{self.prefix}queue:{queue_name}"

    @property
    def running_key(self) -> str:
        return f"{self.prefix}running"

    def check_connection(self) -> None:
        try:
            self.redis.ping()
        except redis.RedisError as error:
            raise RedisUnavailable(f"Redis at {self.url} does not answer: {error}") from error

    # --- the django.tasks API ------------------------------------------------------------------------------

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        job_id = uuid.uuid4().hex
        now = timezone.now()
        fields = {
            "task_path": task.module_path,
            "queue_name": task.queue_name,
            "args_kwargs": json.dumps(normalize_json({"args": args, "kwargs": kwargs})),
            "status": TaskResultStatus.READY,
            "enqueued_at": now.isoformat(),
            "worker_ids": "[]",
        }

        def push():
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(self.job_key(job_id), mapping=fields)
                pipe.lpush(self.queue_key(task.queue_name), job_id)
                pipe.execute()

        transaction.on_commit(push, robust=False)  # at once outside a transaction
        result = self._result(job_id, fields)
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id):
        fields = self.redis.hgetall(self.job_key(result_id))
        if not fields:
            raise TaskResultDoesNotExist(result_id)
        return self._result(result_id, fields)

    def _result(self, job_id: str, fields: dict) -> TaskResult:
        arguments = json.loads(fields["args_kwargs"])
        result = TaskResult(
            task=import_string(fields["task_path"]),
            id=job_id,
            status=TaskResultStatus(fields["status"]),
            enqueued_at=_time(fields.get("enqueued_at", "")),
            started_at=_time(fields.get("started_at", "")),
            finished_at=_time(fields.get("finished_at", "")),
            last_attempted_at=_time(fields.get("last_attempted_at", "")),
            args=arguments["args"],
            kwargs=arguments["kwargs"],
            backend=self.alias,
            errors=[TaskError(**error) for error in json.loads(fields.get("errors") or "[]")],
            worker_ids=json.loads(fields.get("worker_ids") or "[]"),
        )
        if fields.get("return_value"):
            object.__setattr__(result, "_return_value", json.loads(fields["return_value"]))
        return result

    # --- the worker's side ---------------------------------------------------------------------------------

    def take(self, worker_id: str) -> str | None:
        """The id of the oldest waiting job, now marked as running by `worker_id`; None if none waits."""
        for queue_name in sorted(self.queues):
            job_id = self._take(
                keys=[self.queue_key(queue_name), self.running_key],
                args=[f"{self.prefix}job:", worker_id, timezone.now().isoformat()],
            )
            if job_id:
                return job_id
        return None

    def run(self, job_id: str, worker_id: str) -> bool:
        """Run a job this worker took; True if its end was recorded (the job was still this worker's)."""
        result = self.get_result(job_id)
        task = result.task
        task_started.send(sender=type(self), task_result=result)
        status, value, errors = TaskResultStatus.SUCCESSFUL, None, []
        try:
            if task.takes_context:
                value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
            else:
                value = task.call(*result.args, **result.kwargs)
            value = normalize_json(value)
        except Exception as error:
            logger.exception("Job %s (%s) failed", job_id, task.module_path)
            status = TaskResultStatus.FAILED
            errors.append(
                {
                    "exception_class_path": f"{type(error).__module__}.{type(error).__qualname__}",
                    "traceback": "".join(format_exception(error)),
                }
            )
        recorded = self._finish(
            keys=[self.running_key, self.job_key(job_id)],
            args=[
                job_id,
                worker_id,
                status,
                timezone.now().isoformat(),
                json.dumps(value) if status == TaskResultStatus.SUCCESSFUL else "",
                json.dumps(errors),
                RESULT_DAYS * 86400,
            ],
        )
        if not recorded:
            logger.warning(
                "Job %s was queued again while worker %s ran it: its end is not recorded", job_id, worker_id
            )
        task_finished.send(sender=type(self), task_result=self.get_result(job_id))
        return bool(recorded)

    def running_jobs(self) -> dict[str, str]:
        return self.redis.hgetall(self.running_key)

    def requeue(self, job_id: str, worker_id: str) -> bool:
        """Put a running job back in its queue, if `worker_id` still holds it."""
        queue_name = self.redis.hget(self.job_key(job_id), "queue_name") or "default"
        return bool(
            self._requeue(
                keys=[self.running_key, self.job_key(job_id), self.queue_key(queue_name)],
                args=[job_id, worker_id],
            )
        )

    def work(self, worker_id: str, *, batch: bool = False, interval: float = 1.0) -> int:
        """Take and run jobs until stopped (SIGTERM or SIGINT: after the job in hand); with `batch`, until
        no job waits. Returns the number of jobs run."""
        self.check_connection()
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        in_main_thread = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGTERM, signal.SIGINT) if in_main_thread else ()
        previous = {sig: signal.signal(sig, stop) for sig in signals}
        done = 0
        try:
            while not stopping:
                close_old_connections()
                try:
                    job_id = self.take(worker_id)
                except redis.ConnectionError as error:
                    if batch:
                        raise
                    # Redis restarting: a long-running worker waits for it rather than exit.
                    logger.warning("Redis at %s does not answer: %s", self.url, error)
                    time.sleep(max(interval, 5.0))
                    continue
                if job_id is None:
                    if batch:
                        break
                    time.sleep(interval)
                    continue
                self.run(job_id, worker_id)
                done += 1
                close_old_connections()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return done
