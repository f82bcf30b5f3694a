"""The outbox end to end: the real gateway (`crow-calls serve`) invites a contact through a real relay
process, and nostr-sdk, playing the contact, reads and opens the invite; its join link admits."""
import json
import pathlib
import sys
import urllib.parse

import nostr_sdk as n

from relay_support import DownRelay, Relay, free_port

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "PythonSupport"))
from crow_gateway import Gateway  # noqa: E402
from waiting import until  # noqa: E402


def invite_state(gateway, code):
    invites = gateway.api("GET", f"/api/rooms/{code}")["invites"]
    return invites[0] if invites else None


def open_invite(keys, raw):
    event = n.Event.from_json(json.dumps(raw))
    assert event.verify()
    if event.kind().as_u16() == 4:
        return json.loads(n.nip44_decrypt(keys.secret_key(), event.author(), event.content()))
    return json.loads(n.UnwrappedGift.from_gift_wrap(keys, event).rumor().content())


def test_a_contact_is_invited_over_a_relay_in_both_formats_and_the_link_admits(relay):
    gateway = Gateway(env={"CROW_NOSTR_RELAYS": relay.url})
    try:
        for transport in ("nip17", "crow"):
            grace = n.Keys.generate()
            contact = gateway.api("POST", "/api/contacts", {
                "name": f"Grace {transport}", "pubkey": grace.public_key().to_bech32(), "transport": transport,
            }, expect=201)
            created = gateway.api("POST", "/api/rooms", {"hostName": "Ada", "contact": contact["id"]}, expect=201)
            assert created["invite"]["status"] == "pending"
            sent = until(lambda: (invite_state(gateway, created["roomCode"]) or {}).get("status") == "sent"
                         and invite_state(gateway, created["roomCode"]), 30, "the invite to be sent")
            assert sent["attempts"] >= 1
            stored = relay.events({"kinds": [4, 1059], "#p": [grace.public_key().to_hex()]})
            assert len(stored) == 1 and stored[0]["kind"] == (1059 if transport == "nip17" else 4)
            envelope = open_invite(grace, stored[0])
            assert envelope["subtype"] == "room_invite"
            payload = envelope["payload"]
            assert payload["room_code"] == created["roomCode"] and payload["host_name"] == "Ada"
            # The link in the invite is a fresh guest link to the room: it would admit Grace.
            query = urllib.parse.parse_qs(urllib.parse.urlparse(payload["join_url"]).query)
            preview = gateway.http.get(gateway.base + "/calls/link", params={"room": query["room"][0], "token": query["token"][0]}, timeout=10)
            assert preview.status_code == 200 and preview.json()["role"] == "guest"
            # The token is in the encrypted event only, never in the ledger in the clear.
            assert query["token"][0] not in json.dumps(gateway.events())
        # A contact given by its npub works too; an unknown one is a clear 404.
        gateway.api("POST", "/api/rooms", {"contact": grace.public_key().to_bech32()}, expect=201)
        unknown = gateway.http.post(gateway.base + "/api/rooms", json={"contact": n.Keys.generate().public_key().to_hex()},
                                    headers={"Origin": gateway.base}, timeout=10)
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "contact_not_found"
    finally:
        gateway.stop()


def test_no_relay_anywhere_fails_the_invite_with_the_reason():
    gateway = Gateway()
    try:
        contact = gateway.api("POST", "/api/contacts", {"name": "Linus", "pubkey": n.Keys.generate().public_key().to_hex()}, expect=201)
        created = gateway.api("POST", "/api/rooms", {"contact": contact["id"]}, expect=201)
        failed = until(lambda: (invite_state(gateway, created["roomCode"]) or {}).get("status") == "failed", 30, "the failure")
        assert failed
        recorded = [e for e in gateway.events("invite.failed")]
        assert recorded and "no relay" in recorded[0]["data"]["reason"]
    finally:
        gateway.stop()


def test_an_invite_waits_for_a_relay_that_is_down_and_is_delivered_once_it_is_up():
    # The relay is down when the invite is queued: its port drops every connection, and counts them.
    # It is the contact's relay only (the gateway has none of its own, so nothing subscribes to it):
    # every connection is one of the outbox's tries.
    port = free_port()
    url = f"ws://127.0.0.1:{port}"
    relay = DownRelay(port)
    gateway = Gateway()
    try:
        grace = n.Keys.generate()
        contact = gateway.api("POST", "/api/contacts", {"name": "Grace", "pubkey": grace.public_key().to_hex(), "relays": [url]},
                              expect=201)
        created = gateway.api("POST", "/api/rooms", {"contact": contact["id"]}, expect=201)
        # Tried, failed, and tried again: still pending (it is given up only after six rounds).
        until(lambda: relay.connections >= 2, 30, "two tries on the relay that is down")
        assert invite_state(gateway, created["roomCode"])["status"] == "pending"
        relay.stop()
        relay = Relay(port=port)
        sent = until(lambda: (invite_state(gateway, created["roomCode"]) or {}).get("status") == "sent"
                     and invite_state(gateway, created["roomCode"]), 40, "delivery once the relay is up")
        assert sent["attempts"] >= 2
        assert len(relay.events({"#p": [grace.public_key().to_hex()]})) == 1
    finally:
        gateway.stop()
        relay.stop()


def test_two_gateways_call_each_other_through_a_relay(relay):
    ada = Gateway(env={"CROW_NOSTR_RELAYS": relay.url})
    grace = Gateway(env={"CROW_NOSTR_RELAYS": relay.url})
    try:
        ada_id, grace_id = ada.api("GET", "/api/owner"), grace.api("GET", "/api/owner")
        # Grace's gateway logs its subscription to the relay.
        until(lambda: any("[nostr] Subscribed" in line for line in grace.lines), 30, "Grace's subscription")
        # Relay health is reported on /readyz (as counts: the route is public) and /metrics.
        until(lambda: grace.http.get(grace.base + "/readyz", timeout=10).json().get("relays") == {"configured": 1, "subscribed": 1}, 30, "readyz")
        assert relay.url not in grace.http.get(grace.base + "/readyz", timeout=10).text
        assert grace.metric("crow_nostr_relays_subscribed") == 1 and grace.metric("crow_nostr_relays_configured") == 1
        grace_at_ada = ada.api("POST", "/api/contacts", {"name": "Grace", "pubkey": grace_id["npub"]}, expect=201)
        ada_at_grace = grace.api("POST", "/api/contacts", {"name": "Ada", "pubkey": ada_id["npub"], "transport": "crow"}, expect=201)
        created = ada.api("POST", "/api/rooms", {"hostName": "Ada", "contact": grace_at_ada["id"]}, expect=201)
        call = until(lambda: next(iter(grace.api("GET", "/api/calls/incoming")["calls"]), None), 30, "the call at Grace's gateway")
        assert call["senderPubkey"] == ada_id["pubkey"] and call["roomCode"] == created["roomCode"]
        query = urllib.parse.parse_qs(urllib.parse.urlparse(call["joinUrl"]).query)
        preview = ada.http.get(ada.base + "/calls/link", params={"room": query["room"][0], "token": query["token"][0]}, timeout=10)
        assert preview.status_code == 200 and preview.json()["role"] == "guest"
        # And back the other way, in Crow's format.
        back = grace.api("POST", "/api/rooms", {"hostName": "Grace", "contact": ada_at_grace["id"]}, expect=201)
        call_back = until(lambda: next(iter(ada.api("GET", "/api/calls/incoming")["calls"]), None), 30, "the call at Ada's gateway")
        assert call_back["roomCode"] == back["roomCode"] and call_back["senderName"] == "Grace"
        # A restart of Grace's gateway asks the relay for the last two days again: nothing rings twice.
        grace.restart()
        until(lambda: any("[nostr] Subscribed" in line for line in grace.lines), 30, "the subscription after the restart")
        # The relay sent Ada's invite again and the inbox dropped it as one it has: then, and only then,
        # the count of calls says whether it rang twice.
        duplicate = 'crow_nostr_events_dropped_total{reason="duplicate"}'
        until(lambda: (grace.metric(duplicate) or 0) >= 1, 30, "the invite again, dropped as a duplicate")
        assert len(grace.api("GET", "/api/calls/incoming")["calls"]) == 1
        assert grace.metric(duplicate) == 1
    finally:
        ada.stop()
        grace.stop()
