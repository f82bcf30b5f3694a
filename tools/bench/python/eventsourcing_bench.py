#!/usr/bin/env python3
"""Baseline: durable single-event appends with Python `eventsourcing` 9.5.6 + SQLite.

Configures an eventsourcing Application the documented way
(PERSISTENCE_MODULE=eventsourcing.sqlite, SQLITE_DBNAME=<file>), creates one
aggregate, then does N times: trigger one event on that aggregate (in memory,
untimed) and `app.save(aggregate)` (timed). Each save is one SQLite transaction
(BEGIN ... INSERT ... COMMIT) appending exactly one event to the aggregate's
stream, with the library's optimistic-concurrency version check.

`--mode create` instead saves one new aggregate (its Created event) per save.

Prints exactly one JSON line to stdout:
  {"name":"eventsourcing","events":N,"seconds":S,"events_per_second":R,
   "journal_mode":"...","synchronous":N}
journal_mode / synchronous are read from the library's own pooled SQLite
connection. eventsourcing 9.5.6 sets only `PRAGMA journal_mode=WAL` (file
databases) and leaves `synchronous` at SQLite's compiled default.

Run with the project venv:  .venv/bin/python tools/bench/python/eventsourcing_bench.py --db /tmp/es.sqlite --count 2000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

SQLITE_MAGIC = b"SQLite format 3\x00"


class Room(Aggregate):
    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0

    @event("CallRecorded")
    def record_call(self, caller: str, body: str) -> None:
        self.calls += 1


class BenchApp(Application):
    name = "CrowBench"


def remove_old_db(path: Path) -> None:
    """Start from an empty database; only ever deletes SQLite files (or empty ones)."""
    if path.exists():
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            sys.exit(f"refusing to delete {path}: not an SQLite database")
        path.unlink()
    for suffix in ("-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def read_pragmas(app: Application) -> tuple[str, int]:
    datastore = app.recorder.datastore  # SQLiteDatastore
    with datastore.get_connection(commit=False) as conn:
        cur = conn.cursor()
        cur.execute("PRAGMA journal_mode;")
        journal_mode = str(cur.fetchone()[0])
        cur.execute("PRAGMA synchronous;")
        synchronous = int(cur.fetchone()[0])
    return journal_mode, synchronous


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--db", required=True, help="SQLite database file (recreated on each run)")
    ap.add_argument("--count", type=int, default=2000, help="timed single-event saves (default 2000)")
    ap.add_argument("--warmup", type=int, default=200, help="untimed saves first (default 200)")
    ap.add_argument("--mode", choices=("append", "create"), default="append",
                    help="append: one event to one aggregate's stream per save (default); "
                         "create: one new aggregate per save")
    args = ap.parse_args()
    if args.count <= 0 or args.warmup < 0:
        ap.error("--count must be > 0 and --warmup >= 0")

    db = Path(args.db).resolve()
    db.parent.mkdir(parents=True, exist_ok=True)
    remove_old_db(db)

    app = BenchApp(env={
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(db),
    })
    body = "caw " * 16  # ~64-byte payload

    room = Room(name="bench-room")
    app.save(room)  # Created event; untimed

    def one_save(i: int) -> float:
        nonlocal room
        if args.mode == "append":
            room.record_call(caller=f"crow-{i % 7}", body=body)
            t0 = time.perf_counter()
            app.save(room)
            return time.perf_counter() - t0
        fresh = Room(name=f"room-{i}")
        t0 = time.perf_counter()
        app.save(fresh)
        return time.perf_counter() - t0

    for i in range(args.warmup):
        one_save(i)

    seconds = 0.0
    for i in range(args.warmup, args.warmup + args.count):
        seconds += one_save(i)

    journal_mode, synchronous = read_pragmas(app)

    # Sanity: everything we saved is really in the database.
    expected = 1 + args.warmup + args.count
    stored = app.recorder.max_notification_id()
    if stored != expected:
        sys.exit(f"expected {expected} stored events, found {stored}")
    if args.mode == "append":
        assert app.repository.get(room.id).calls == args.warmup + args.count
    app.close()

    print(json.dumps({
        "name": "eventsourcing",
        "events": args.count,
        "seconds": round(seconds, 6),
        "events_per_second": round(args.count / seconds, 1),
        "journal_mode": journal_mode,
        "synchronous": synchronous,
    }, separators=(",", ":")))


if __name__ == "__main__":
    main()
