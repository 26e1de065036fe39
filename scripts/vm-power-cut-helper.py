#!/usr/bin/env python3
"""Host-side helpers for scripts/vm-power-cut-test.sh.

  vm-power-cut-helper.py load --port P --users FILE --bundle ID --out FILE [--progress FILE] [--stop FILE] [--total N]
      Teachers' enrolments posted over HTTP to the node, one worker per teacher, each posting one request at a time
      on its own keep-alive connection (so at most one request per teacher and bundle is ever unanswered). Every
      POST /training/ID/enrol that the node answers with its acknowledgement (303 See Other to the course page:
      docs/api.md says the event is written before the redirect; 2xx is accepted too) is counted as acknowledged.
      A worker stops at its first error (the power cut), at --total (split across workers) or when --stop exists.
      Writes one JSON line per teacher to --out: {"user", "bundle", "sent", "acked", "error"}; while running, the
      total acknowledged so far to --progress.

  vm-power-cut-helper.py platform --db PLATFORM.sqlite
      What the platform received from the (only) node, as JSON: the node id, its acknowledged cursor, enrolment
      counts per (teacher id, bundle), sequence numbers received more than once, and the sha256 of the sorted
      enrolment event ids.

  vm-power-cut-helper.py compare --acks FILE --node-counts FILE --state FILE [--teachers FILE --platform-db DB
                                 --node-digest HEX --node-total N]
      Compares the node's enrolments (lines user|bundle|count) with what the load generator was acknowledged (and,
      with --platform-db, the platform's with the node's). Prints one line; exits 1 when anything got worse since the
      previous call with the same --state file (so a loss is charged to the cut that caused it, not to every later
      one), keeping the totals in it.
"""
import argparse
import hashlib
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def load(args):
    users = [line.split() for line in open(args.users) if line.strip()]
    per_worker = (args.total + len(users) - 1) // len(users) if args.total else None
    stop = threading.Event()
    states = []

    def worker(username, password, state):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=args.timeout)
            conn.request("POST", "/login", urllib.parse.urlencode({"username": username, "password": password}), FORM)
            response = conn.getresponse()
            response.read()
            cookie = None
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("satchel_session="):
                    cookie = value.split(";")[0]
            if cookie is None:
                raise RuntimeError(f"login as {username}: HTTP {response.status} without a session cookie")
            conn.request("GET", f"/training/{args.bundle}", headers={"Cookie": cookie})
            response = conn.getresponse()
            page = response.read().decode("utf-8", "replace")
            match = re.search(r'name="csrf" value="([^"]+)"', page)
            if match is None:
                raise RuntimeError(f"GET /training/{args.bundle}: HTTP {response.status} without a csrf field")
            body = urllib.parse.urlencode({"csrf": match.group(1)})
            headers = dict(FORM, Cookie=cookie)
            while not stop.is_set() and (per_worker is None or state["acked"] < per_worker):
                if args.stop and os.path.exists(args.stop):
                    break
                state["sent"] += 1  # counted before it leaves: an unanswered request may or may not be on disk
                conn.request("POST", f"/training/{args.bundle}/enrol", body, headers)
                response = conn.getresponse()
                response.read()
                if response.status in (200, 201, 204, 303):
                    state["acked"] += 1
                else:
                    raise RuntimeError(f"POST enrol: HTTP {response.status}")
        except Exception as error:  # the cut: connection reset, refused or timed out
            state["error"] = f"{type(error).__name__}: {error}"[:200]

    threads = []
    for username, password in users:
        state = {"user": username, "bundle": args.bundle, "sent": 0, "acked": 0, "error": None}
        states.append(state)
        thread = threading.Thread(target=worker, args=(username, password, state), daemon=True)
        thread.start()
        threads.append(thread)
    started = time.monotonic()
    while any(thread.is_alive() for thread in threads):
        if args.progress:
            with open(args.progress + ".tmp", "w") as file:
                file.write(f"{sum(s['acked'] for s in states)}\n")
            os.replace(args.progress + ".tmp", args.progress)
        for thread in threads:
            if thread.is_alive():
                thread.join(0.1)  # wakes early when that worker stops
                break
    elapsed = time.monotonic() - started
    with open(args.out, "w") as file:
        for state in states:
            file.write(json.dumps(state) + "\n")
    if args.progress:
        with open(args.progress, "w") as file:
            file.write(f"{sum(s['acked'] for s in states)}\n")
    acked = sum(s["acked"] for s in states)
    print(f"load: {acked} acknowledged, {sum(s['sent'] for s in states)} sent in {elapsed:.1f} s", file=sys.stderr)


def platform(args):
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True, timeout=30)
    nodes = db.execute("SELECT id, acknowledged FROM node").fetchall()
    if len(nodes) != 1:
        raise SystemExit(f"expected one enrolled node, found {len(nodes)}")
    node, cursor = nodes[0]
    counts = db.execute(
        """SELECT lower(replace(json_extract(payload, '$.teacherId'), '-', '')), json_extract(payload, '$.bundleId'),
                  COUNT(*) FROM receivedEvent WHERE nodeId = ? AND type = 'enrol' GROUP BY 1, 2""",
        (node,),
    ).fetchall()
    repeated = db.execute(
        "SELECT seq, COUNT(*) FROM receivedEvent WHERE nodeId = ? GROUP BY seq HAVING COUNT(*) > 1 LIMIT 20", (node,)
    ).fetchall()
    ids = [row[0].lower() for row in db.execute(
        "SELECT id FROM receivedEvent WHERE nodeId = ? AND type = 'enrol'", (node,))]
    digest = hashlib.sha256("".join(i + "\n" for i in sorted(ids)).encode()).hexdigest()
    total = db.execute("SELECT COUNT(*) FROM receivedEvent WHERE nodeId = ?", (node,)).fetchone()[0]
    print(json.dumps({
        "node": node, "acknowledged": cursor, "received": total, "enrolIds": len(ids), "enrolDigest": digest,
        "counts": [[t, b, n] for t, b, n in counts], "repeatedSeq": repeated,
    }))


def compare(args):
    acks = [json.loads(line) for line in open(args.acks) if line.strip()]
    node = {}
    for line in open(args.node_counts):
        if line.strip():
            user, bundle, count = line.strip().split("|")
            node[(user, bundle)] = int(count)
    totals = {"acknowledged": sum(a["acked"] for a in acks)}
    problems = []
    if args.platform_db is None:
        totals["missing"] = sum(max(a["acked"] - node.get((a["user"], a["bundle"]), 0), 0) for a in acks)
        totals["neverSent"] = sum(max(node.get((a["user"], a["bundle"]), 0) - a["sent"], 0) for a in acks)
        for a in acks:
            n = node.get((a["user"], a["bundle"]), 0)
            if n < a["acked"]:
                problems.append(f"{a['user']}/{a['bundle']} ({a['scenario']} {a['round']}): {a['acked']} acknowledged, {n} on the node")
        line = (f"{totals['acknowledged']} acknowledged so far, {totals['missing']} of them missing on the node, "
                f"{totals['neverSent']} more than were sent")
    else:
        hexid = dict(line.strip().split("|") for line in open(args.teachers) if line.strip())
        by_id = {(hexid[user], bundle): count for (user, bundle), count in node.items()}
        report = json.loads(subprocess.run([sys.executable, __file__, "platform", "--db", args.platform_db],
                                           check=True, capture_output=True, text=True).stdout)
        platform = {(t, b): n for t, b, n in report["counts"]}
        totals["missingAtPlatform"] = sum(max(n - platform.get(k, 0), 0) for k, n in by_id.items())
        totals["extraAtPlatform"] = sum(max(p - by_id.get(k, 0), 0) for k, p in platform.items())
        totals["acknowledgedNotAtPlatform"] = sum(
            max(a["acked"] - platform.get((hexid[a["user"]], a["bundle"]), 0), 0) for a in acks)
        totals["repeatedSeq"] = len(report["repeatedSeq"])
        same = report["enrolDigest"] == args.node_digest and report["enrolIds"] == args.node_total
        line = (f"node {args.node_total} enrolments, platform {report['enrolIds']} (same ids: {'yes' if same else 'no'}); "
                f"{totals['missingAtPlatform']} of the node's missing at the platform, {totals['extraAtPlatform']} at "
                f"the platform but not on the node, {totals['acknowledgedNotAtPlatform']} acknowledged ones not at the "
                f"platform, {totals['repeatedSeq']} sequence numbers received twice")
    previous = json.load(open(args.state)) if os.path.exists(args.state) else {}
    worse = {k: v - previous.get(k, 0) for k, v in totals.items() if k != "acknowledged" and v > previous.get(k, 0)}
    with open(args.state, "w") as file:
        json.dump(totals, file)
    if worse:
        line += "; new since the last check: " + ", ".join(f"{k} +{v}" for k, v in worse.items())
    if problems:
        line += "; e.g. " + "; ".join(problems[-3:])
    print(line)
    sys.exit(1 if worse else 0)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--users", required=True)
    p.add_argument("--bundle", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--progress")
    p.add_argument("--stop")
    p.add_argument("--total", type=int)
    p.add_argument("--timeout", type=float, default=20)
    p = sub.add_parser("platform")
    p.add_argument("--db", required=True)
    p = sub.add_parser("compare")
    p.add_argument("--acks", required=True)
    p.add_argument("--node-counts", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--teachers")
    p.add_argument("--platform-db")
    p.add_argument("--node-digest")
    p.add_argument("--node-total", type=int)
    args = parser.parse_args()
    {"load": load, "platform": platform, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
