"""Bench of the WeChat endpoint (run: `.venv/bin/python -m bench.wechat_endpoint`).

Under gunicorn (GUANHU_BENCH_WORKERS sync workers each, default 4 as in README's deployment, on
loopback), in the same run: a bare Flask route answering a fixed XML reply (the floor); WeRoBot's
echo robot as its documentation sets it up (session storage on: its default, SQLite) and with
sessions off; our `/wechat` on SQLite (a temporary file), on PostgreSQL (GUANHU_BENCH_DATABASE_URL,
default the local `bench_wechat`, its tables dropped and created again) and on PostgreSQL with Redis
(GUANHU_BENCH_REDIS_URL, default the local Redis's database 13) as in production, deduplication on. `wrk`
(Debian package) loads each with 32 connections for GUANHU_BENCH_SECONDS (default 15) in all,
split into rounds that take turns, so that load from other processes on the machine falls on all
alike. Every request is a 帮助 text message with its own MsgId and its own signed nonce. Needs
`wrk` on PATH and `werobot` in the venv.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select, text

from bench.database import ensure_database
from bench.wechat_peers import TOKEN
from bot.crypto import signature
from bot.dedupe import RedisClaims
from models import Base
from models.db import make_engine
from models.wechat.entities import InboundMessage

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("GUANHU_BENCH_SECONDS", "15"))
ROUNDS = 3
CONNECTIONS = 32
WORKERS = int(os.environ.get("GUANHU_BENCH_WORKERS", "4"))
POSTGRES_URL = ensure_database(
    os.environ.get("GUANHU_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_wechat")
)
REDIS_URL = os.environ.get("GUANHU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SIGNED_NONCES = 100_000  # more than the requests of one run, so no nonce is used twice
OPENID = "oBenchVillager0000000000001"
MESSAGE = (
    "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[" + OPENID + "]]>"
    "</FromUserName><CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[帮助]]></Content><MsgId>{msg_id}</MsgId></xml>"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(spec: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        spec,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn for {spec} did not start")


def signed_query(timestamp: int, nonce: str) -> str:
    return urlencode({"timestamp": timestamp, "nonce": nonce, "signature": signature(TOKEN, str(timestamp), nonce)})


def check_answer(port: int, expected: str) -> None:
    """One request by hand before the load, to be sure we measure real answers."""
    now = int(time.time())
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = MESSAGE.format(created=now, msg_id=1).encode()
    connection.request("POST", "/wechat?" + signed_query(now, "check0"), body, {"Content-Type": "text/xml"})
    answer = connection.getresponse().read().decode()
    if expected not in answer:
        raise RuntimeError(f"unexpected answer on port {port}: {answer[:200]}")


def wrk_script(path: Path, first_msg_id: int) -> None:
    """A wrk Lua script: a fresh nonce (signed here) and a new MsgId for every request."""
    now = int(time.time())
    queries = ",\n".join(f'"{signed_query(now, f"n{first_msg_id}x{i}")}"' for i in range(SIGNED_NONCES))
    head, tail = MESSAGE.format(created=now, msg_id="@").split("@")
    path.write_text(f"""
local queries = {{{queries}}}
local head, tail = {json.dumps(head, ensure_ascii=False)}, {json.dumps(tail)}
local headers = {{["Content-Type"] = "text/xml"}}
local count = 0
request = function()
  count = count + 1
  local query = queries[(count - 1) % #queries + 1]
  return wrk.format("POST", "/wechat?" .. query, headers, head .. ({first_msg_id} + count) .. tail)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {{"requests":%d,"seconds":%.3f,"p50_ms":%.2f,"p99_ms":%.2f,"errors":%d}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.status + e.timeout))
end
""")


def load(port: int, script: Path, seconds: int) -> dict:
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def combine(rounds: list[dict]) -> dict:
    """All rounds of one server: requests/s over the whole time, the median round's percentiles."""
    requests, seconds = sum(r["requests"] for r in rounds), sum(r["seconds"] for r in rounds)
    middle = sorted(rounds, key=lambda r: r["p99_ms"])[len(rounds) // 2]
    return {
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": requests / seconds,
        "p50_ms": middle["p50_ms"],
        "p99_ms": middle["p99_ms"],
        "errors": sum(r["errors"] for r in rounds),
        "rounds_rps": [round(r["requests"] / r["seconds"]) for r in rounds],
    }


def empty_database(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        Base.metadata.create_all(connection)
    engine.dispose()


def count_claims(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        claims = connection.scalar(select(func.count()).select_from(InboundMessage))
    engine.dispose()
    return claims


def redis_claims(forget: bool = False) -> int:
    """The claims in the bench's Redis (deleted when `forget`)."""
    store = RedisClaims(REDIS_URL)
    keys = list(store.redis.scan_iter(store.prefix + "*", count=10_000))
    if forget and keys:
        store.redis.delete(*keys)
    return sum(b":claim:" in key for key in keys)


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench.wechat_endpoint needs wrk (apt-get install -y wrk)")
    rounds: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="guanhu-bench-") as tmp:
        setups = {
            "SQLite": (f"sqlite:///{tmp}/bench.sqlite3", None),
            "PostgreSQL": (POSTGRES_URL, None),
            "PostgreSQL + Redis": (POSTGRES_URL, REDIS_URL),
        }
        for url, _ in setups.values():
            empty_database(url)
        redis_claims(forget=True)

        def ours(url: str, redis_url: str | None) -> dict[str, str]:
            return {
                "GUANHU_DATABASE_URL": url,
                "GUANHU_WECHAT_TOKEN": TOKEN,
                "GUANHU_WECHAT_APPID": "wxbench000000000",
                "GUANHU_SECRET_KEY": "bench-secret",
                "GUANHU_INSTANCE_PATH": tmp,
                **({"GUANHU_REDIS_URL": redis_url} if redis_url else {}),
            }

        servers = [
            ("floor (bare Flask, fixed reply)", "bench.wechat_peers:floor", {}, "您好"),
            (
                "WeRoBot echo robot (its defaults)",
                f"bench.wechat_peers:make_robot('{tmp}/werobot_session.sqlite3')",
                {},
                "帮助",
            ),
            ("WeRoBot echo robot, sessions off", "bench.wechat_peers:make_robot()", {}, "帮助"),
            *(
                (f"guanhu /wechat, {name}", "web:create_app()", ours(*setup), "扫资产卡")
                for name, setup in setups.items()
            ),
        ]
        ports = {name: free_port() for name, *_ in servers}
        processes = [start(spec, ports[name], env) for name, spec, env, _ in servers]
        try:
            for name, _spec, _env, expected in servers:
                check_answer(ports[name], expected)
            for turn in range(ROUNDS):
                for name, *_ in servers[turn:] + servers[:turn]:  # each takes its turn first
                    script = Path(tmp) / "load.lua"
                    wrk_script(script, first_msg_id=1_000_000 * (turn + 1))
                    rounds.setdefault(name, []).append(load(ports[name], script, SECONDS // ROUNDS))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
        claims = {
            name: redis_claims(forget=True) if redis_url else count_claims(url)
            for name, (url, redis_url) in setups.items()
        }

    results = {name: combine(server_rounds) for name, server_rounds in rounds.items()}
    floor, robot, robot_bare = (results[name] for name, *_ in servers[:3])
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {WORKERS} workers per server")
    print(f"{'server':36} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  rounds req/s")
    for name, result in results.items():
        print(
            f"{name:36} {result['rps']:8.0f} {result['p50_ms']:8.2f} {result['p99_ms']:8.2f} "
            f"{result['errors']:7d}  {result['rounds_rps']}"
        )
    met = True
    for name in setups:
        result = results[f"guanhu /wechat, {name}"]
        rps = result["rps"]
        print(
            f"{name}: × floor {rps / floor['rps']:.2f} (target ≥ 0.5), × WeRoBot {rps / robot['rps']:.2f} "
            f"(target ≥ 3; × WeRoBot without sessions {rps / robot_bare['rps']:.2f}), p99 {result['p99_ms']:.1f} ms "
            f"(target < 100), claims {claims[name]} for {result['requests']} + 1 handled"
        )
        met &= result["rps"] >= 0.5 * floor["rps"] and result["rps"] >= 3 * robot["rps"] and result["p99_ms"] < 100
    print(json.dumps({"results": results, "claims": claims}, ensure_ascii=False))
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
