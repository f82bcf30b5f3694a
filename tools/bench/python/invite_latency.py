"""Invite latency for `crow-bench nostr`: two real gateways (the release build), A calling B, once
through B's own inbox (`/nostr`, no relay) and once through a real nostr-relay process that both
gateways follow. Measures the time from A's `POST /api/rooms` with the contact until the call is in
B's Incoming list. Prints one JSON line: {"inbox_ms": [...], "relay_ms": [...]}."""
import argparse
import json
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "Tests" / "PythonSupport"))
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--invites", type=int, default=20)
    args = parser.parse_args()
    os.environ["CROW_BIN_DIR"] = args.bin_dir
    from crow_gateway import Gateway  # after CROW_BIN_DIR is set

    from relay_support import Relay
    from waiting import until

    # The timed invites all come from one contact, faster than the per-contact budget allows by default.
    quiet = {"LOG_LEVEL": "warning", "CROW_NOSTR_CONTACT_INVITES": "6000"}
    figures = {}
    # Through B's inbox: A's contact entry for B lists B's /nostr; neither gateway has a relay.
    a, b = Gateway(env=quiet), Gateway(env=quiet)
    try:
        inbox = b.base.replace("http://", "ws://") + "/nostr"
        figures["inbox_ms"] = time_invites(a, b, [inbox], args.invites, "inbox")
    finally:
        a.stop()
        b.stop()
    # Through a relay: both gateways follow it; A's contact entry for B lists no relay.
    relay = Relay()
    a = b = None
    try:
        env = dict(quiet, CROW_NOSTR_RELAYS=relay.url)
        a, b = Gateway(env=env), Gateway(env=env)
        until(lambda: ((b.http.get(b.base + "/readyz", timeout=10).json().get("relays") or {}).get("subscribed") or 0) >= 1,
              20, "B's subscription")
        figures["relay_ms"] = time_invites(a, b, [], args.invites, "relay")
    finally:
        for gateway in (a, b):
            if gateway:
                gateway.stop()
        relay.stop()
    print(json.dumps(figures))


def time_invites(a, b, relays, invites, path):
    b_identity = b.api("GET", "/api/owner")
    a_identity = a.api("GET", "/api/owner")
    contact = a.api("POST", "/api/contacts", {"name": "B", "pubkey": b_identity["npub"], "relays": relays}, expect=201)
    b.api("POST", "/api/contacts", {"name": "A", "pubkey": a_identity["npub"]}, expect=201)
    samples = []
    for n in range(invites + 2):
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
            raise SystemExit(f"an invite did not arrive within 10 s ({path})")
        elapsed = (time.perf_counter() - start) * 1000
        if n >= 2:  # two warm-up invites
            samples.append(elapsed)
            print(f"  {path} invite {n - 1}: {elapsed:.0f} ms", file=sys.stderr)
    return samples


if __name__ == "__main__":
    main()
