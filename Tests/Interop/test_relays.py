"""The gateway's own relays, end to end with a real nostr-relay process: relays saved in the panel are
followed at once, nostr-sdk's invites in both formats ring through them, the subscription cursor is
kept in the ledger file and used after a restart, and an outbox killed in the middle of a delivery
resumes without sending anything again after the relay's OK."""
import json
import pathlib
import sys
import time

import nostr_sdk as n

from relay_support import HoldingProxy, Relay, publish

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "PythonSupport"))
from crow_gateway import Gateway  # noqa: E402
from waiting import until  # noqa: E402


def envelope(room, host="Ada"):
    return json.dumps({"type": "crow_social", "version": 1, "subtype": "room_invite", "payload": {
        "room_code": room, "join_url": f"https://ada.example/calls?room={room}&token=t-{room}", "host_name": host,
    }})


def crow_invite(sender, to, room, created_at=None):
    """Crow's format: kind 4, a `p` tag, NIP-44 v2 content."""
    content = n.nip44_encrypt(sender.secret_key(), to, envelope(room), n.Nip44Version.V2)
    builder = n.EventBuilder(n.Kind(4), content).tags([n.Tag.public_key(to)])
    if created_at:
        builder = builder.custom_created_at(n.Timestamp.from_secs(created_at))
    return builder.finalize(sender)


def incoming_rooms(gateway):
    return sorted(call["roomCode"] for call in gateway.api("GET", "/api/calls/incoming")["calls"])


def test_relays_saved_in_the_panel_are_followed_at_once_and_nostr_sdk_invites_ring(relay):
    # The gateway reaches the relay through a proxy that passes everything and counts the open
    # connections: the test sees the gateway's connection close when the relay is removed.
    proxy = HoldingProxy(relay.url, holding=False)
    gateway = Gateway()
    try:
        me = n.PublicKey.parse(gateway.api("GET", "/api/owner")["npub"])
        ada = n.Keys.generate()
        gateway.api("POST", "/api/contacts", {"name": "Ada", "pubkey": ada.public_key().to_bech32()}, expect=201)
        assert gateway.api("GET", "/api/nostr/relays")["relays"] == []
        # Saved in the panel: followed without a restart.
        saved = gateway.api("PUT", "/api/nostr/relays", {"relays": [proxy.url]}, expect=200)
        assert saved["saved"] == [proxy.url] and saved["relays"][0]["source"] == "saved"
        until(lambda: any("[nostr] Subscribed" in line and proxy.url in line for line in gateway.lines), 30, "the subscription")
        until(lambda: gateway.api("GET", "/api/nostr/relays")["relays"][0]["status"] == "subscribed", 30, "subscribed")
        # nostr-sdk sends a Crow-format invite and a NIP-17 gift wrap through the relay: both ring.
        assert publish(relay.url, crow_invite(ada, me, "crowroom").as_json())[2] is True
        assert publish(relay.url, n.nip17_make_private_msg(ada, me, envelope("nip17room")).as_json())[2] is True
        until(lambda: incoming_rooms(gateway) == ["crowroom", "nip17room"], 30, "both invites in Incoming")
        calls = gateway.api("GET", "/api/calls/incoming")["calls"]
        assert {c["senderName"] for c in calls} == {"Ada"} and {c["status"] for c in calls} == {"ringing"}
        # The relay's cursor is in the ledger file: set when the relay sent its stored events.
        cursor = until(lambda: gateway.ledger("SELECT caught_up FROM nostr_relay_cursors WHERE url = ?", (proxy.url,)), 30, "the cursor")
        assert abs(cursor[0][0] - time.time()) < 60
        # Removed: the connection closes, and new events on that relay no longer reach the gateway.
        gateway.api("PUT", "/api/nostr/relays", {"relays": []}, expect=200)
        until(lambda: "relays" not in gateway.http.get(gateway.base + "/readyz", timeout=10).json(), 30, "the relay forgotten")
        assert gateway.metric("crow_nostr_relays_configured") == 0 and gateway.metric("crow_nostr_relays_subscribed") == 0
        until(lambda: proxy.connections == 0, 30, "the gateway's connection to the relay to close")
        # With no connection left, nothing published from now on can reach the gateway.
        assert publish(relay.url, crow_invite(ada, me, "lateroom").as_json())[2] is True
        assert "lateroom" not in incoming_rooms(gateway)
    finally:
        gateway.stop()
        proxy.stop()


def test_after_a_long_stop_the_subscription_reaches_back_to_the_cursor(relay):
    gateway = Gateway(env={"CROW_NOSTR_RELAYS": relay.url})
    try:
        me = n.PublicKey.parse(gateway.api("GET", "/api/owner")["npub"])
        ada = n.Keys.generate()
        gateway.api("POST", "/api/contacts", {"name": "Ada", "pubkey": ada.public_key().to_hex()}, expect=201)
        until(lambda: gateway.ledger("SELECT 1 FROM nostr_relay_cursors WHERE url = ?", (relay.url,)), 30, "the first cursor")
        gateway.terminate()
        # As if the gateway had last been caught up five days ago, and an invite was sent four days ago
        # while it was off: further back than any fresh subscription asks.
        now = int(time.time())
        gateway.ledger("UPDATE nostr_relay_cursors SET caught_up = ? WHERE url = ?", (now - 5 * 86400, relay.url), write=True)
        old = crow_invite(ada, me, "whileoff", created_at=now - 4 * 86400)
        assert publish(relay.url, old.as_json())[2] is True
        # A second relay the gateway never followed has an equally old invite: a first subscription asks
        # for the last two days and an hour only, so that one is not fetched.
        other = Relay()
        try:
            assert publish(other.url, crow_invite(ada, me, "nevercursor", created_at=now - 4 * 86400).as_json())[2] is True
            gateway.environment["CROW_NOSTR_RELAYS"] = f"{relay.url},{other.url}"
            gateway.start()
            received = until(lambda: gateway.events("invite.received"), 30, "the invite sent while the gateway was off")
            assert [e["data"]["nostrEventId"] for e in received] == [old.id().to_hex()], received
            until(lambda: sum("[nostr] Subscribed" in line for line in gateway.lines) >= 2, 30, "both subscriptions")
            # The second relay's first cursor is written once it has sent all it stored (EOSE), and the
            # gateway takes in every stored event before that: from then on, the count is final.
            until(lambda: gateway.ledger("SELECT 1 FROM nostr_relay_cursors WHERE url = ?", (other.url,)), 30,
                  "the second relay's stored events to be read")
            assert len(gateway.events("invite.received")) == 1
            # The cursor moved forward again once the relay had sent its stored events.
            cursor = until(lambda: (gateway.ledger("SELECT caught_up FROM nostr_relay_cursors WHERE url = ?", (relay.url,)) or [[0]])[0][0] > now - 60
                           and True, 30, "the cursor to move on")
            assert cursor
        finally:
            other.stop()
    finally:
        gateway.stop()


def test_an_outbox_killed_in_the_middle_of_a_delivery_resumes_and_never_resends_after_the_ok(relay):
    proxy = HoldingProxy(relay.url)
    gateway = Gateway(env={"CROW_NOSTR_RELAYS": proxy.url})
    try:
        grace = n.Keys.generate()
        contact = gateway.api("POST", "/api/contacts", {"name": "Grace", "pubkey": grace.public_key().to_hex()}, expect=201)
        created = gateway.api("POST", "/api/rooms", {"hostName": "Ada", "contact": contact["id"]}, expect=201)
        code = created["roomCode"]
        # The relay has the invite, but its OK never reached the gateway: killed right there.
        until(lambda: proxy.published, 30, "the first publish")
        until(lambda: relay.events({"#p": [grace.public_key().to_hex()]}), 30, "the relay to store it")
        gateway.kill()
        assert gateway.events("invite.sent") == []
        with proxy.lock:
            proxy.holding = False
        gateway.start()
        sent = until(lambda: next((i for i in gateway.api("GET", f"/api/rooms/{code}")["invites"] if i["status"] == "sent"), None),
                     30, "delivery after the restart")
        assert sent["relaysOk"] == 1
        # The same signed event went again (its OK had not been recorded); the relay knew it.
        assert len(set(proxy.published)) == 1 and len(proxy.published) >= 2
        assert any("duplicate" in answer[3] for answer in proxy.answers), proxy.answers
        assert len(relay.events({"#p": [grace.public_key().to_hex()]})) == 1
        assert len(gateway.events("invite.sent")) == 1
        # Once the OK is recorded, nothing goes again: not on a restart, not later. The outbox takes
        # pending invites oldest first, so a second invite queued after the restart and delivered shows
        # that its rounds have run: the first invite, had it still been pending, would have gone before.
        published = list(proxy.published)
        gateway.restart()
        second = gateway.api("POST", "/api/rooms", {"hostName": "Ada", "contact": contact["id"]}, expect=201)
        until(lambda: next((i for i in gateway.api("GET", f"/api/rooms/{second['roomCode']}")["invites"] if i["status"] == "sent"), None),
              30, "the second invite's delivery after the restart")
        assert proxy.published[:len(published)] == published
        assert not set(proxy.published[len(published):]) & set(published), proxy.published
        assert [e["data"]["inviteId"] for e in gateway.events("invite.sent")].count(sent["id"]) == 1
    finally:
        gateway.stop()
        proxy.stop()
