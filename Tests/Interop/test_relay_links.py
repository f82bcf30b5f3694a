"""The outbox's connections to relays: kept open between publishes (`CROW_NOSTR_RELAY_KEEP_OPEN`), so a
call after the first one reaches the relay in half a round trip; closed when idle; and never trusted
with an invite it did not answer: a kept connection the relay dropped is replaced, and the invite is
still delivered once."""
import pathlib
import sys

import nostr_sdk as n

from relay_support import HoldingProxy, Relay

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "PythonSupport"))
from crow_gateway import Gateway  # noqa: E402
from waiting import until  # noqa: E402


def call(gateway, contact):
    """Calls the contact as the panel's Call button does; returns the invite once it is `sent`."""
    code = gateway.api("POST", "/api/rooms", {"hostName": "Ada", "contact": contact["id"]}, expect=201)["roomCode"]
    return until(lambda: next((i for i in gateway.api("GET", f"/api/rooms/{code}")["invites"] if i["status"] == "sent"), None),
                 30, f"the invite of {code} to be sent")


def grace_behind(gateway, proxy):
    """A contact whose only relay is the proxy. The gateway follows no relay of its own, so every
    connection through the proxy is one of its publishes."""
    grace = n.Keys.generate()
    contact = gateway.api("POST", "/api/contacts", {"name": "Grace", "pubkey": grace.public_key().to_hex(), "relays": [proxy.url]},
                          expect=201)
    return grace, contact


def test_invites_share_one_kept_connection_which_closes_when_idle(relay):
    proxy = HoldingProxy(relay.url, holding=False)
    gateway = Gateway(env={"CROW_NOSTR_RELAY_KEEP_OPEN": "2"})
    try:
        grace, contact = grace_behind(gateway, proxy)
        for _ in range(3):
            assert call(gateway, contact)["relaysOk"] == 1
        # Three invites, three events stored, one connection.
        assert len(relay.events({"#p": [grace.public_key().to_hex()]})) == 3
        assert len(proxy.published) == 3 and proxy.accepted == 1, (proxy.published, proxy.accepted)
        # Idle for the keep-open time: closed. The next call opens a new one.
        until(lambda: proxy.connections == 0, 30, "the idle connection to close")
        call(gateway, contact)
        assert proxy.accepted == 2
    finally:
        gateway.stop()
        proxy.stop()


def test_keep_open_0_connects_for_every_publish(relay):
    proxy = HoldingProxy(relay.url, holding=False)
    gateway = Gateway(env={"CROW_NOSTR_RELAY_KEEP_OPEN": "0"})
    try:
        _, contact = grace_behind(gateway, proxy)
        for n_calls in (1, 2):
            call(gateway, contact)
            assert proxy.accepted == n_calls
            until(lambda: proxy.connections == 0, 30, "the publish's connection to close")
    finally:
        gateway.stop()
        proxy.stop()


def test_a_kept_connection_the_relay_dropped_is_replaced_and_the_invite_delivered_once(relay):
    proxy = HoldingProxy(relay.url, holding=False)
    gateway = Gateway(env={"CROW_NOSTR_RELAY_KEEP_OPEN": "300"})
    second = None
    try:
        grace, contact = grace_behind(gateway, proxy)
        call(gateway, contact)
        assert proxy.connections == 1
        # The relay goes away and comes back on its port: the kept connection is dead, and the gateway
        # learns it only when it publishes the next invite on it.
        port = relay.port
        relay.stop()
        second = Relay(port=port)
        sent = call(gateway, contact)
        assert sent["relaysOk"] == 1
        assert len(second.events({"#p": [grace.public_key().to_hex()]})) == 1
        assert proxy.accepted == 2
    finally:
        gateway.stop()
        proxy.stop()
        if second:
            second.stop()


def test_the_gateways_own_relay_is_linked_from_the_start_and_idling_does_not_close_it(relay):
    own = HoldingProxy(relay.url, holding=False)
    contacts_relay = HoldingProxy(relay.url, holding=False)
    # A publishing connection is kept 1 s after its last publish, unless it goes to the gateway's own relay.
    gateway = Gateway(env={"CROW_NOSTR_RELAY_KEEP_OPEN": "1"})
    try:
        gateway.api("PUT", "/api/nostr/relays", {"relays": [own.url]}, expect=200)
        # The subscription and the publishing connection, both before any call.
        until(lambda: own.connections == 2, 30, "the subscription and the publishing connection")
        grace, contact = grace_behind(gateway, contacts_relay)
        for n_calls in (1, 2):
            call(gateway, contact)
            assert contacts_relay.accepted == n_calls
            # The contact's relay was idle for the keep-open time: its connection closed; the own one did not.
            until(lambda: contacts_relay.connections == 0, 30, "the contact relay's idle connection to close")
            assert own.connections == 2
        assert len(own.published) == 2 and own.accepted == 2, (own.published, own.accepted)
        # Removed from the panel's list: the subscription and the publishing connection close.
        gateway.api("PUT", "/api/nostr/relays", {"relays": []}, expect=200)
        until(lambda: own.connections == 0, 30, "both connections to the removed relay to close")
    finally:
        gateway.stop()
        own.stop()
        contacts_relay.stop()
