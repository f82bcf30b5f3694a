"""Invite latency for `crow-bench nostr`: two real gateways (the release build), A calling B through B's
own inbox (`/nostr`, no relay). Measures the time from A's `POST /api/rooms` with the contact until
the call is in B's Incoming list. Prints one JSON line: {"inbox_ms": [...]}."""
import argparse
import json
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "Tests" / "PythonSupport"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--invites", type=int, default=20)
    args = parser.parse_args()
    os.environ["CROW_BIN_DIR"] = args.bin_dir
    from crow_gateway import Gateway  # after CROW_BIN_DIR is set

    quiet = {"LOG_LEVEL": "warning"}
    a, b = Gateway(env=quiet), Gateway(env=quiet)
    try:
        b_identity = b.api("GET", "/api/owner")
        a_identity = a.api("GET", "/api/owner")
        inbox = b.base.replace("http://", "ws://") + "/nostr"
        contact = a.api("POST", "/api/contacts", {"name": "B", "pubkey": b_identity["npub"], "relays": [inbox]}, expect=201)
        b.api("POST", "/api/contacts", {"name": "A", "pubkey": a_identity["npub"]}, expect=201)
        samples = []
        for n in range(args.invites + 2):
            before = {c["id"] for c in b.api("GET", "/api/calls/incoming")["calls"]}
            start = time.perf_counter()
            a.api("POST", "/api/rooms", {"hostName": "A", "contact": contact["id"]}, expect=201)
            deadline = start + 10
            while time.perf_counter() < deadline:
                calls = b.api("GET", "/api/calls/incoming")["calls"]
                if {c["id"] for c in calls} - before:
                    break
                time.sleep(0.005)
            else:
                raise SystemExit("an invite did not arrive within 10 s")
            elapsed = (time.perf_counter() - start) * 1000
            if n >= 2:  # two warm-up invites
                samples.append(elapsed)
                print(f"  invite {n - 1}: {elapsed:.0f} ms", file=sys.stderr)
        print(json.dumps({"inbox_ms": samples}))
    finally:
        a.stop()
        b.stop()


if __name__ == "__main__":
    main()
