"""Web Push and ntfy end to end: the real gateway sends to a local receiver standing in for the push
service and the ntfy server. The push body is decrypted with the independent http-ece package and the
VAPID token is checked with `cryptography`; ntfy's headers are read as ntfy reads them."""
import base64
import email.header
import json
import os
import pathlib
import socket
import sys
import time

import nostr_sdk as n
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
import http_ece

from relay_support import publish

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "PythonSupport"))
from crow_gateway import Gateway  # noqa: E402
from receiver import Receiver  # noqa: E402
from waiting import until  # noqa: E402


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """What a browser holds for one push subscription: a P-256 key pair and an auth secret."""

    def __init__(self, endpoint):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self):
        public = self.key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}

    def open(self, body):
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def envelope(subtype, room, host="Ada"):
    payload = {"room_code": room}
    if subtype == "room_invite":
        payload.update({"join_url": f"https://ada.example/calls?room={room}&token=t-{room}", "host_name": host})
    return json.dumps({"type": "crow_social", "version": 1, "subtype": subtype, "payload": payload})


def crow_event(sender, to, subtype, room, host="Ada"):
    content = n.nip44_encrypt(sender.secret_key(), to, envelope(subtype, room, host), n.Nip44Version.V2)
    return n.EventBuilder(n.Kind(4), content).tags([n.Tag.public_key(to)]).finalize(sender).as_json()


def inbox(gateway):
    return gateway.base.replace("http://", "ws://") + "/nostr"


def check_vapid(authorization, audience, public_key_text):
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert fields["k"] == public_key_text
    header, claims, signature = fields["t"].split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    claims_json = json.loads(unb64url(claims))
    assert claims_json["aud"] == audience
    assert time.time() < claims_json["exp"] <= time.time() + 24 * 3600
    assert claims_json["sub"].startswith(("mailto:", "https://"))
    raw = unb64url(signature)
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key_text))
    key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises when forged


def test_a_call_reaches_web_push_and_ntfy_and_the_missed_notice_replaces_it():
    receiver = Receiver()
    gateway = Gateway(env={"CROW_NTFY_URL": receiver.url + "/ntfy/calls", "CROW_NTFY_TOKEN": "tk_test_token"})
    try:
        browser = Browser(receiver.url + "/push/one")
        created = gateway.api("POST", "/api/push/subscriptions", browser.subscription(), expect=201)
        # The same browser again keeps its id; the list shows the service's origin only.
        assert gateway.api("POST", "/api/push/subscriptions", browser.subscription(), expect=200)["id"] == created["id"]
        listed = gateway.api("GET", "/api/push/subscriptions")
        assert listed["ntfy"] is True and [s["service"] for s in listed["subscriptions"]] == [receiver.url]
        vapid = gateway.api("GET", "/api/push/vapid-key")["publicKey"]
        me = n.PublicKey.parse(gateway.api("GET", "/api/owner")["npub"])
        ada = n.Keys.generate()
        gateway.api("POST", "/api/contacts", {"name": "Zoë", "pubkey": ada.public_key().to_hex()}, expect=201)

        # The caller's own name for the call (the invite's host name) is what the owner sees.
        assert publish(inbox(gateway), crow_event(ada, me, "room_invite", "pushroom", host="Zoë Łukasz"))[2] is True
        pushed = until(lambda: receiver.to("/push/one"), 30, "the push")[0]
        assert pushed["headers"]["Content-Encoding"] == "aes128gcm"
        assert pushed["headers"]["TTL"] == "60" and pushed["headers"]["Urgency"] == "high"
        check_vapid(pushed["headers"]["Authorization"], receiver.url, vapid)
        ringing = browser.open(pushed["body"])
        call = gateway.api("GET", "/api/calls/incoming")["calls"][0]
        assert ringing["type"] == "ringing" and ringing["title"] == "Zoë Łukasz is calling"
        assert ringing["caller"] == "Zoë Łukasz" and ringing["id"] == call["id"]
        assert ringing["url"] == call["joinUrl"] and ringing["accept"] == f"/api/calls/incoming/{call['id']}/accept"
        assert ringing["decline"] == f"/api/calls/incoming/{call['id']}/decline"

        posted = until(lambda: receiver.to("/ntfy/calls"), 30, "the ntfy publish")[0]
        headers = posted["headers"]
        title = str(email.header.make_header(email.header.decode_header(headers["Title"])))
        assert title == "Zoë Łukasz is calling" and headers["Title"].startswith("=?UTF-8?B?")
        assert headers["Priority"] == "5" and headers["Click"] == call["joinUrl"] and headers["Tags"] == "telephone_receiver"
        assert headers["Authorization"] == "Bearer tk_test_token"
        assert posted["body"].decode() == "Tap to join the call."

        # The caller gives up: a missed notice with the same tag replaces the ringing one.
        assert publish(inbox(gateway), crow_event(ada, me, "room_closed", "pushroom"))[2] is True
        second = until(lambda: receiver.to("/push/one")[1:], 30, "the missed notice")[0]
        missed = browser.open(second["body"])
        assert missed["type"] == "missed" and missed["tag"] == ringing["tag"] and missed["title"] == "Missed call from Zoë Łukasz"
        assert second["headers"]["Topic"] == pushed["headers"]["Topic"] and second["headers"]["TTL"] == "86400"
        until(lambda: len(receiver.to("/ntfy/calls")) == 2, 30, "the missed ntfy publish")
        # Exactly one of each: nothing is sent twice. Both sends of each channel are settled (counted
        # as delivered) before the requests are counted, so a retry would have shown by then.
        for channel in ("webpush", "ntfy"):
            series = f'crow_notifications_sends_total{{channel="{channel}",result="delivered"}}'
            until(lambda: (gateway.metric(series) or 0) >= 2, 30, f"both {channel} sends counted as delivered")
            assert gateway.metric(series) == 2
        assert len(receiver.to("/push/one")) == 2 and len(receiver.to("/ntfy/calls")) == 2
        # The token never reaches the logs.
        assert not any("tk_test_token" in line for line in gateway.lines)
    finally:
        gateway.stop()
        receiver.stop()


def test_a_gone_subscription_is_removed_and_bad_subscriptions_are_refused():
    receiver = Receiver()
    receiver.statuses["/push/gone"] = 410
    gateway = Gateway()
    try:
        kept, gone = Browser(receiver.url + "/push/kept"), Browser(receiver.url + "/push/gone")
        gateway.api("POST", "/api/push/subscriptions", kept.subscription(), expect=201)
        gateway.api("POST", "/api/push/subscriptions", gone.subscription(), expect=201)
        # The settings' test button: one delivered, one gone (and removed).
        answer = gateway.api("POST", "/api/push/test", expect=200)
        assert sorted(r["result"] for r in answer["webPush"]) == ["delivered", "gone (removed)"] and answer["ntfy"] == "off"
        assert kept.open(receiver.to("/push/kept")[0]["body"])["type"] == "test"
        assert len(gateway.api("GET", "/api/push/subscriptions")["subscriptions"]) == 1
        # A malformed subscription gets 400 with a code and the field at fault; nothing is stored.
        good = kept.subscription()
        for bad, words in [
            ({**good, "endpoint": "http://push.example.net/x"}, "endpoint"),
            ({**good, "endpoint": "javascript:alert(1)"}, "endpoint"),
            ({**good, "keys": {**good["keys"], "p256dh": b64url(b"\x04" + b"\x01" * 64)}}, "p256dh"),
            ({**good, "keys": {**good["keys"], "auth": b64url(b"short")}}, "auth"),
            ({"endpoint": good["endpoint"]}, "p256dh"),
        ]:
            answer = gateway.http.post(gateway.base + "/api/push/subscriptions", json=bad, headers={"Origin": gateway.base}, timeout=10)
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["code"] == "invalid_subscription" and words in answer.json()["error"]["message"]
        assert len(gateway.api("GET", "/api/push/subscriptions")["subscriptions"]) == 1
        # Unsubscribing by endpoint; a second time is a 404.
        gateway.api("DELETE", "/api/push/subscriptions", {"endpoint": kept.endpoint}, expect=204)
        gateway.api("DELETE", "/api/push/subscriptions", {"endpoint": kept.endpoint}, expect=404)
    finally:
        gateway.stop()
        receiver.stop()


def test_a_gateway_killed_before_the_push_sends_it_exactly_once_after_the_restart():
    # The push service takes the first request and does not answer it: the gateway is killed while it
    # waits, so the push was never delivered (it gives up on a send only after three tries of 5 s).
    receiver = Receiver()
    receiver.delays["/push/one"] = 120
    gateway = Gateway()
    delivered = 'crow_notifications_sends_total{channel="webpush",result="delivered"}'

    def answered():
        return [browser.open(r["body"])["id"] for r in receiver.to("/push/one") if r["answered"]]

    try:
        browser = Browser(receiver.url + "/push/one")
        gateway.api("POST", "/api/push/subscriptions", browser.subscription(), expect=201)
        call_id = gateway.incoming(caller="Grace")
        until(lambda: receiver.to("/push/one"), 30, "the first try of the push")
        gateway.kill()
        assert answered() == []
        receiver.delays["/push/one"] = 0
        gateway.start()
        until(lambda: answered(), 30, "the push after the restart")
        assert answered() == [call_id]
        # Once sent, it is never sent again: not later, not after another restart. Its delivery is
        # recorded before it is counted; a second call after the restart is pushed only once the
        # dispatcher has passed the first one, which it would have sent again before.
        until(lambda: gateway.metric(delivered) == 1, 30, "the push counted as delivered")
        gateway.restart()
        second = gateway.incoming(caller="Linus")
        until(lambda: len(answered()) == 2, 30, "the second call's push")
        assert answered() == [call_id, second]
    finally:
        gateway.stop()
        receiver.stop()


def test_a_hanging_push_service_delays_no_call_and_a_down_ntfy_is_counted():
    receiver = Receiver()
    receiver.delays["/push/slow"] = 120
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = s.getsockname()[1]  # nothing listens: the ntfy server is down
    gateway = Gateway(env={"CROW_NTFY_URL": f"http://127.0.0.1:{down}/calls"})
    try:
        gateway.api("POST", "/api/push/subscriptions", Browser(receiver.url + "/push/slow").subscription(), expect=201)
        first = gateway.incoming(caller="Grace")
        until(lambda: receiver.to("/push/slow"), 30, "the push to hang")
        # While the push hangs, calls still ring and the API answers: both calls are in the bell before
        # the push is settled (it is, as failed, only after three tries of 5 s each), and before the push
        # service has answered at all. How fast they ring is crow-bench's to measure.
        second = gateway.incoming(caller="Linus")
        until(lambda: {c["id"] for c in gateway.api("GET", "/api/notifications/poll")["ringing"]} >= {first, second}, 30, "both calls in the bell")
        assert not [r for r in receiver.to("/push/slow") if r["answered"]]
        for result in ("delivered", "gone", "failed"):
            assert gateway.metric(f'crow_notifications_sends_total{{channel="webpush",result="{result}"}}') is None, result
        # ntfy is down: three tries (each up to the 5 s timeout: the HTTP client keeps trying to connect
        # until then), then the failure is counted (once for each call).
        until(lambda: (gateway.metric('crow_notifications_sends_total{channel="ntfy",result="failed"}') or 0) >= 1, 90,
              "the ntfy failure in /metrics")
    finally:
        gateway.stop()
        receiver.stop()
