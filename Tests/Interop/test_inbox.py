"""Gateway to gateway through the callee's own inbox (`/nostr`), with no third-party relay; and the
inbox against hostile input from an independent client (nostr-sdk)."""
import json
import pathlib
import sys
import urllib.parse

import nostr_sdk as n
from websockets.sync.client import connect

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "PythonSupport"))
from crow_gateway import Gateway  # noqa: E402
from waiting import until  # noqa: E402

INVITE = {"type": "crow_social", "version": 1, "subtype": "room_invite",
          "payload": {"room_code": "room1", "join_url": "https://ada.example/calls?room=room1&token=t", "host_name": "Ada"}}


def inbox_url(gateway):
    return gateway.base.replace("http://", "ws://") + "/nostr"


def publish(url, event_json):
    with connect(url, open_timeout=10) as ws:
        ws.send(f'["EVENT",{event_json}]')
        return json.loads(ws.recv(timeout=10))


def test_one_gateway_invites_another_through_its_inbox_and_the_link_admits():
    ada, grace = Gateway(), Gateway()
    try:
        ada_id, grace_id = ada.api("GET", "/api/owner"), grace.api("GET", "/api/owner")
        grace_at_ada = ada.api("POST", "/api/contacts", {
            "name": "Grace", "pubkey": grace_id["npub"], "relays": [inbox_url(grace)], "transport": "nip17",
        }, expect=201)
        # Grace's owner lists Ada's inbox as her relay: on one machine the join URL's host is loopback,
        # and the gateway never connects to a host the contact named there unless other machines could.
        grace.api("POST", "/api/contacts", {"name": "Ada", "pubkey": ada_id["npub"], "relays": [inbox_url(ada)]}, expect=201)
        # How fast an invite rings is crow-bench's to measure; here it only has to arrive.
        created = ada.api("POST", "/api/rooms", {"hostName": "Ada", "contact": grace_at_ada["id"]}, expect=201)
        call = until(lambda: next(iter(grace.api("GET", "/api/calls/incoming")["calls"]), None), 30, "the call at Grace's gateway")
        assert call["senderName"] == "Ada" and call["senderPubkey"] == ada_id["pubkey"] and call["status"] == "ringing"
        assert call["roomCode"] == created["roomCode"]
        # The bell rings at Grace's gateway too.
        bell = grace.api("GET", "/api/notifications/poll")
        assert [r["id"] for r in bell["ringing"]] == [call["id"]]
        # The join URL admits Grace into Ada's room.
        query = urllib.parse.parse_qs(urllib.parse.urlparse(call["joinUrl"]).query)
        preview = ada.http.get(ada.base + "/calls/link", params={"room": query["room"][0], "token": query["token"][0]}, timeout=10)
        assert preview.status_code == 200 and preview.json()["role"] == "guest"
        invite = until(lambda: ada.api("GET", f"/api/rooms/{created['roomCode']}")["invites"][0]["status"] == "sent", 30, "sent")
        assert invite
        # Ada's gateway delivered it straight to Grace's: Grace's inbox counted one accepted invite.
        accepted_invites = 'crow_nostr_events_accepted_total{kind="invite"}'
        until(lambda: (grace.metric(accepted_invites) or 0) >= 1, 30, "the accepted invite in Grace's /metrics")
        assert grace.metric(accepted_invites) == 1
        # Grace declines: her gateway tells Ada's (through the inbox Grace's owner listed for Ada), and
        # Ada's outgoing invite shows it. The join URL's host (loopback here) gets no connection.
        grace.api("POST", f"/api/calls/incoming/{call['id']}/decline", expect=204)
        declined = until(lambda: ada.api("GET", f"/api/rooms/{created['roomCode']}")["invites"][0]["status"] == "declined", 30,
                         "the decline at Ada's gateway")
        assert declined
        accepted_declines = 'crow_nostr_events_accepted_total{kind="decline"}'
        until(lambda: (ada.metric(accepted_declines) or 0) >= 1, 30, "the accepted decline in Ada's /metrics")
        assert ada.metric(accepted_declines) == 1
    finally:
        ada.stop()
        grace.stop()


def test_the_inbox_drops_hostile_events_with_reasons_and_never_rings_twice():
    grace = Gateway()
    try:
        me = n.PublicKey.parse(grace.api("GET", "/api/owner")["pubkey"])
        ada, mallory = n.Keys.generate(), n.Keys.generate()
        grace.api("POST", "/api/contacts", {"name": "Ada", "pubkey": ada.public_key().to_hex()}, expect=201)
        url = inbox_url(grace)

        def crow(author, body):
            content = n.nip44_encrypt(author.secret_key(), me, body, n.Nip44Version.V2)
            return n.EventBuilder(n.Kind(4), content).tags([n.Tag.public_key(me)]).finalize(author).as_json()

        good = n.nip17_make_private_msg(ada, me, json.dumps(INVITE)).as_json()
        forged = json.loads(crow(ada, json.dumps(INVITE)))
        forged["content"] = forged["content"][::-1]
        bad_link = dict(INVITE, payload=dict(INVITE["payload"], join_url="javascript:alert(1)"))
        answers = {
            "good": publish(url, good),
            "again": publish(url, good),
            "forged": publish(url, json.dumps(forged)),
            "stranger": publish(url, crow(mallory, json.dumps(INVITE))),
            "stranger_private": publish(url, n.nip17_make_private_msg(mallory, me, json.dumps(INVITE)).as_json()),
            "bad_link": publish(url, crow(ada, json.dumps(bad_link))),
            "not_for_us": publish(url, n.nip17_make_private_msg(ada, n.Keys.generate().public_key(), json.dumps(INVITE)).as_json()),
        }
        assert answers["good"][2] is True
        assert answers["again"][2] is True and answers["again"][3].startswith("duplicate:")
        assert {k: v[3] for k, v in answers.items() if v[2] is False} == {
            "forged": "blocked: bad_signature",
            "stranger": "blocked: stranger",
            "stranger_private": "blocked: stranger",
            "bad_link": "blocked: bad_join_url",
            "not_for_us": "blocked: not_for_us",
        }
        assert len(grace.api("GET", "/api/calls/incoming")["calls"]) == 1
        # A REQ gets nothing back; garbage gets a notice; the connection survives both.
        with connect(url, open_timeout=10) as ws:
            ws.send('["REQ","s",{"kinds":[4]}]')
            assert json.loads(ws.recv(timeout=10)) == ["EOSE", "s"]
            assert json.loads(ws.recv(timeout=10))[0] == "CLOSED"
            ws.send("not json")
            assert json.loads(ws.recv(timeout=10))[0] == "NOTICE"
            ws.send(f'["EVENT",{good}]')
            assert json.loads(ws.recv(timeout=10))[2] is True
        metrics = grace.http.get(grace.base + "/metrics", timeout=10).text
        for line in ('reason="stranger"} 2', 'reason="bad_signature"} 1', 'reason="bad_join_url"} 1', 'reason="duplicate"} 2'):
            assert line in metrics, line
    finally:
        grace.stop()


def test_a_caller_who_closes_the_room_turns_the_ringing_call_into_a_missed_one():
    ada, grace = Gateway(), Gateway()
    try:
        ada_id, grace_id = ada.api("GET", "/api/owner"), grace.api("GET", "/api/owner")
        grace_at_ada = ada.api("POST", "/api/contacts", {
            "name": "Grace", "pubkey": grace_id["npub"], "relays": [inbox_url(grace)], "transport": "crow",
        }, expect=201)
        grace.api("POST", "/api/contacts", {"name": "Ada", "pubkey": ada_id["npub"]}, expect=201)
        created = ada.api("POST", "/api/rooms", {"hostName": "Ada", "contact": grace_at_ada["id"]}, expect=201)
        call = until(lambda: next(iter(grace.api("GET", "/api/calls/incoming")["calls"]), None), 30, "the call at Grace's gateway")
        assert call["status"] == "ringing"
        until(lambda: ada.api("GET", f"/api/rooms/{created['roomCode']}")["invites"][0]["status"] == "sent", 30, "sent")
        # Ada gives up before Grace answers: her gateway sends room_closed, and Grace's call is missed.
        ada.api("POST", f"/api/rooms/{created['roomCode']}/close", expect=200)
        missed = until(lambda: next((c for c in grace.api("GET", "/api/calls/incoming")["calls"] if c["status"] == "missed"), None),
                       30, "the call to turn missed")
        assert missed["id"] == call["id"]
        assert grace.api("GET", "/api/notifications/poll")["ringing"] == []
        accepted_cancels = 'crow_nostr_events_accepted_total{kind="cancel"}'
        until(lambda: (grace.metric(accepted_cancels) or 0) >= 1, 30, "the accepted cancel in Grace's /metrics")
        assert grace.metric(accepted_cancels) == 1
        until(lambda: any("call message sent" in line and "room_closed" in line for line in ada.lines), 30, "Ada's log of the room_closed message")
    finally:
        ada.stop()
        grace.stop()
