"""The gateway's relay publisher against a real relay process, read back by an independent client."""
import json
import subprocess

import nostr_sdk as n

from test_nostr_sdk import TESTKIT, gateway_key, invite_event  # noqa: F401 (fixture)


def publish(event_json, *relays, timeout=5):
    command = [str(TESTKIT), "nostr-publish", "--timeout", str(timeout)]
    for url in relays:
        command += ["--relay", url]
    out = subprocess.run(command, input=event_json + "\n", check=True, capture_output=True, text=True, timeout=120).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_invites_published_to_a_real_relay_are_read_and_opened_by_nostr_sdk(relay, gateway_key):
    key_file, gateway_pub = gateway_key
    grace = n.Keys.generate()
    for wire in ("crow", "nip17"):
        event = invite_event(key_file, grace.public_key().to_hex(), wire)
        [outcome] = publish(event, relay.url)
        assert outcome == {"relay": relay.url, "accepted": True, "message": outcome["message"]}, outcome
        # A second publish of the same signed event is a duplicate to the relay, not a second invite.
        [again] = publish(event, relay.url)
        assert again["accepted"] is True and "duplicate" in again["message"]
    stored = relay.events({"kinds": [4, 1059], "#p": [grace.public_key().to_hex()]})
    assert sorted(e["kind"] for e in stored) == [4, 1059]
    for raw in stored:
        event = n.Event.from_json(json.dumps(raw))
        assert event.verify()
        if event.kind().as_u16() == 4:
            text = n.nip44_decrypt(grace.secret_key(), event.author(), event.content())
        else:
            gift = n.UnwrappedGift.from_gift_wrap(grace, event)
            assert gift.sender().to_hex() == gateway_pub.to_hex()
            text = gift.rumor().content()
        assert json.loads(text)["payload"]["room_code"] == "avfrmh45xpr3"


def test_a_relay_that_is_down_refuses_or_never_answers_is_a_clear_outcome(relay, gateway_key):
    key_file, _ = gateway_key
    event = invite_event(key_file, n.Keys.generate().public_key().to_hex(), "nip17")
    down = relay.url.rsplit(":", 1)[0] + ":1"  # nothing listens on port 1
    # A forged event: the relay refuses it (nostr-relay answers with an empty id).
    forged = json.loads(event)
    forged["content"] = forged["content"][::-1]
    [refused] = publish(json.dumps(forged), relay.url)
    assert refused["accepted"] is False and refused["message"], refused
    outcomes = publish(event, down, "https://not-a-relay.example", relay.url)
    assert [o["accepted"] for o in outcomes] == [False, False, True], outcomes
    assert outcomes[0]["message"] == "unreachable"
    assert outcomes[1]["message"] == "not a ws:// or wss:// URL"
