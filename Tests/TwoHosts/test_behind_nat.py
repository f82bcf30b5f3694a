"""A household behind a home router: Carol's browser sits on a LAN of its own, and her router
masquerades her traffic onto the segment and lets out only what a strict home router would (the
gateway's HTTPS port, the relay and TURN server's address). Her browser has no direct path to Ada's.

Without a TURN server, the call page says so in plain words within about 15 s, naming the settings.
With coturn on the segment and the gateway's TURN settings pointing at it, the call goes through relay
candidates with the credentials the gateway issued; credentials past their time are refused.

Ada signs up and starts the call through her panel; Carol opens the guest link Ada's panel shows."""
import base64
import hashlib
import hmac
import time

from flows import audio_both_ways, close_all, join, links, open_browser, relay_candidates, sign_up, start_call_and_copy_a_guest_link, tile_quality
from households import HouseholdGateway, Turn, until

SECRET = "turn-secret-for-the-test"


def households(segment, relay, env=None):
    """Ada on the segment with her gateway and browser; Carol behind her router with a browser."""
    ada_ns, ada_address = segment.host("ada")
    carol_ns, carol_address = segment.host_behind_nat("carol", open_to=[
        (ada_address, "tcp", 8444),  # Ada's gateway (pages, signaling)
        (segment.address, None, None),  # the relay and the TURN server
    ])
    return (ada_ns, ada_address), (carol_ns, carol_address)


def test_behind_nat_without_turn_the_call_page_says_there_is_no_path(segment, relay):
    (ada_ns, ada_address), (carol_ns, carol_address) = households(segment, relay)
    made = []
    try:
        gateway = HouseholdGateway(ada_ns, ada_address, relay.url, "ada")
        made.append(gateway)
        ada = open_browser("chromium", ada_ns, ada_address, segment.address)
        made.append(ada)
        carol = open_browser("chromium", carol_ns, carol_address, segment.address)
        made.append(carol)
        sign_up(ada, gateway, "Ada")
        # The panel's settings warn before anyone calls.
        assert ada.find("#settings-ice").text.startswith("No STUN or TURN server is configured")
        link = start_call_and_copy_a_guest_link(ada, gateway)
        carol.get(link)
        join(carol, "Carol")
        ada.switch([h for h in ada.handles() if h != ada.handles()[0]][0])
        for page, other in ((ada, "Carol"), (carol, "Ada")):
            until(lambda: page.visible("#call-path"), 45, "the no-path notice on %s's page" % other)
            text = page.find("#call-path").text
            assert text.startswith("No connection to %s: your browsers cannot reach each other directly" % other), text
            assert "CROW_TURN_URLS and CROW_TURN_SECRET" in text
            assert page.find("#grid .tile .conn").text == "No connection" or any(
                c.text == "No connection" for c in page.find_all("#grid .tile .conn"))
        assert all(l["state"] != "connected" for l in links(ada))
    finally:
        close_all(made)


def test_behind_nat_the_call_goes_through_turn_with_the_gateways_credentials(segment, relay):
    (ada_ns, ada_address), (carol_ns, carol_address) = households(segment, relay)
    made = []
    try:
        turn = Turn(segment.address, SECRET)
        made.append(turn)
        gateway = HouseholdGateway(ada_ns, ada_address, relay.url, "ada",
                                   env={"CROW_TURN_URLS": turn.url, "CROW_TURN_SECRET": SECRET})
        made.append(gateway)
        ada = open_browser("chromium", ada_ns, ada_address, segment.address)
        made.append(ada)
        carol = open_browser("chromium", carol_ns, carol_address, segment.address)
        made.append(carol)
        sign_up(ada, gateway, "Ada")
        assert ada.find("#settings-ice").text.startswith("A TURN server relays calls")
        link = start_call_and_copy_a_guest_link(ada, gateway)
        carol.get(link)
        join(carol, "Carol")
        ada.switch([h for h in ada.handles() if h != ada.handles()[0]][0])

        until(lambda: audio_both_ways(ada, carol), 60, "audio both ways through the TURN server")
        carol_link = links(carol)[0]
        # Carol's side of the pair is her relay address on the TURN server: her own address never reaches Ada.
        assert carol_link["localType"] == "relay" and carol_link["local"] == segment.address, carol_link
        assert not carol.visible("#call-path")
        # Both tiles say the call is relayed.
        for page in (ada, carol):
            quality = until(lambda: tile_quality(page), 30, "the figures on the other person's tile")
            assert quality["path"] == "relay" and quality["line"].endswith(" · relayed (TURN)"), quality

        # The credentials the gateway issued: a username "<expiry>:<peer id>" good for a day, signed with
        # the shared secret. coturn grants a relay with them, and refuses the same scheme once the time
        # has passed, or when the time was changed without the secret.
        server = carol.script(
            "return window.crowCall.mesh.iceServers.find((s) => [].concat(s.urls).some((u) => u.startsWith('turn:')))")
        expiry, peer = server["username"].split(":", 1)
        assert int(expiry) > time.time() + 23 * 3600
        assert relay_candidates(carol, server)["relay"] >= 1
        past = "%d:%s" % (int(time.time()) - 60, peer)
        expired = dict(server, username=past, credential=base64.b64encode(
            hmac.new(SECRET.encode(), past.encode(), hashlib.sha1).digest()).decode())
        refused = relay_candidates(carol, expired)
        assert refused["relay"] == 0, refused
        stretched = dict(server, username="%d:%s" % (int(expiry) + 86400, peer))
        assert relay_candidates(carol, stretched)["relay"] == 0
    finally:
        close_all(made)
