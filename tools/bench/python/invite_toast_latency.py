"""Invite to toast for `crow-bench invites`: two real gateways (`crow-calls serve` from --bin-dir) on
loopback, each owner with the other as a contact, and one local nostr-relay process that both follow.
Each timed call is what the panel's Call button does, `POST /api/rooms {hostName, contact}` on A, and
ends when B's `/api/calls/stream`, read as the owner's browser reads it (B's session cookie), delivers
the `received` change the toast shows on.

The split into stages comes from outside, after each call has arrived, so nothing polls while the clock
runs: A's invite turning `sent` (`updatedAt` of the invite in `GET /api/rooms/:code`), the relay
handing the event to a watcher subscribed like B (a third client of the relay), B's intake
(`receivedAt` in `/api/calls/incoming`) and B's ledger (`recorded_at` of `invite.received`). The
gateways stamp Unix milliseconds on the same machine, so the offsets share one clock.

After each call the room is closed and the script waits for B's stream to say `missed`, so every call
starts on quiet gateways, as a person's next call would.

Prints one JSON line: {"stream_ms": [...], "post_ms": [...], "sent_ms": [...], "relay_ms": [...],
"intake_ms": [...], "ledger_ms": [...]}, each the time from the start of the POST."""
import argparse
import http.client
import json
import os
import pathlib
import queue
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "Tests" / "PythonSupport"))
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--invites", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rtt-ms", type=float, default=0,
                        help="put the relay behind a proxy that adds this round trip (connections and bytes)")
    parser.add_argument("--pause", type=float, default=0,
                        help="seconds between calls (past CROW_NOSTR_RELAY_KEEP_OPEN: every call starts on an idle gateway)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for both gateways")
    args = parser.parse_args()
    os.environ["CROW_BIN_DIR"] = args.bin_dir
    from crow_gateway import Gateway  # after CROW_BIN_DIR is set
    from relay_support import Relay
    from waiting import until

    relay = Relay()
    proxy = None
    gateways = []
    try:
        relay_url = relay.url
        if args.rtt_ms > 0:
            from delay_proxy import DelayProxy
            proxy = DelayProxy("127.0.0.1", relay.port, args.rtt_ms)
            relay_url = proxy.url
        # The timed invites all come from one contact, faster than the per-contact budget allows by default.
        env = {"LOG_LEVEL": "warning", "CROW_NOSTR_CONTACT_INVITES": "6000", "CROW_NOSTR_RELAYS": relay_url}
        env.update(dict(item.split("=", 1) for item in args.env))
        a = Gateway(env=env)
        gateways.append(a)
        b = Gateway(env=env)
        gateways.append(b)
        for gateway in (a, b):
            until(lambda: ((gateway.http.get(gateway.base + "/readyz", timeout=10).json().get("relays") or {}).get("subscribed") or 0) >= 1,
                  30, "the relay subscription")
        b_owner = b.api("GET", "/api/owner")
        contact = a.api("POST", "/api/contacts", {"name": "B", "pubkey": b_owner["npub"]}, expect=201)
        b.api("POST", "/api/contacts", {"name": "A", "pubkey": a.api("GET", "/api/owner")["npub"]}, expect=201)
        stream = Stream(b)
        watcher = RelayWatcher(relay_url, b_owner["pubkey"] if "pubkey" in b_owner else npub_hex(b_owner["npub"]))
        figures = {key: [] for key in ("stream_ms", "post_ms", "sent_ms", "relay_ms", "intake_ms", "ledger_ms")}
        for n in range(args.invites + args.warmup):
            time.sleep(args.pause)
            sample = time_call(a, b, contact, stream, watcher)
            if n >= args.warmup:
                for key, value in sample.items():
                    if value is not None:
                        figures[key].append(value)
                print("  call %d: %s" % (n - args.warmup + 1, ", ".join(
                    f"{key[:-3]} {value:.0f} ms" for key, value in sample.items() if value is not None)), file=sys.stderr)
        stream.close()
        watcher.close()
        print(json.dumps(figures))
    finally:
        for gateway in gateways:
            gateway.stop()
        if proxy:
            proxy.stop()
        relay.stop()


def npub_hex(npub):
    import nostr_sdk
    return nostr_sdk.PublicKey.parse(npub).to_hex()


def time_call(a, b, contact, stream, watcher):
    stream.drain()
    watcher.drain()
    start = time.time()
    room = a.api("POST", "/api/rooms", {"hostName": "A", "contact": contact["id"]}, expect=201)
    posted = time.time()
    code = room["roomCode"]
    arrived = stream.wait("received", lambda data: data.get("roomCode") == code, 10)
    if arrived is None:
        raise SystemExit(f"room {code}: no `received` on B's stream within 10 s")
    relayed = watcher.first_after(start)
    # After the clock stopped: the stages as the two gateways recorded them.
    invite = until_value(lambda: sent_invite(a, code), 10, "the invite's `sent`")
    call = next(c for c in b.api("GET", "/api/calls/incoming")["calls"] if c["roomCode"] == code)
    recorded = b.ledger("SELECT recorded_at FROM events WHERE type = 'invite.received' AND json_extract(data, '$.room') = ?", (code,))
    a.api("POST", f"/api/rooms/{code}/close", {}, expect=200)
    if stream.wait("missed", lambda data: data.get("id") == call["id"], 10) is None:
        raise SystemExit(f"room {code}: no `missed` on B's stream within 10 s of closing the room")
    ms = lambda t: (t - start) * 1000
    return {
        "stream_ms": ms(arrived),
        "post_ms": ms(posted),
        "sent_ms": ms(invite["updatedAt"] / 1000),
        "relay_ms": ms(relayed) if relayed else None,
        "intake_ms": ms(call["receivedAt"] / 1000),
        "ledger_ms": ms(recorded[0][0] / 1000) if recorded else None,
    }


def sent_invite(a, code):
    invites = a.api("GET", f"/api/rooms/{code}")["invites"]
    return invites[0] if invites and invites[0]["status"] == "sent" else None


def until_value(probe, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            return value
        time.sleep(0.01)
    raise SystemExit(f"{what} did not come within {seconds} s")


class Stream:
    """B's `/api/calls/stream` on one connection, as the owner's browser holds it: each change with the
    moment its last line was read."""

    def __init__(self, gateway):
        host, port = gateway.base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.connection.request("GET", "/api/calls/stream", headers={
            "Accept": "text/event-stream", "Cookie": f"crow_session={gateway.session}"})
        self.response = self.connection.getresponse()
        assert self.response.status == 200, self.response.status
        self.changes = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        kind, data = None, []
        try:
            while True:
                line = self.response.readline()
                if not line:
                    return
                line = line.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line:
                    if kind and data:
                        self.changes.put((kind, json.loads("\n".join(data)), time.time()))
                    kind, data = None, []
        except Exception:
            return

    def drain(self):
        while not self.changes.empty():
            self.changes.get_nowait()

    def wait(self, kind, match, seconds):
        """The arrival time of the first change of `kind` whose data matches, or None."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, data, at = self.changes.get(timeout=left)
            except queue.Empty:
                return None
            if got == kind and match(data):
                return at
        return None

    def close(self):
        self.connection.close()


class RelayWatcher:
    """A third client of the relay, subscribed to what B subscribes to: when the relay hands an event on."""

    def __init__(self, url, pubkey_hex):
        from websockets.sync.client import ClientConnection, connect
        self.ws: ClientConnection = connect(url, open_timeout=10, max_size=2**20).__enter__()
        self.ws.send(json.dumps(["REQ", "watch", {"kinds": [4, 1059], "#p": [pubkey_hex], "since": int(time.time()) - 3 * 86400}]))
        self.arrivals = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for message in self.ws:
                at = time.time()
                parsed = json.loads(message)
                if parsed[0] == "EVENT":
                    self.arrivals.put(at)
        except Exception:
            return

    def drain(self):
        while not self.arrivals.empty():
            self.arrivals.get_nowait()

    def first_after(self, start, seconds=2):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                at = self.arrivals.get(timeout=left)
            except queue.Empty:
                return None
            if at >= start:
                return at
        return None

    def close(self):
        self.ws.close()


if __name__ == "__main__":
    main()
