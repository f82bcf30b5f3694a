"""Two households on two machines, as people use them: each owner opens the setup link their gateway
printed, types a password (the public address is already filled in from the address the browser
used), lands in the panel, and adds the other as a contact by typing the other gateway's npub. Ada
clicks Call and joins from the tab it opens; Bob's panel shows the toast, Bob clicks Accept and joins
the call on Ada's gateway. Audio must flow both ways over a candidate pair between the two hosts.

Chromium to Chromium, and Chromium to Firefox. No cookie is injected and no API is called in place of a
button; the test reads only the pages and, for the checks, the ledger files."""
import time

import pytest

from flows import add_contact, audio_both_ways, audio_grew, close_all, join, links, new_tab, open_browser, settled, sign_up, tile_quality
from households import HouseholdGateway, until
from network import Cut

@pytest.mark.parametrize("ada_kind,bob_kind", [("chromium", "chromium"), ("chromium", "firefox")])
def test_ada_calls_bob_on_another_machine_and_they_hear_each_other(segment, relay, ada_kind, bob_kind):
    ada_ns, ada_address = segment.host("ada")
    bob_ns, bob_address = segment.host("bob")
    made = []
    try:
        ada_gateway = HouseholdGateway(ada_ns, ada_address, relay.url, "ada")
        made.append(ada_gateway)
        bob_gateway = HouseholdGateway(bob_ns, bob_address, relay.url, "bob")
        made.append(bob_gateway)
        ada = open_browser(ada_kind, ada_ns, ada_address, segment.address)
        made.append(ada)
        bob = open_browser(bob_kind, bob_ns, bob_address, segment.address)
        made.append(bob)

        sign_up(ada, ada_gateway, "Ada")
        sign_up(bob, bob_gateway, "Bob")
        add_contact(ada, "Bob", bob.find("#identity-npub").text)
        add_contact(bob, "Ada", ada.find("#identity-npub").text)
        # Bob's panel is open and its toast script runs; Ada's gateway has Bob's relay subscription up.
        until(lambda: bob.script("return Boolean(window.crowToast)"), 30, "Bob's toast script")
        until(lambda: bob_gateway.ledger("SELECT COUNT(*) FROM nostr_relay_cursors")[0][0] == 1, 30,
              "Bob's gateway to follow the relay")

        panel = ada.handles()
        ada.click("#contacts-list li[data-contact] button.primary")
        called = time.monotonic()
        new_tab(ada, panel)
        join(ada, "Ada")

        until(lambda: bob.visible(".crow-toast .crow-toast-accept"), 90, "the toast on Bob's panel")
        ringing = time.monotonic() - called
        # The banner slides down for a moment: Accept is clicked once it is in place and reads right.
        until(lambda: bob.find(".crow-toast .crow-toast-text").text == "Ada is calling…", 30, "the toast's text")
        panel = bob.handles()
        bob.click(".crow-toast .crow-toast-accept")
        new_tab(bob, panel)
        # The tab opens at once (inside the click, so no popup blocker stops it) and goes to the call on
        # Ada's gateway once the accept is recorded.
        until(lambda: bob.current_url.startswith(ada_gateway.base + "/calls?room="), 30, "Bob's tab to open the call")
        join(bob, "Bob")

        until(lambda: audio_both_ways(ada, bob), 60, "audio both ways")
        ada_link, bob_link = links(ada)[0], links(bob)[0]
        # Host to host: each side's selected pair runs between the two households' own addresses.
        assert (ada_link["local"], ada_link["remote"]) == (ada_address, bob_address), ada_link
        assert (bob_link["local"], bob_link["remote"]) == (bob_address, ada_address), bob_link
        # Each tile shows the connection's figures, read from the stats of that browser (Firefox marks its
        # pair differently), with the direct path.
        for page in (ada, bob):
            quality = until(lambda: tile_quality(page), 30, "the figures on the other person's tile")
            assert quality["path"] == "host" and quality["line"].endswith(" · direct"), quality
        # Bob's network goes away under the call: his signaling socket drops and the media path breaks at
        # the same moment, for long enough that ICE gives up on the path and restarts while there is no
        # socket to send the restart's offer on. When the network is back, the socket resumes and the
        # queued or retried offer gets through: both sides settle and audio flows both ways again.
        before = [links(ada), links(bob)]
        cut = Cut(bob_ns, ada_address)
        try:
            bob.script("window.crowCall.mesh.socket.close(4001, 'network change')")
            until(lambda: any(l["state"] != "connected" for l in links(ada)), 45, "Ada's side to lose the path")
            # An ICE restart's offer is out, with nowhere to go: Bob's has no socket, Ada's reaches a
            # seat in its grace.
            until(lambda: not settled(bob) or not settled(ada), 45, "an ICE restart while the network is gone")
        finally:
            cut.mend()
        until(lambda: settled(ada) and settled(bob) and audio_grew(ada, bob, before), 90,
              "the call to come back by itself")

        # The call is recorded where it was placed and where it was answered.
        assert ada_gateway.ledger("SELECT COUNT(*) FROM events WHERE type = 'invite.sent'")[0][0] == 1
        assert bob_gateway.ledger("SELECT COUNT(*) FROM events WHERE type = 'invite.accepted'")[0][0] == 1
        print("%s -> %s: Call to toast in %.1f s" % (ada_kind, bob_kind, ringing))
    finally:
        close_all(made)
