#!/usr/bin/env python3
"""Third-party clients against a running `strata serve` (run by StrataServerTests.ThirdPartyClientTests).

usage: client_check.py HTTP_PORT INGEST_PORT BASE_SECONDS

Writes 20 points with the `influxdb` package (InfluxDB v1 HTTP /write) and 30 points with the `questdb`
package (line protocol over TCP), then parses GET /metrics with prometheus_client's parser.
Prints one `ok ...` line; the Swift test verifies the stored data after stopping the server.
"""
import sys
import urllib.request
import warnings

warnings.filterwarnings("ignore")

from influxdb import InfluxDBClient
from prometheus_client.parser import text_string_to_metric_families

try:
    from questdb import Sender, TimestampNanos
except ImportError:  # older questdb releases
    from questdb.ingress import Sender, TimestampNanos

http_port, ingest_port, base = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

client = InfluxDBClient(host="127.0.0.1", port=http_port, database="ignored")
assert client.ping(), "ping failed"
points = [{"measurement": "pyinflux", "tags": {"host": "h1"}, "time": base, "fields": {"v": float(i)}} for i in range(20)]
assert client.write_points(points, time_precision="s", batch_size=7), "influxdb write failed"

with Sender.from_conf(f"tcp::addr=127.0.0.1:{ingest_port};") as sender:
    for i in range(30):
        sender.row("pyquest", symbols={"host": "q1"}, columns={"v": float(i)}, at=TimestampNanos(base * 1_000_000_000 + i))
    sender.flush()

text = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics").read().decode()
families = {family.name: family for family in text_string_to_metric_families(text)}
for name in ["strata_ingest_lines", "strata_http_requests", "strata_active_series", "strata_segments"]:
    assert name in families, f"metric family {name} missing; have {sorted(families)}"
samples = sum(len(family.samples) for family in families.values())
print(f"ok families={len(families)} samples={samples}")
