"""Notification latency for `crow-bench notifications`: a real gateway (the release build) with one Web
Push subscription and ntfy, both pointing at a local receiver. A contact's invite goes to the gateway's
inbox; the figure is the time from `invite.received` being recorded (its `receivedAt`) until the push
request and the ntfy request arrive at the receiver. The baseline is a plain POST from this script to
the same receiver. Prints one JSON line: {"push_ms": [...], "ntfy_ms": [...], "post_ms": [...]}."""
import argparse
import base64
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
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    os.environ["CROW_BIN_DIR"] = args.bin_dir
    import nostr_sdk as n
    import requests
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from crow_gateway import Gateway
    from receiver import Receiver
    from relay_support import publish

    receiver = Receiver()
    gateway = Gateway(env={"LOG_LEVEL": "warning", "CROW_NTFY_URL": receiver.url + "/ntfy/calls"})
    try:
        key = ec.generate_private_key(ec.SECP256R1())
        public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        encode = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        gateway.api("POST", "/api/push/subscriptions", {
            "endpoint": receiver.url + "/push/bench", "keys": {"p256dh": encode(public), "auth": encode(os.urandom(16))},
        }, expect=201)
        me = n.PublicKey.parse(gateway.api("GET", "/api/owner")["npub"])
        caller = n.Keys.generate()
        gateway.api("POST", "/api/contacts", {"name": "Bench", "pubkey": caller.public_key().to_hex()}, expect=201)
        inbox = gateway.base.replace("http://", "ws://") + "/nostr"
        figures = {"push_ms": [], "ntfy_ms": [], "post_ms": []}
        for i in range(args.calls + 2):
            room = f"bench{i}"
            text = json.dumps({"type": "crow_social", "version": 1, "subtype": "room_invite", "payload": {
                "room_code": room, "join_url": f"https://bench.example/calls?room={room}&token=t", "host_name": "Bench"}})
            content = n.nip44_encrypt(caller.secret_key(), me, text, n.Nip44Version.V2)
            event = n.EventBuilder(n.Kind(4), content).tags([n.Tag.public_key(me)]).finalize(caller)
            publish(inbox, event.as_json())
            deadline = time.time() + 10
            while time.time() < deadline and (len(receiver.to("/push/bench")) <= i or len(receiver.to("/ntfy/calls")) <= i):
                time.sleep(0.002)
            if len(receiver.to("/push/bench")) <= i or len(receiver.to("/ntfy/calls")) <= i:
                raise SystemExit("a notification did not arrive within 10 s")
            call = next(c for c in gateway.api("GET", "/api/calls/incoming")["calls"] if c["roomCode"] == room)
            received = call["receivedAt"] / 1000
            started = time.time()
            requests.post(receiver.url + "/baseline", data=b"x" * 200, timeout=10)
            post = (time.time() - started) * 1000
            if i >= 2:  # two warm-up calls
                figures["push_ms"].append((receiver.to("/push/bench")[i]["at"] - received) * 1000)
                figures["ntfy_ms"].append((receiver.to("/ntfy/calls")[i]["at"] - received) * 1000)
                figures["post_ms"].append(post)
                print(f"  call {i - 1}: push {figures['push_ms'][-1]:.1f} ms, ntfy {figures['ntfy_ms'][-1]:.1f} ms", file=sys.stderr)
        print(json.dumps(figures))
    finally:
        gateway.stop()
        receiver.stop()


if __name__ == "__main__":
    main()
