#!/usr/bin/env python3
"""Load generator for satchel-platform: many enrolled nodes pushing event batches at once.

    bench-platform-load.py BASE_URL TOKENS_FILE [--batches N] [--events N] [--duplicates F] [--connections N]

Speaks sync protocol v1 as a node does (docs/protocol.md): each simulated node has its own Ed25519 key, enrols with
its token (`satchel-platform token create --schools-file`, "CODE<TAB>TOKEN" lines), then pushes its batches in
order, each a gzip-compressed JSON EventBatch signed over method, path, time and the body's SHA-256. A share of the
batches (--duplicates) is sent a second time after its answer, as a node does when an answer was lost; the platform
must count those as duplicates. Requests go over --connections keep-alive HTTP/1.1 connections, each carrying one
request at a time, so that many nodes are pushing at any moment.

Prints one JSON object: nodes, batches, events sent, new and duplicate events the platform reported, push latency
(p50, p99, ms), wall time of the push phase and new events per second. Needs python3-cryptography.
"""
import argparse
import asyncio
import base64
import gzip
import hashlib
import json
import random
import sys
import time
import urllib.parse
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

RESOURCES = ["r%04d" % n for n in range(2000)]
SEARCHES = ["三年级数学", "分数", "长方形周长", "古诗", "时分秒", "光合作用", "万以内加减法", "鸡兔同笼"]


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method, path, body=b"", headers=None):
        for attempt in range(3):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
                head += [f"{name}: {value}" for name, value in (headers or {}).items()]
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                status = int(status_line.split()[1])
                length, close = 0, False
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value.strip())
                    if name.lower() == "connection" and value.strip().lower() == "close":
                        close = True
                answer = await self.reader.readexactly(length)
                if close:
                    self.writer.close()
                    self.writer = None
                return status, answer
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                if self.writer is not None:
                    self.writer.close()
                self.writer = None
                if attempt == 2:
                    raise


class Node:
    def __init__(self, code, token):
        self.code, self.token = code, token
        self.key = Ed25519PrivateKey.generate()
        self.public = base64.b64encode(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
        self.node_id = None
        self.sequence = 0

    def signed(self, method, path, body):
        now = str(int(time.time()))
        digest = hashlib.sha256(body).hexdigest()
        message = f"SATCHEL-SYNC-1\n{method}\n{path}\n{now}\n{digest}".encode()
        signature = base64.b64encode(self.key.sign(message)).decode()
        return {"X-Satchel-Node": self.node_id, "X-Satchel-Time": now, "X-Satchel-Signature": signature}

    def batch(self, count, rng):
        first = self.sequence + 1
        events = []
        day = time.time() - rng.randrange(0, 30 * 86400)
        for offset in range(count):
            self.sequence += 1
            kind = rng.random()
            if kind < 0.8:
                event_type = "view"
                payload = {"bundleId": "maths", "resourceId": rng.choice(RESOURCES), "bytes": 20000,
                           "deviceClass": rng.choice(["phone", "desktop"])}
            elif kind < 0.95:
                event_type = "search"
                query = rng.choice(SEARCHES)
                payload = {"query": query, "results": 0 if rng.random() < 0.1 else rng.randrange(1, 40)}
            else:
                event_type = "download"
                payload = {"bundleId": "maths", "resourceId": rng.choice(RESOURCES), "bytes": 400000,
                           "deviceClass": "desktop"}
            events.append({"s": self.sequence, "i": str(uuid.uuid4()), "t": event_type, "o": day + offset,
                           "p": json.dumps(payload, ensure_ascii=False, separators=(",", ":"))})
        body = {"batchId": f"{self.node_id}:{first}-{self.sequence}", "nodeId": self.node_id, "from": first,
                "to": self.sequence, "events": events}
        return gzip.compress(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), 6)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("tokens")
    parser.add_argument("--batches", type=int, default=2, help="batches per node")
    parser.add_argument("--events", type=int, default=200, help="events per batch")
    parser.add_argument("--duplicates", type=float, default=0.05, help="share of batches sent twice")
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    url = urllib.parse.urlparse(args.base)
    rng = random.Random(7)
    nodes = []
    with open(args.tokens, encoding="utf-8") as lines:
        for line in lines:
            code, _, token = line.strip().partition("\t")
            if token:
                nodes.append(Node(code, token.rsplit(".", 1)[0]))
    connections = [Connection(url.hostname, url.port) for _ in range(args.connections)]

    # Enrolment, as many at once as there are connections.
    queue = asyncio.Queue()
    for node in nodes:
        queue.put_nowait(node)

    async def enrol(connection):
        while not queue.empty():
            node = queue.get_nowait()
            body = json.dumps({"token": node.token, "schoolCode": node.code, "publicKey": node.public,
                               "nodeVersion": "bench"}).encode()
            status, answer = await connection.request("POST", "/api/v1/enrol", body,
                                                       {"Content-Type": "application/json"})
            if status != 200:
                raise SystemExit(f"enrolment of {node.code} answered {status}: {answer[:200]!r}")
            node.node_id = json.loads(answer)["nodeId"]

    started = time.perf_counter()
    await asyncio.gather(*(enrol(connection) for connection in connections))
    enrol_seconds = time.perf_counter() - started

    # Pushes: every node's batches in order, nodes interleaved, so that any moment has many nodes mid-push.
    jobs = asyncio.Queue()
    for round_number in range(args.batches):
        for node in nodes:
            jobs.put_nowait(node)
    latencies, totals = [], {"batches": 0, "sent": 0, "accepted": 0, "duplicates": 0, "errors": 0}

    async def push(connection, node):
        body = node.batch(args.events, rng)
        path = f"/api/v1/nodes/{node.node_id}/events"
        repeats = 2 if rng.random() < args.duplicates else 1
        for _ in range(repeats):
            headers = node.signed("POST", path, body)
            headers.update({"Content-Type": "application/json", "Content-Encoding": "gzip"})
            sent = time.perf_counter()
            status, answer = await connection.request("POST", path, body, headers)
            latencies.append((time.perf_counter() - sent) * 1000)
            totals["batches"] += 1
            totals["sent"] += args.events
            if status != 200:
                totals["errors"] += 1
                print(f"push answered {status}: {answer[:200]!r}", file=sys.stderr)
                continue
            cursor = json.loads(answer)
            totals["accepted"] += cursor.get("accepted", 0)
            totals["duplicates"] += cursor.get("duplicates", 0)

    async def pusher(connection):
        while not jobs.empty():
            await push(connection, jobs.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(pusher(connection) for connection in connections))
    seconds = time.perf_counter() - started
    latencies.sort()
    pick = lambda share: round(latencies[min(len(latencies) - 1, int(len(latencies) * share))], 1)
    print(json.dumps({
        "nodes": len(nodes), "enrolSeconds": round(enrol_seconds, 1), "batches": totals["batches"],
        "eventsSent": totals["sent"], "accepted": totals["accepted"], "duplicates": totals["duplicates"],
        "errors": totals["errors"], "pushSeconds": round(seconds, 1),
        "eventsPerSecond": round(totals["accepted"] / seconds), "p50ms": pick(0.50), "p99ms": pick(0.99),
        "connections": args.connections}))


asyncio.run(main())
