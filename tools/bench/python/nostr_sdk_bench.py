"""nostr-sdk's side of `crow-bench nostr`: operations per second for signing an event, verifying it,
and NIP-44 v2 encryption and decryption of an invite-sized message. Prints one JSON line."""
import argparse
import json
import time

import nostr_sdk as n


def rate(operation, seconds):
    count = 0
    start = time.perf_counter()
    while True:
        for _ in range(50):
            operation()
        count += 50
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    alice, bob = n.Keys.generate(), n.Keys.generate()
    text = "x" * 300
    event = n.EventBuilder(n.Kind(4), text).tags([n.Tag.public_key(bob.public_key())]).finalize(alice)
    payload = n.nip44_encrypt(alice.secret_key(), bob.public_key(), text, n.Nip44Version.V2)
    figures = {
        "sign": rate(lambda: n.EventBuilder(n.Kind(4), text).tags([n.Tag.public_key(bob.public_key())]).finalize(alice), args.seconds),
        "verify": rate(lambda: event.verify(), args.seconds),
        "nip44_encrypt": rate(lambda: n.nip44_encrypt(alice.secret_key(), bob.public_key(), text, n.Nip44Version.V2), args.seconds),
        "nip44_decrypt": rate(lambda: n.nip44_decrypt(bob.secret_key(), alice.public_key(), payload), args.seconds),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
