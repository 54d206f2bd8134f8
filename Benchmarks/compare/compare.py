#!/usr/bin/env python3
"""Side-by-side comparison of Strata with VictoriaMetrics, InfluxDB 1.x and PostgreSQL (issue #7).

Run through the wrapper:  Benchmarks/compare/run [--quick] [--lines N] [--systems strata,victoria,influx,postgres]

One data file is generated once with strata-loadgen (APIWorkload, 1 day of backfill ending at a whole
minute) and the same bytes go to every system. For each system in turn: start it on loopback with a
temporary data directory, ingest, measure (throughput until queryable, server CPU seconds, peak RSS,
bytes on disk per line after flush/compaction, median latency of four dashboard queries), stop it.
Strata's answers are checked against PostgreSQL's exact ones. A table goes to stdout and, when all four
systems ran, into BENCHMARKS.md between markers; raw results go to Benchmarks/compare/results/.
"""
from __future__ import annotations

import argparse
import atexit
import datetime
import itertools
import json
import os
import pickle
import platform
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RELEASE = ROOT / ".build" / "release"
CLK_TCK = os.sysconf("SC_CLK_TCK")
DAY = 86_400
QUERY_RUNS = 5                 # timed runs per query, after one warm-up
P95_TOLERANCE = 0.01           # relative error allowed for Strata's p95 against PostgreSQL's percentile_cont
INGEST_TIMEOUT = 3_600         # seconds, per system, until all data is queryable
ALL_SYSTEMS = ["strata", "victoria", "influx", "postgres"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Processes: /proc accounting, free ports, bounded waiting, clean-up on exit
# --------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_stat(pid: int) -> tuple[int, float]:
    """(parent pid, utime + stime + cutime + cstime in seconds) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    rest = data[data.rindex(")") + 2:].split()   # rest[0] is field 3 (state)
    return int(rest[1]), sum(int(x) for x in rest[11:15]) / CLK_TCK


def process_tree(pid: int) -> list[int]:
    """pid and all its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid, _ = _proc_stat(int(entry))
            except (OSError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    tree = [pid]
    for p in tree:  # grows while iterating: breadth-first
        tree.extend(children.get(p, []))
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a server and its children: live processes' own time plus reaped children's."""
    total = 0.0
    for p in process_tree(pid):
        try:
            total += _proc_stat(p)[1]
        except (OSError, ValueError):
            pass
    return total


def tree_peak_rss_bytes(pid: int) -> int:
    """Sum of VmHWM over the server's live processes."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def tree_rss_bytes(pid: int) -> int:
    """Sum of VmRSS over the server's live processes (now, not the peak)."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def du_bytes(path: Path) -> int:
    """Allocated bytes under path, like du."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                pass
    return total


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Calls predicate until it returns a truthy value; raises TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 - the server may not be up yet
            last_error = error
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_error})")


def wait_stable_size(path: Path, quiet_seconds: float, timeout: float) -> int:
    """Waits until du(path) has not changed for quiet_seconds (bounded by timeout); returns it."""
    deadline = time.monotonic() + timeout
    size, since = du_bytes(path), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_seconds:
        time.sleep(1)
        now = du_bytes(path)
        if now != size:
            size, since = now, time.monotonic()
    return size


class Server:
    """A server process we started; stopped on stop(), at exit, on Ctrl-C and on SIGTERM. A watchdog kills it
    when its resident memory exceeds Server.max_rss_bytes (the machine is shared: never let it swap or OOM)."""
    running: set["Server"] = set()
    max_rss_bytes = 14 * 2**30

    def __init__(self, name: str, argv: list[str], log_path: Path, user: str | None = None, cwd=None):
        self.name, self.argv, self.log_path = name, argv, log_path
        kwargs = {}
        if user is not None:
            entry = pwd.getpwnam(user)
            kwargs = dict(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
        self.log_file = open(log_path, "ab")
        self.process = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True, cwd=cwd, **kwargs)
        self.pid = self.process.pid
        self.killed_for_memory = 0
        Server.running.add(self)
        threading.Thread(target=self._watch_memory, daemon=True).start()

    def _watch_memory(self):
        while self.process.poll() is None:
            rss = tree_rss_bytes(self.pid)
            if rss > Server.max_rss_bytes:
                self.killed_for_memory = rss
                log(f"{self.name}: RSS {rss / 2**30:.1f} GiB over the cap of {Server.max_rss_bytes / 2**30:.1f} GiB: SIGKILL")
                self.process.kill()
                return
            time.sleep(0.5)

    def check_alive(self):
        if self.killed_for_memory:
            raise RuntimeError(f"{self.name} was killed by the harness at {self.killed_for_memory / 2**30:.1f} GiB RSS "
                               f"(cap {Server.max_rss_bytes / 2**30:.1f} GiB, --max-rss-gib)")
        if self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}; log tail:\n{tail}")

    def stop(self, sig=signal.SIGTERM, timeout: float = 60):
        if self.process.poll() is None:
            try:
                self.process.send_signal(sig)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop within {timeout:.0f} s: SIGKILL")
                self.process.kill()
                self.process.wait(30)
        self.log_file.close()
        Server.running.discard(self)

    @classmethod
    def stop_all(cls):
        for server in list(cls.running):
            try:
                server.stop(timeout=20)
            except Exception as error:  # noqa: BLE001
                log(f"stopping {server.name}: {error}")


atexit.register(Server.stop_all)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # runs finally blocks and atexit


def send_file_tcp(host: str, port: int, path: Path, connections: int, timeout: float):
    """Sends the file over `connections` TCP connections (line-aligned byte ranges, sendfile), half-closes
    each and waits until the server closes it (it has read everything)."""
    size = path.stat().st_size
    bounds = [0]
    with open(path, "rb") as f:
        for i in range(1, connections):
            f.seek(size * i // connections)
            f.readline()
            bounds.append(max(f.tell(), bounds[-1]))
    bounds.append(size)
    errors: list[BaseException] = []

    def sender(start: int, end: int):
        try:
            with socket.create_connection((host, port), timeout=timeout) as sock, open(path, "rb") as f:
                sent = sock.sendfile(f, start, end - start)   # os.sendfile, waiting within the timeout
                if sent != end - start:
                    raise RuntimeError(f"sent {sent} of {end - start} bytes")
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(65536):   # the server closes once it has read everything
                    pass
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=sender, args=(bounds[i], bounds[i + 1]), daemon=True)
               for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    if errors:
        raise errors[0]
    if any(t.is_alive() for t in threads):
        raise TimeoutError("TCP senders still running")


def count_until(count_fn, expected: int, timeout: float, what: str) -> tuple[int, float]:
    """Polls count_fn until it returns `expected` or stops changing for 30 s (bounded by timeout).
    Returns (final count, monotonic time the final count was first seen)."""
    deadline = time.monotonic() + timeout
    last, last_change = None, time.monotonic()
    interval = 0.1
    while time.monotonic() < deadline:
        try:
            value = count_fn()
        except Exception as error:  # noqa: BLE001
            log(f"{what}: count query failed: {error}")
            value = last
        now = time.monotonic()
        if value != last:
            last, last_change = value, now
        if value == expected:
            return value, now
        if now - last_change > 30:
            log(f"{what}: count stuck at {last} of {expected}")
            return last, last_change
        time.sleep(interval)
        interval = min(interval * 1.5, 2.0)
    raise TimeoutError(f"{what}: count {last} of {expected} after {timeout:.0f} s")


def time_query(fn, runs: int = QUERY_RUNS) -> dict:
    """One warm-up call of fn (all the round trips one dashboard query needs), then `runs` timed calls.
    Slow queries get fewer runs, so that they do not dominate the whole comparison: warm-up over 5 s → 3
    timed runs, over 15 s → 1, over 120 s → none (the warm-up is the figure). Returns ms and the answer."""
    t0 = time.perf_counter()
    answer = fn()
    warm_up = time.perf_counter() - t0
    runs = 0 if warm_up > 120 else 1 if warm_up > 15 else 3 if warm_up > 5 else runs
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        answer = fn()
        times.append((time.perf_counter() - t0) * 1000)
    figures = times or [warm_up * 1000]
    return {"median_ms": statistics.median(figures), "timed_runs": len(times), "warm_up_ms": warm_up * 1000,
            "min_ms": min(figures), "max_ms": max(figures), "runs_ms": [round(t, 2) for t in times],
            "answer": answer}


class HTTP:
    """requests with a timeout on every call and an error that shows the body."""

    def __init__(self, base: str, timeout: float = 1_800):
        self.base, self.timeout = base, timeout
        self.session = requests.Session()

    def get(self, path: str, params=None) -> requests.Response:
        r = self.session.get(self.base + path, params=params, timeout=self.timeout)
        if r.status_code >= 300:
            raise RuntimeError(f"GET {path} {params} -> {r.status_code}: {r.text[:500]}")
        return r

    def post(self, path: str, params=None, data=None) -> requests.Response:
        r = self.session.post(self.base + path, params=params, data=data, timeout=self.timeout)
        if r.status_code >= 300:
            raise RuntimeError(f"POST {path} {params} -> {r.status_code}: {r.text[:500]}")
        return r


# --------------------------------------------------------------------------------------------------
# The data set and its time windows
# --------------------------------------------------------------------------------------------------

class Dataset:
    def __init__(self, path: Path, lines: int, end: int):
        self.path, self.lines, self.end = path, lines, end
        self.bytes = path.stat().st_size
        # (a), (b), (d): the last 24 h of the data, [end − 24 h, end). (c): the whole range, with margin.
        self.day_start, self.day_end = end - DAY, end
        self.all_start, self.all_end = end - DAY - 3_600, end + 60


def generate(workdir: Path, lines: int, end: int) -> Dataset:
    path = workdir / "data.lp"
    log(f"generating {lines:,} lines ending at {end} ({datetime.datetime.fromtimestamp(end, datetime.UTC):%Y-%m-%d %H:%M} UTC)")
    subprocess.run([str(RELEASE / "strata-loadgen"), "--file", str(path), "--lines", str(lines),
                    "--backfill-days", "1", "--end", str(end)], check=True, timeout=1_800,
                   stderr=subprocess.DEVNULL)
    with open(path, "rb") as f:
        counted = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
    if counted != lines:
        raise RuntimeError(f"{path} has {counted} lines, expected {lines}")
    data = Dataset(path, lines, end)
    log(f"data: {data.bytes / 1e6:.0f} MB, {data.bytes / lines:.1f} bytes/line")
    return data


def parse_line(line: bytes):
    """(ts_ns, endpoint, method, key, status, duration_ms, req_bytes, resp_bytes) of one APIWorkload line.
    The generator escapes nothing (checked), so plain splits are exact."""
    head, fields, ts = line.split(b" ")
    tags = dict(part.split(b"=", 1) for part in head.split(b",")[1:])
    values = dict(part.split(b"=", 1) for part in fields.split(b","))
    return (int(ts), tags[b"endpoint"].decode(), tags[b"method"].decode(), tags[b"key"].decode(),
            int(tags[b"status"]), float(values[b"duration_ms"]), int(values[b"req_bytes"].rstrip(b"i")),
            int(values[b"resp_bytes"].rstrip(b"i")))


# --------------------------------------------------------------------------------------------------
# Systems: each has start / ingest / disk / queries / stop and fills self.result
# --------------------------------------------------------------------------------------------------

class System:
    name = "?"
    label = "?"

    def __init__(self, workdir: Path, data: Dataset):
        self.workdir = workdir / self.name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data = data
        self.server: Server | None = None
        self.result: dict = {"label": self.label}

    def version(self) -> str:
        return "?"

    def run(self):
        self.result["version"] = self.version()
        self.result["load_average_at_start"] = os.getloadavg()
        stage = "start"
        try:
            self.start()
            log(f"{self.label}: ingesting {self.data.lines:,} lines")
            stage = "ingest"
            self.ingest()
            ing = self.result["ingest"]
            log(f"{self.label}: {ing['lines_per_second']:,.0f} lines/s, CPU {ing['server_cpu_seconds']:.1f} s, "
                f"peak RSS {ing['peak_rss_bytes'] / 2**20:.0f} MiB")
            stage = "flush/compaction before measuring disk"
            self.result["disk"] = self.disk()
            log(f"{self.label}: {self.result['disk']['bytes'] / 2**20:.1f} MiB on disk "
                f"({self.result['disk']['bytes'] / self.data.lines:.1f} B/line)")
            self.result["queries"] = {}
            stage = "queries"
            for key, fn in self.queries().items():
                self.result["queries"][key] = time_query(fn)
                log(f"{self.label}: query ({key}) median {self.result['queries'][key]['median_ms']:.1f} ms")
            self.after_queries()
        except Exception as error:
            try:
                if self.server:
                    self.server.check_alive()   # a clearer error when the server died or was killed
            except RuntimeError as died:
                error = died
            raise RuntimeError(f"during {stage}: {error}") from error
        finally:
            self.stop()

    def after_queries(self):
        pass

    def stop(self):
        if self.server:
            self.server.stop()

    def measure_ingest(self, send, count_fn):
        """Times send() plus polling count_fn until it equals the line count; server CPU and peak RSS."""
        cpu0 = tree_cpu_seconds(self.server.pid)
        t0 = time.monotonic()
        send()
        sent = time.monotonic()
        count, t1 = count_until(count_fn, self.data.lines, INGEST_TIMEOUT, self.label)
        self.server.check_alive()
        self.result["ingest"] = {
            "seconds": t1 - t0, "send_seconds": sent - t0, "lines_per_second": self.data.lines / (t1 - t0),
            "server_cpu_seconds": tree_cpu_seconds(self.server.pid) - cpu0,
            "peak_rss_bytes": tree_peak_rss_bytes(self.server.pid), "visible_count": count,
        }


class Strata(System):
    name, label = "strata", "Strata"
    calls: list = []

    def version(self):
        def git(*args):
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        # the last commit that changed what the binaries are built from, and the checkout's HEAD
        sources = git("log", "-1", "--format=%h", "--", "Sources", "Tools", "Package.swift", "Package.resolved")
        return f"sources at {sources} (HEAD {git('rev-parse', '--short', 'HEAD')}, release build)"

    def start(self):
        self.tcp_port, http_port = free_port(), free_port()
        self.server = Server("strata", [
            str(RELEASE / "strata"), "serve", "--data-dir", str(self.workdir / "data"),
            "--ingest-addr", f"127.0.0.1:{self.tcp_port}", "--http-addr", f"127.0.0.1:{http_port}",
            # keep 1m buckets past the 24 h window so queries over the whole data stay at 1m resolution
            "--retention-1m", "7d", "--log-level", "warning"], self.workdir / "server.log")
        self.http = HTTP(f"http://127.0.0.1:{http_port}")
        wait_until(lambda: self.http.get("/ready").status_code == 200, 120, what="strata /ready")

    def query(self, **params) -> dict:
        params = {"measurement": "http_request", "field": "duration_ms", **params}
        t0 = time.perf_counter()
        answer = self.http.get("/api/v1/query", params).json()
        shown = {k: v for k, v in params.items() if k in ("agg", "where", "group_by", "step", "limit")}
        self.calls.append({"params": shown, "client_ms": (time.perf_counter() - t0) * 1000,
                           "granularity": answer.get("granularity"), "stats": answer.get("stats")})
        return answer

    def total_count(self) -> int:
        answer = self.query(agg="count", start=self.data.all_start, end=self.data.all_end)
        return int(sum(s["total"] or 0 for s in answer["series"]))

    def ingest(self):
        self.measure_ingest(lambda: send_file_tcp("127.0.0.1", self.tcp_port, self.data.path, 4, INGEST_TIMEOUT),
                            self.total_count)

    def disk(self):
        t0 = time.monotonic()
        self.http.post("/admin/compact")   # flush + every due rollup and merge (minutes at 10M lines)
        compact_seconds = time.monotonic() - t0
        path = self.workdir / "data"
        parts = {p.name: du_bytes(p) for p in path.iterdir() if p.is_dir()}
        self.result["peak_rss_after_compaction_bytes"] = tree_peak_rss_bytes(self.server.pid)
        return {"bytes": du_bytes(path), "parts": parts, "compact_seconds": compact_seconds}

    def by_tag(self, answer, tag) -> dict:
        return {s["tags"].get(tag): s["total"] for s in answer["series"]}

    def queries(self):
        d = self.data
        day = dict(start=d.day_start, end=d.day_end)

        def per_endpoint():
            count = self.by_tag(self.query(agg="count", group_by="endpoint", **day), "endpoint")
            errors = self.by_tag(self.query(agg="count", group_by="endpoint", where="status_class=5xx", **day),
                                 "endpoint")
            p95 = self.by_tag(self.query(agg="p95", group_by="endpoint", **day), "endpoint")
            return {e: {"count": c, "rate_5xx": (errors.get(e) or 0) / c, "p95": p95.get(e)} for e, c in count.items()}

        def totals_5m():
            return {q: len(self.query(agg=q, step="5m", **day)["series"][0]["points"]) for q in ("p50", "p95", "p99")}

        def top_keys():
            answer = self.query(agg="count", group_by="key", order="desc", limit=10, start=d.all_start, end=d.all_end)
            return [(s["tags"]["key"], s["total"]) for s in answer["series"]]

        def heatmap():
            return sum(len(s["points"]) for s in self.query(agg="count", step="1h", group_by="endpoint", **day)["series"])

        def recorded(key, fn):   # keeps each call's time and server statistics of the last run
            def run():
                self.calls = []
                answer = fn()
                self.result.setdefault("query_calls", {})[key] = self.calls
                return answer
            return run

        return {k: recorded(k, fn) for k, fn in
                {"a": per_endpoint, "b": totals_5m, "c": top_keys, "d": heatmap}.items()}


class Victoria(System):
    name, label = "victoria", "VictoriaMetrics"
    metric = "http_request_duration_ms"   # Influx line → {measurement}_{field}, tags as labels

    def version(self):
        return "victoria-metrics " + dpkg_version("victoria-metrics")

    def start(self):
        self.tcp_port, http_port = free_port(), free_port()
        self.server = Server("victoria-metrics", [
            shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics",
            f"-storageDataPath={self.workdir / 'data'}", f"-httpListenAddr=127.0.0.1:{http_port}",
            f"-influxListenAddr=127.0.0.1:{self.tcp_port}", "-retentionPeriod=100y",
            "-search.latencyOffset=0s",           # the data ends at a whole minute that may be seconds ago
            "-search.disableCache",               # no rollup-result cache: every timed query is computed
            "-search.maxUniqueTimeseries=10000000", "-search.maxQueryDuration=1800s",
            "-search.maxSamplesPerQuery=10000000000", "-loggerLevel=ERROR"], self.workdir / "server.log")
        self.http = HTTP(f"http://127.0.0.1:{http_port}")
        wait_until(lambda: self.http.get("/health").status_code == 200, 120, what="victoria /health")

    def instant(self, expr: str, at: float) -> list:
        answer = self.http.get("/api/v1/query", {"query": expr, "time": f"{at:.3f}", "nocache": "1"}).json()
        return answer["data"]["result"]

    def range(self, expr: str, start: float, end: float, step: str) -> list:
        answer = self.http.get("/api/v1/query_range", {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}",
                                                       "step": step, "nocache": "1"}).json()
        return answer["data"]["result"]

    def total_count(self) -> int:
        # window (t − 26h, t] at t = all_end covers all the data
        result = self.instant(f"sum(count_over_time({self.metric}[26h]))", self.data.all_end)
        return int(float(result[0]["value"][1])) if result else 0

    def ingest(self):
        self.measure_ingest(lambda: send_file_tcp("127.0.0.1", self.tcp_port, self.data.path, 4, INGEST_TIMEOUT),
                            self.total_count)

    def disk(self):
        t0 = time.monotonic()
        try:
            self.http.get("/internal/force_flush")
        except RuntimeError as error:   # older releases: buffers reach disk within a few seconds anyway
            log(f"VictoriaMetrics force_flush: {error}")
        month = datetime.datetime.fromtimestamp(self.data.end, datetime.UTC)
        prefixes = {f"{m:%Y_%m}" for m in (month, month - datetime.timedelta(days=2))}
        for prefix in sorted(prefixes):
            self.http.get("/internal/force_merge", {"partition_prefix": prefix})
        size = wait_stable_size(self.workdir / "data", quiet_seconds=10, timeout=300)
        return {"bytes": size, "flush_merge_seconds": time.monotonic() - t0}

    def queries(self):
        d, m = self.data, self.metric
        at = d.day_end - 0.001   # window (at − 24h, at] = [day_start, day_end) at ms resolution

        def by(result, label):
            return {r["metric"].get(label): float(r["value"][1]) for r in result}

        def per_endpoint():
            count = by(self.instant(f"sum(count_over_time({m}[24h])) by (endpoint)", at), "endpoint")
            errors = by(self.instant(f'sum(count_over_time({m}{{status=~"5.."}}[24h])) by (endpoint)', at), "endpoint")
            p95 = by(self.instant(f"histogram_quantile(0.95, sum(histogram_over_time({m}[24h])) by (vmrange, endpoint))",
                                  at), "endpoint")
            return {e: {"count": c, "rate_5xx": errors.get(e, 0) / c, "p95": p95.get(e)} for e, c in count.items()}

        def totals_5m():
            return {q: len(self.range(f"histogram_quantile({q}, sum(histogram_over_time({m}[5m])) by (vmrange))",
                                      d.day_start + 300 - 0.001, at, "5m")[0]["values"])
                    for q in ("0.5", "0.95", "0.99")}

        def top_keys():
            result = self.instant(f"topk(10, sum(count_over_time({m}[26h])) by (key))", d.all_end)
            return sorted(((r["metric"]["key"], int(float(r["value"][1]))) for r in result), key=lambda kv: -kv[1])

        def heatmap():
            result = self.range(f"sum(count_over_time({m}[1h])) by (endpoint)", d.day_start + 3_600 - 0.001, at, "1h")
            return sum(len(r["values"]) for r in result)

        return {"a": per_endpoint, "b": totals_5m, "c": top_keys, "d": heatmap}


class Influx(System):
    name, label = "influx", "InfluxDB"
    db = "bench"

    def version(self):
        return "influxdb " + dpkg_version("influxdb")

    def start(self):
        http_port, meta_port = free_port(), free_port()
        w = self.workdir
        config = w / "influxdb.conf"
        config.write_text(f"""
reporting-disabled = true
bind-address = "127.0.0.1:{meta_port}"
[meta]
  dir = "{w}/meta"
[data]
  dir = "{w}/data"
  wal-dir = "{w}/wal"
  index-version = "inmem"
  query-log-enabled = false
  max-series-per-database = 0
  max-values-per-tag = 0
  cache-snapshot-write-cold-duration = "10s"
  compact-full-write-cold-duration = "30s"
[coordinator]
  query-timeout = "0s"
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[http]
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
  max-body-size = 0
[ifql]
  enabled = false
""")
        self.server = Server("influxd", [shutil.which("influxd") or "/usr/bin/influxd", "-config", str(config)],
                             w / "server.log")
        self.http = HTTP(f"http://127.0.0.1:{http_port}")
        wait_until(lambda: self.http.get("/ping").status_code == 204, 120, what="influxd /ping")
        self.http.post("/query", data={"q": f"CREATE DATABASE {self.db}"})

    def influxql(self, q: str) -> list:
        answer = self.http.get("/query", {"db": self.db, "q": q, "epoch": "ms"}).json()
        result = answer["results"][0]
        if "error" in result:
            raise RuntimeError(f"InfluxQL error: {result['error']} in {q}")
        return result.get("series", [])

    def window(self, start, end) -> str:
        return f"time >= {start}s AND time < {end}s"

    def total_count(self) -> int:
        series = self.influxql(f"SELECT count(duration_ms) FROM http_request WHERE "
                               f"{self.window(self.data.all_start, self.data.all_end)}")
        return int(series[0]["values"][0][1]) if series else 0

    def ingest(self):
        url = self.http.base + "/write"

        def batches():
            with open(self.data.path, "rb") as f:
                while batch := b"".join(itertools.islice(f, 5_000)):
                    yield batch

        local = threading.local()

        def post(body: bytes):
            if not hasattr(local, "session"):
                local.session = requests.Session()
            r = local.session.post(url, params={"db": self.db, "precision": "ns"}, data=body, timeout=300)
            if r.status_code != 204:
                raise RuntimeError(f"influx write -> {r.status_code}: {r.text[:300]}")

        def send():
            in_flight = threading.BoundedSemaphore(8)
            with ThreadPoolExecutor(4) as pool:
                futures = []
                for body in batches():
                    in_flight.acquire()
                    future = pool.submit(post, body)
                    future.add_done_callback(lambda _: in_flight.release())
                    futures.append(future)
                for future in futures:
                    future.result()

        self.measure_ingest(send, self.total_count)

    def disk(self):
        # cold shards are snapshotted after 10 s and fully compacted after 30 s (config above)
        t0 = time.monotonic()
        size = wait_until(lambda: du_bytes(self.workdir / "wal") < 1 << 20 and 1, 300, interval=2,
                          what="influx WAL snapshot") and wait_stable_size(self.workdir, quiet_seconds=45, timeout=400)
        return {"bytes": size, "wait_seconds": time.monotonic() - t0,
                "parts": {p: du_bytes(self.workdir / p) for p in ("data", "wal", "meta")}}

    def queries(self):
        d = self.data
        day = self.window(d.day_start, d.day_end)

        def by(series, tag):
            return {s["tags"][tag]: s["values"][0][1:] for s in series}

        def per_endpoint():
            both = by(self.influxql(f"SELECT count(duration_ms), percentile(duration_ms, 95) FROM http_request "
                                    f"WHERE {day} GROUP BY endpoint"), "endpoint")
            errors = by(self.influxql(f"SELECT count(duration_ms) FROM http_request WHERE status =~ /^5/ AND {day} "
                                      f"GROUP BY endpoint"), "endpoint")
            return {e: {"count": c, "rate_5xx": errors.get(e, [0])[0] / c, "p95": p} for e, (c, p) in both.items()}

        def totals_5m():
            series = self.influxql(f"SELECT percentile(duration_ms, 50), percentile(duration_ms, 95), "
                                   f"percentile(duration_ms, 99) FROM http_request WHERE {day} GROUP BY time(5m)")
            return len(series[0]["values"])

        def top_keys():
            # InfluxQL has no ORDER BY on an aggregate across groups: count per key (100 rows), top 10 here
            counts = by(self.influxql(f"SELECT count(duration_ms) FROM http_request WHERE "
                                      f"{self.window(d.all_start, d.all_end)} GROUP BY \"key\""), "key")
            return sorted(((k, v[0]) for k, v in counts.items()), key=lambda kv: -kv[1])[:10]

        def heatmap():
            series = self.influxql(f"SELECT count(duration_ms) FROM http_request WHERE {day} "
                                   f"GROUP BY time(1h), endpoint")
            return sum(len(s["values"]) for s in series)

        return {"a": per_endpoint, "b": totals_5m, "c": top_keys, "d": heatmap}


class Postgres(System):
    """The design Strata replaces: (i) api_metrics, minute buckets upserted by a client that aggregates per
    minute, for counts, rates, top-N and heatmaps; (ii) api_requests, raw rows loaded with COPY, for
    percentiles (minute buckets cannot give them) and as the exact ground truth."""
    name, label = "postgres", "PostgreSQL"
    strata_p95: dict | None = None   # Strata's p95 per endpoint, when it ran first (for the cross-check)

    def version(self):
        return subprocess.run([str(self.bindir() / "postgres"), "--version"], capture_output=True, text=True,
                              timeout=10).stdout.strip()

    @staticmethod
    def bindir() -> Path:
        candidates = []
        if shutil.which("pg_config"):
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
            candidates.append(Path(out))
        candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                             if p.parent.name.isdigit() else 0, reverse=True)
        for tool in ("initdb", "postgres"):
            if shutil.which(tool):
                candidates.append(Path(os.path.realpath(shutil.which(tool))).parent)
        for c in candidates:
            if (c / "initdb").exists() and (c / "postgres").exists():
                return c
        raise RuntimeError("initdb/postgres not found (apt-get install postgresql)")

    def start(self):
        import psycopg
        self.psycopg = psycopg
        self.user = None
        if os.geteuid() == 0:   # initdb refuses root: run the server as an unprivileged user
            self.user = pg_user()
            os.chmod(self.workdir.parent, 0o711)
            os.chmod(self.workdir, 0o711)
        pgdata, sockets = self.workdir / "pgdata", self.workdir / "sock"
        for p in (pgdata, sockets):
            p.mkdir(exist_ok=True)
            if self.user:
                shutil.chown(p, self.user, pwd.getpwnam(self.user).pw_gid)
        as_user = {}
        if self.user:
            entry = pwd.getpwnam(self.user)
            as_user = dict(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
        subprocess.run([str(self.bindir() / "initdb"), "-D", str(pgdata), "-U", "bench", "--auth=trust",
                        "-E", "UTF8", "--locale=C", "--no-sync"], check=True, timeout=300, cwd=self.workdir,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, **as_user)
        self.port = free_port()
        self.server = Server("postgres", [
            str(self.bindir() / "postgres"), "-D", str(pgdata), "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={sockets}",
            "-c", "shared_buffers=1GB", "-c", "work_mem=256MB", "-c", "maintenance_work_mem=512MB",
            "-c", "max_wal_size=8GB", "-c", "checkpoint_timeout=30min"],
            self.workdir / "server.log", user=self.user, cwd=self.workdir)
        self.conninfo = f"host=127.0.0.1 port={self.port} user=bench dbname=postgres"
        self.conn = wait_until(lambda: psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5), 120,
                               interval=0.5, what="postgres connection")
        self.conn.execute("""
            CREATE TABLE api_metrics (
                minute timestamptz NOT NULL, endpoint text NOT NULL, method text NOT NULL, key text NOT NULL,
                status smallint NOT NULL, count bigint NOT NULL, sum_duration double precision NOT NULL,
                min_duration double precision NOT NULL, max_duration double precision NOT NULL,
                sum_req_bytes bigint NOT NULL, sum_resp_bytes bigint NOT NULL,
                PRIMARY KEY (minute, endpoint, method, key, status))""")
        self.conn.execute("""
            CREATE TABLE api_requests (
                ts_ns bigint NOT NULL, endpoint text NOT NULL, method text NOT NULL, key text NOT NULL,
                status smallint NOT NULL, duration_ms double precision NOT NULL, req_bytes bigint NOT NULL,
                resp_bytes bigint NOT NULL)""")

    def stop(self):
        if getattr(self, "conn", None) is not None:
            self.conn.close()
        if self.server:
            self.server.stop(signal.SIGINT)   # fast shutdown

    def prepare(self) -> dict:
        """Untimed client-side work: parse the line protocol once into (i) per-minute aggregate batches (what
        application servers would compute in-process) and (ii) a tab-separated file for COPY."""
        t0 = time.monotonic()
        self.batches_path, self.tsv_path = self.workdir / "minutes.pickle", self.workdir / "raw.tsv"
        rows = 0
        with open(self.data.path, "rb") as src, open(self.tsv_path, "w") as tsv, \
                open(self.batches_path, "wb") as batches:
            current, buckets = None, {}

            def flush():
                nonlocal rows
                if buckets:
                    rows += len(buckets)
                    pickle.dump((current, list(buckets.items())), batches, protocol=pickle.HIGHEST_PROTOCOL)
                    buckets.clear()

            for line in src:
                if b"\\" in line or b'"' in line:
                    raise RuntimeError(f"unexpected escape in line: {line[:200]!r}")
                ts, endpoint, method, key, status, duration, req, resp = parse_line(line.rstrip(b"\n"))
                tsv.write(f"{ts}\t{endpoint}\t{method}\t{key}\t{status}\t{duration!r}\t{req}\t{resp}\n")
                minute = ts // 60_000_000_000 * 60
                if minute != current:
                    flush()   # lines come in time order: a minute is complete when the next one starts
                    current = minute
                state = buckets.get((endpoint, method, key, status))
                if state is None:
                    buckets[(endpoint, method, key, status)] = [1, duration, duration, duration, req, resp]
                else:
                    state[0] += 1
                    state[1] += duration
                    state[2] = min(state[2], duration)
                    state[3] = max(state[3], duration)
                    state[4] += req
                    state[5] += resp
            flush()
        return {"seconds": time.monotonic() - t0, "minute_rows": rows}

    UPSERT = """
        INSERT INTO api_metrics AS m (minute, endpoint, method, key, status, count, sum_duration, min_duration,
                                      max_duration, sum_req_bytes, sum_resp_bytes)
        SELECT to_timestamp(%s), * FROM unnest(%s::text[], %s::text[], %s::text[], %s::smallint[], %s::bigint[],
                                               %s::float8[], %s::float8[], %s::float8[], %s::bigint[], %s::bigint[])
        ON CONFLICT (minute, endpoint, method, key, status) DO UPDATE SET
            count = m.count + EXCLUDED.count, sum_duration = m.sum_duration + EXCLUDED.sum_duration,
            min_duration = least(m.min_duration, EXCLUDED.min_duration),
            max_duration = greatest(m.max_duration, EXCLUDED.max_duration),
            sum_req_bytes = m.sum_req_bytes + EXCLUDED.sum_req_bytes,
            sum_resp_bytes = m.sum_resp_bytes + EXCLUDED.sum_resp_bytes"""

    def phase(self, name: str, work, count_sql: str) -> dict:
        cpu0 = tree_cpu_seconds(self.server.pid)
        t0 = time.monotonic()
        work()
        count = self.conn.execute(count_sql).fetchone()[0]
        t1 = time.monotonic()
        if count != self.data.lines:
            raise RuntimeError(f"postgres {name}: {count} of {self.data.lines} lines")
        return {"seconds": t1 - t0, "lines_per_second": self.data.lines / (t1 - t0),
                "server_cpu_seconds": tree_cpu_seconds(self.server.pid) - cpu0,
                "peak_rss_bytes": tree_peak_rss_bytes(self.server.pid), "visible_count": count}

    def ingest(self):
        log("PostgreSQL: client-side parse and per-minute aggregation (not timed)")
        self.result["prepare"] = self.prepare()

        def upsert():
            with open(self.batches_path, "rb") as f, self.conn.cursor() as cur:
                while True:
                    try:
                        minute, buckets = pickle.load(f)
                    except EOFError:
                        break
                    columns = list(zip(*((*k, *v) for k, v in buckets)))
                    cur.execute(self.UPSERT, (minute, *map(list, columns)))

        def copy():
            with open(self.tsv_path, "rb") as f, self.conn.cursor() as cur:
                with cur.copy("COPY api_requests FROM STDIN") as c:
                    while chunk := f.read(1 << 20):
                        c.write(chunk)

        minutes = self.phase("upsert", upsert, "SELECT sum(count)::bigint FROM api_metrics")
        log(f"PostgreSQL minute upsert: {minutes['lines_per_second']:,.0f} lines/s "
            f"({self.result['prepare']['minute_rows']:,} minute rows)")
        raw = self.phase("copy", copy, "SELECT count(*) FROM api_requests")
        log(f"PostgreSQL raw COPY: {raw['lines_per_second']:,.0f} lines/s")
        seconds = minutes["seconds"] + raw["seconds"]
        self.result["phases"] = {"minute_upsert": minutes, "raw_copy": raw}
        self.result["ingest"] = {   # the design needs both tables: percentiles come from the raw rows
            "seconds": seconds, "lines_per_second": self.data.lines / seconds,
            "server_cpu_seconds": minutes["server_cpu_seconds"] + raw["server_cpu_seconds"],
            "peak_rss_bytes": max(minutes["peak_rss_bytes"], raw["peak_rss_bytes"]),
            "visible_count": raw["visible_count"]}
        for p in (self.batches_path, self.tsv_path):
            p.unlink()

    def disk(self):
        self.conn.execute("VACUUM ANALYZE api_metrics")
        self.conn.execute("VACUUM ANALYZE api_requests")
        self.conn.execute("CHECKPOINT")
        sizes = {t: self.conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0]
                 for t in ("api_metrics", "api_requests")}
        return {"bytes": sum(sizes.values()), "parts": sizes}

    def sql(self, q: str, params=()) -> list:
        return self.conn.execute(q, params).fetchall()

    def queries(self):
        d = self.data
        minute_window = "minute >= to_timestamp(%s) AND minute < to_timestamp(%s)"
        day_m = (d.day_start, d.day_end)
        day_ns = (d.day_start * 10**9, d.day_end * 10**9)

        def per_endpoint():
            counts = self.sql(f"""SELECT endpoint, sum(count)::bigint,
                                         sum(count) FILTER (WHERE status BETWEEN 500 AND 599)::float8 / sum(count)
                                  FROM api_metrics WHERE {minute_window} GROUP BY endpoint""", day_m)
            p95 = dict(self.sql("""SELECT endpoint, percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)
                                   FROM api_requests WHERE ts_ns >= %s AND ts_ns < %s GROUP BY endpoint""", day_ns))
            return {e: {"count": c, "rate_5xx": r or 0.0, "p95": p95.get(e)} for e, c, r in counts}

        def totals_5m():
            return len(self.sql("""SELECT (ts_ns - %s) / 300000000000 AS step,
                                          percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY duration_ms)
                                   FROM api_requests WHERE ts_ns >= %s AND ts_ns < %s GROUP BY 1""",
                                (day_ns[0], *day_ns)))

        def top_keys():
            return self.sql(f"""SELECT key, sum(count)::bigint FROM api_metrics WHERE {minute_window}
                                GROUP BY key ORDER BY 2 DESC LIMIT 10""", (d.all_start, d.all_end))

        def heatmap():
            return len(self.sql(f"""SELECT date_bin('1 hour', minute, to_timestamp(%s)), endpoint, sum(count)
                                    FROM api_metrics WHERE {minute_window} GROUP BY 1, 2""", (d.day_start, *day_m)))

        return {"a": per_endpoint, "b": totals_5m, "c": top_keys, "d": heatmap}

    def after_queries(self):
        self.truth = self.exact_answers()

    def exact_answers(self) -> dict:
        """Exact answers from the raw rows (and the minute table, which must agree), for the cross-check; with
        Strata's p95 per endpoint (self.strata_p95), also where each falls among the raw values (its rank)."""
        d = self.data
        day_ns = (d.day_start * 10**9, d.day_end * 10**9)
        raw = {e: (n, p) for e, n, p in self.sql(
            """SELECT endpoint, count(*), percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)
               FROM api_requests WHERE ts_ns >= %s AND ts_ns < %s GROUP BY endpoint""", day_ns)}
        minutes = dict(self.sql("""SELECT endpoint, sum(count)::bigint FROM api_metrics
                                   WHERE minute >= to_timestamp(%s) AND minute < to_timestamp(%s)
                                   GROUP BY endpoint""", (d.day_start, d.day_end)))
        if minutes != {e: n for e, (n, _) in raw.items()}:
            raise RuntimeError("PostgreSQL's minute table and raw rows disagree on counts per endpoint")
        keys = dict(self.sql("SELECT key, count(*) FROM api_requests WHERE ts_ns >= %s AND ts_ns < %s GROUP BY key",
                             (d.all_start * 10**9, d.all_end * 10**9)))
        ranks = {}
        estimates = {e: v for e, v in (self.strata_p95 or {}).items() if v is not None}
        if estimates:
            # mid-rank of each estimate among its endpoint's values: (#below + #at-or-below) / 2n
            ranks = {e: (lo + le) / 2 / n for e, lo, le, n in self.sql(
                """WITH s(endpoint, v) AS (SELECT * FROM unnest(%s::text[], %s::float8[]))
                   SELECT r.endpoint, count(*) FILTER (WHERE r.duration_ms < s.v),
                          count(*) FILTER (WHERE r.duration_ms <= s.v), count(*)
                   FROM api_requests r JOIN s USING (endpoint) WHERE ts_ns >= %s AND ts_ns < %s
                   GROUP BY r.endpoint""", (list(estimates), [float(v) for v in estimates.values()], *day_ns))}
        return {"endpoints": raw, "keys": keys, "strata_p95_ranks": ranks}


def pg_user() -> str:
    for name in ("postgres", "strata-compare"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "strata-compare"],
                   check=True, timeout=60)
    return "strata-compare"


def dpkg_version(package: str) -> str:
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True,
                          timeout=10).stdout.strip() or "?"


SYSTEMS = {"strata": Strata, "victoria": Victoria, "influx": Influx, "postgres": Postgres}


# --------------------------------------------------------------------------------------------------
# Set-up: Strata binaries and peer packages
# --------------------------------------------------------------------------------------------------

def ensure_strata_built():
    for product in ("strata", "strata-loadgen"):
        if not (RELEASE / product).exists():
            log(f"building {product} (release)")
            subprocess.run(["bash", "Tools/install-deps.sh"], cwd=ROOT, check=True, timeout=1_800)
            subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True,
                           timeout=7_200)


def ensure_packages(systems: list[str]):
    wanted = {"victoria": ("victoria-metrics", "victoria-metrics"), "influx": ("influxd", "influxdb")}
    missing = [pkg for s, (binary, pkg) in wanted.items() if s in systems and not shutil.which(binary)]
    if "postgres" in systems:
        try:
            Postgres.bindir()
        except RuntimeError:
            missing.append("postgresql")
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log(f"installing with apt-get: {' '.join(missing)}")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, timeout=900, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", *missing], check=True, timeout=1_800, env=env,
                   stdout=subprocess.DEVNULL)


def machine() -> dict:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) * 1024
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gib": round(mem / 2**30, 1),
            "os": platform.platform(), "load_average": os.getloadavg()}


# --------------------------------------------------------------------------------------------------
# Cross-check, table, BENCHMARKS.md
# --------------------------------------------------------------------------------------------------

def cross_check(strata: dict, truth: dict, strict: bool = False) -> dict:
    """Strata's (a) counts and (c) top 10 must equal PostgreSQL's exact answers; its p95 per endpoint must be
    within P95_TOLERANCE of percentile_cont on the raw rows."""
    failures = []
    a = strata["queries"]["a"]["answer"]
    exact = truth["endpoints"]
    for e in sorted(set(a) | set(exact)):
        got, want = (a.get(e) or {}).get("count"), exact.get(e, (None,))[0]
        if got is None or want is None or int(got) != want:
            failures.append(f"(a) count of endpoint {e}: Strata {got}, PostgreSQL {want}")
    top = strata["queries"]["c"]["answer"]
    want_counts = sorted(truth["keys"].values(), reverse=True)[:10]
    if sorted((int(c) for _, c in top), reverse=True) != want_counts:
        failures.append(f"(c) top-10 counts: Strata {[c for _, c in top]}, PostgreSQL {want_counts}")
    for k, c in top:
        if truth["keys"].get(k) != int(c):
            failures.append(f"(c) count of key {k}: Strata {c}, PostgreSQL {truth['keys'].get(k)}")
    errors = []
    for e, (n, p) in exact.items():
        got = (a.get(e) or {}).get("p95")
        rel = abs(got - p) / p if got is not None and p else float("inf")
        rank_error = abs(truth["strata_p95_ranks"].get(e, float("inf")) - 0.95)
        errors.append((rel, e, n, got, p, rank_error))
        # Within 1 %, or (few values, where the gap between neighbouring values exceeds 1 % and quantile
        # definitions differ) within about one order statistic of the p95 position.
        if rel > P95_TOLERANCE and (strict or rank_error > max(2 / n, 0.002)):
            failures.append(f"(a) p95 of endpoint {e} (n={n}): Strata {got}, PostgreSQL {p:.3f}, error {rel:.2%}, "
                            f"rank error {rank_error:.4f}")
    errors.sort(reverse=True)
    beyond = [x for x in errors if x[0] > P95_TOLERANCE]

    def worst(rows):
        if not rows:
            return None
        rel, e, n, got, p, rank_error = rows[0]
        return {"relative_error": rel, "endpoint": e, "n": n, "strata": got, "postgres": p, "rank_error": rank_error}

    return {
        "passed": not failures, "failures": failures, "endpoints": len(exact),
        "p95_worst": worst(errors), "p95_worst_n_ge_1000": worst([x for x in errors if x[2] >= 1_000]),
        "p95_mean_relative_error": statistics.mean(x[0] for x in errors) if errors else None,
        "p95_beyond_1pct": len(beyond), "p95_beyond_1pct_max_n": max((x[2] for x in beyond), default=None),
        "p95_worst_rank_error": max((x[5] for x in errors), default=None),
    }


def peer_accuracy(result: dict, truth: dict) -> dict:
    """How a peer's (a) answers compare with the exact ones (information only)."""
    a = result["queries"]["a"]["answer"]
    exact = truth["endpoints"]
    wrong_counts = sum(1 for e, (n, _) in exact.items() if (a.get(e) or {}).get("count") != n)
    rel = [abs(a[e]["p95"] - p) / p for e, (_, p) in exact.items() if e in a and a[e]["p95"] is not None and p]
    return {"count_mismatches": wrong_counts, "p95_worst_relative_error": max(rel, default=None),
            "p95_mean_relative_error": statistics.mean(rel) if rel else None}


COLUMNS = [("strata", "Strata"), ("victoria", "VictoriaMetrics"), ("influx", "InfluxDB 1.x"),
           ("postgres", "PostgreSQL")]
ROWS = [
    ("ingest lines/s (until queryable)", lambda r, d: r["ingest"]["lines_per_second"], "{:,.0f}"),
    ("server CPU seconds (ingest)", lambda r, d: r["ingest"]["server_cpu_seconds"], "{:,.1f}"),
    ("peak RSS MiB (ingest)", lambda r, d: r["ingest"]["peak_rss_bytes"] / 2**20, "{:,.0f}"),
    ("disk bytes / line", lambda r, d: r["disk"]["bytes"] / d.lines, "{:,.1f}"),
    ("(a) 24 h per endpoint: count, 5xx rate, p95 (ms)", lambda r, d: r["queries"]["a"]["median_ms"], "{:,.1f}"),
    ("(b) 24 h total p50/p95/p99 at 5 m (ms)", lambda r, d: r["queries"]["b"]["median_ms"], "{:,.1f}"),
    ("(c) top 10 keys, whole range (ms)", lambda r, d: r["queries"]["c"]["median_ms"], "{:,.1f}"),
    ("(d) per-endpoint counts at 1 h (ms)", lambda r, d: r["queries"]["d"]["median_ms"], "{:,.1f}"),
]


def mark(result: dict, title: str) -> str:
    """† after a query figure measured with fewer than QUERY_RUNS timed runs (a slow query)."""
    key = title[1] if title.startswith("(") else None
    return "†" if key and result["queries"][key].get("timed_runs", QUERY_RUNS) < QUERY_RUNS else ""


def table(results: dict, data) -> str:
    """Metrics × systems, then Strata ÷ peer. A system that failed part-way shows what it measured, — elsewhere."""
    present = [(k, title) for k, title in COLUMNS if "ingest" in results.get(k, {})]
    peers = [(k, title) for k, title in present if k != "strata"]
    has_strata = any(k == "strata" for k, _ in present)
    header = ["metric"] + [t for _, t in present] + ([f"Strata ÷ {t.split()[0]}" for _, t in peers] if has_strata else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for title, get, fmt in ROWS:
        values = {}
        for k, _ in present:
            try:
                values[k] = get(results[k], data)
            except (KeyError, TypeError):
                values[k] = None
        cells = [fmt.format(values[k]) + mark(results[k], title) if values[k] is not None else "—" for k, _ in present]
        if has_strata:
            cells += [f"{values['strata'] / values[k]:.2f}" if values["strata"] is not None and values[k] else "—"
                      for k, _ in peers]
        lines.append("| " + " | ".join([title] + cells) + " |")
    return "\n".join(lines)


def postgres_phases(result: dict) -> str:
    ph, parts = result["phases"], result["disk"]["parts"]
    m, r = ph["minute_upsert"], ph["raw_copy"]
    return (f"PostgreSQL phases: minute upsert {m['lines_per_second']:,.0f} lines/s "
            f"({result['prepare']['minute_rows']:,} minute rows, CPU {m['server_cpu_seconds']:.1f} s, "
            f"api_metrics {parts['api_metrics'] / 2**20:.0f} MiB); raw COPY {r['lines_per_second']:,.0f} lines/s "
            f"(CPU {r['server_cpu_seconds']:.1f} s, api_requests {parts['api_requests'] / 2**20:.0f} MiB); "
            f"client-side parse + aggregation beforehand {result['prepare']['seconds']:.0f} s (not timed)")


def report(results: dict, data: Dataset, meta: dict, check: dict | None, accuracy: dict) -> str:
    out = [f"Run {meta['date']} — `{meta['command']}`",
           f"Machine: {meta['machine']['nproc']} cores ({meta['machine']['cpu']}), {meta['machine']['ram_gib']} GiB RAM, "
           f"load average at start {meta['machine']['load_average'][0]:.1f}; {data.lines:,} lines, "
           f"{data.bytes / data.lines:.1f} bytes/line, 24 h of timestamps ending {meta['data_end_utc']}.",
           "Versions: " + "; ".join(f"{results[k]['label']} {results[k]['version']}" for k, _ in COLUMNS if k in results),
           "", table(results, data), ""]
    if "†" in out[-2]:
        out.append(f"- † a slow query: fewer than {QUERY_RUNS} timed runs after the warm-up (3 when the warm-up took "
                   "over 5 s, 1 over 15 s, the warm-up itself over 120 s).")
    s = results.get("strata", {})
    if "disk" in s:
        out.append(f"- Strata: `POST /admin/compact` after ingest took {s['disk']['compact_seconds']:.0f} s; "
                   f"on disk by granularity (MiB): " + ", ".join(f"{k} {v / 2**20:.1f}" for k, v in sorted(s['disk']['parts'].items()))
                   + f"; peak RSS including compaction {s.get('peak_rss_after_compaction_bytes', 0) / 2**20:,.0f} MiB.")
    if "postgres" in results and "phases" in results["postgres"]:
        out.append("- " + postgres_phases(results["postgres"]))
    if check:
        w, big = check["p95_worst"], check["p95_worst_n_ge_1000"]
        line = (f"- Cross-check against PostgreSQL: **{'passed' if check['passed'] else 'FAILED'}** — (a) counts of "
                f"{check['endpoints']} endpoints and (c) top-10 keys {'equal' if not any(f.startswith(('(a) count', '(c)')) for f in check['failures']) else 'DIFFER'}; "
                f"Strata's p95 per endpoint vs `percentile_cont`: mean relative error {check['p95_mean_relative_error']:.3%}")
        if big:
            line += f", worst {big['relative_error']:.3%} over endpoints with ≥ 1,000 requests ({big['endpoint']}, n={big['n']:,})"
        line += (f"; worst overall {w['relative_error']:.2%} ({w['endpoint']}, n={w['n']}); {check['p95_beyond_1pct']} "
                 f"endpoints beyond 1 %" + (f" (all n ≤ {check['p95_beyond_1pct_max_n']:,})" if check['p95_beyond_1pct'] else "")
                 + f"; worst rank error {check['p95_worst_rank_error']:.4f}.")
        out.append(line)
    for k, r in results.items():
        if "error" in r:
            out.append(f"- {r['label']} FAILED: {r['error'].splitlines()[0][:300]}")
    for k, acc in accuracy.items():
        worst = acc["p95_worst_relative_error"]
        out.append(f"- {results[k]['label']} (a) vs exact: {acc['count_mismatches']} endpoint count mismatches, p95 worst "
                   f"relative error {worst:.2%}" + (f", mean {acc['p95_mean_relative_error']:.2%}." if worst is not None else "."))
    return "\n".join(out)


def write_benchmarks_md(block: str, lines: int):
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    begin, end = f"<!-- compare:{lines}:begin -->", f"<!-- compare:{lines}:end -->"
    body = f"{begin}\n{block}\n{end}"
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: body, text, flags=re.S)
    else:
        heading = "## Comparison with peers"
        if heading not in text:
            text = text.rstrip("\n") + f"\n\n{heading}\n"
        text = text.rstrip("\n") + f"\n\n{body}\n"
    path.write_text(text)
    log(f"updated {path.relative_to(ROOT)} ({begin})")


def jsonable(value):
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000,000 lines instead of 10,000,000")
    parser.add_argument("--lines", type=int, help="number of lines (default 10,000,000; 1,000,000 with --quick)")
    parser.add_argument("--systems", default=",".join(ALL_SYSTEMS), help="comma-separated subset of " + ",".join(ALL_SYSTEMS))
    parser.add_argument("--workdir", help="parent of the temporary directory (default $TMPDIR or /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (data file, logs)")
    parser.add_argument("--no-md", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--render", metavar="JSON",
                        help="only re-render the report (and the BENCHMARKS.md block) from a saved results file")
    parser.add_argument("--max-rss-gib", type=float, default=14,
                        help="kill a server whose resident memory exceeds this (default 14 GiB)")
    parser.add_argument("--strict-p95", action="store_true",
                        help="fail on any p95 beyond 1 %% relative error, even within one order statistic (rank "
                             "error ≤ max(2/n, 0.002)) of PostgreSQL's percentile_cont")
    args = parser.parse_args()
    lines = args.lines or (1_000_000 if args.quick else 10_000_000)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(ALL_SYSTEMS)
    if unknown or not systems:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    command = "Benchmarks/compare/run" + "".join(f" {a}" for a in sys.argv[1:])
    Server.max_rss_bytes = int(args.max_rss_gib * 2**30)
    if args.render:
        saved = json.loads(Path(args.render).read_text())
        meta = saved["meta"]
        data = argparse.Namespace(lines=meta["lines"], bytes=meta["data_bytes"])
        text = report(saved["results"], data, meta, saved["cross_check"], saved["peer_accuracy"])
        print(text)
        if not args.no_md and set(saved["results"]) == set(ALL_SYSTEMS):
            write_benchmarks_md(text, meta["lines"])
        return 0

    ensure_strata_built()
    ensure_packages(systems)
    workdir = Path(tempfile.mkdtemp(prefix="strata-compare-", dir=args.workdir))
    log(f"temporary directory {workdir}")
    results: dict = {}
    check, accuracy, failed = None, {}, False
    meta = {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"), "command": command,
            "machine": machine(), "lines": lines}
    try:
        end = int(time.time()) // 60 * 60
        data = generate(workdir, lines, end)
        meta.update(data_end=end, data_end_utc=f"{datetime.datetime.fromtimestamp(end, datetime.UTC):%Y-%m-%d %H:%M}",
                    data_bytes=data.bytes)
        truth = None
        for name in systems:
            system = SYSTEMS[name](workdir, data)
            if isinstance(system, Postgres) and "queries" in results.get("strata", {}):
                system.strata_p95 = {e: v["p95"] for e, v in results["strata"]["queries"]["a"]["answer"].items()}
            try:
                system.run()
            except Exception as error:  # noqa: BLE001 - report and go on with the next system
                log(f"{system.label} FAILED: {error}")
                system.result["error"] = str(error)
                failed = True
            results[name] = system.result
            if isinstance(system, Postgres) and "error" not in system.result:
                truth = system.truth
        if truth is not None:
            if "queries" in results.get("strata", {}):
                check = cross_check(results["strata"], truth, args.strict_p95)
            for k in ("victoria", "influx"):
                if "queries" in results.get(k, {}):
                    accuracy[k] = peer_accuracy(results[k], truth)
        text = report(results, data, meta, check, accuracy)
        print("\n" + text + "\n")
        if check and not check["passed"]:
            print("CROSS-CHECK FAILED:\n  " + "\n  ".join(check["failures"]))
        out_dir = HERE / "results"
        out_dir.mkdir(exist_ok=True)
        out = out_dir / f"compare-{lines}.json"
        out.write_text(json.dumps(jsonable({"meta": meta, "results": results, "cross_check": check,
                                            "peer_accuracy": accuracy}), indent=1, default=str))
        log(f"raw results: {out.relative_to(ROOT)}")
        if set(systems) == set(ALL_SYSTEMS) and not args.no_md:
            write_benchmarks_md(text, lines)
    finally:
        Server.stop_all()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        return 2
    if check is None and "strata" in systems and "postgres" in systems:
        return 2
    return 0 if check is None or check["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
