"""Bench of the job queue (run: `.venv/bin/python -m bench.job_queue`).

10,000 small jobs (each opens an app context and a unit of work, as every queued job does, and
notes when it started) through two `guanhu worker` processes of one thread each, on the queue in
a SQLite file and in Redis (GUANHU_BENCH_REDIS_URL, default redis://127.0.0.1:6379/2; name
`sqlite` or `redis` as an argument for one of them). The floor
is the in-process pool the queue replaced: a ThreadPoolExecutor of two threads running the same
job in the same process. Measures throughput (all 10,000 queued at once) and the latency a job
gains on an idle queue (200 jobs, one every 20 ms: from queued to started).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

JOBS = 10_000
PACED = 200
PACE_SECONDS = 0.02
STARTS = "GUANHU_BENCH_STARTS"  # the folder each process notes its jobs' (queued, started) in


def note_start(_session, queued_at: float) -> None:
    """The benched job: one line `queued started` in this process's file."""
    started = time.time()
    with open(Path(os.environ[STARTS]) / f"{os.getpid()}.txt", "a", encoding="ascii") as notes:
        notes.write(f"{queued_at} {started}\n")


def noted(folder: Path) -> list[tuple[float, float]]:
    pairs = []
    for path in folder.glob("*.txt"):
        for line in path.read_text(encoding="ascii").splitlines():
            queued, started = line.split()
            pairs.append((float(queued), float(started)))
    return pairs


def wait_for(folder: Path, count: int, began: float) -> None:
    while (done := len(noted(folder))) < count:
        if time.perf_counter() - began > 300:
            raise SystemExit(f"only {done} of {count} jobs ran in 300 s")
        time.sleep(0.2)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    redis_url = os.environ.get("GUANHU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
    print(f"{JOBS} jobs, then {PACED} paced ({PACE_SECONDS * 1000:.0f} ms apart); two workers of one thread")
    queues = {"sqlite": f"sqlite:///{root / 'queue.sqlite3'}", "redis": redis_url}
    bench(root, "in-process pool (floor)", None)
    for name in sys.argv[1:] or queues:
        bench(root, f"{name} queue", queues[name])


def bench(root: Path, label: str, queue_url: str | None) -> None:
    from bench.job_queue import note_start as job  # by its module's name (not __main__) in the workers
    from web import create_app

    folder = root / label.split()[0]
    folder.mkdir()
    os.environ[STARTS] = str(folder)
    config = {"DATABASE_URL": f"sqlite:///{root / 'bench.sqlite3'}", "SECRET_KEY": "bench"}
    config |= {"QUEUE_URL": queue_url or "memory://", "QUEUE_NAME": "bench", "WORKER_IN_PROCESS": False}
    app = create_app(config)
    work = app.extensions["background"]
    workers, pool = [], ThreadPoolExecutor(2)

    def submit() -> None:
        if queue_url is None:
            pool.submit(work.run_here, job, (time.time(),))
        else:
            work.submit(job, (time.time(),))

    if queue_url is not None:
        work.huey.flush()
        environment = {
            **os.environ,
            "PYTHONPATH": str(Path(__file__).parent.parent),
            "GUANHU_INSTANCE_PATH": str(root / "instance"),
            **{f"GUANHU_{name}": str(value).lower() if value is False else value for name, value in config.items()},
        }
        command = [str(Path(sys.executable).parent / "guanhu"), "worker", "--threads", "1"]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        workers = [subprocess.Popen(command, env=environment, **quiet) for _ in range(2)]  # noqa: S603
        time.sleep(3)  # both idle and waiting
    began = time.perf_counter()
    for _ in range(JOBS):
        submit()
    queued = time.perf_counter() - began
    wait_for(folder, JOBS, began)
    done = time.perf_counter() - began
    for path in folder.glob("*.txt"):
        path.unlink()
    for _ in range(PACED):
        submit()
        time.sleep(PACE_SECONDS)
    wait_for(folder, PACED, time.perf_counter())
    latencies = sorted(started - queued_at for queued_at, started in noted(folder))
    for worker in workers:
        worker.terminate()
        worker.wait(30)
    pool.shutdown()
    app.extensions["db"].engine.dispose()
    print(f"-- {label}")
    print(f"{JOBS} jobs: queued in {queued:.2f} s, all run in {done:.2f} s: {JOBS / done:.0f} jobs/s")
    print(
        f"idle queue, queued to started: median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
