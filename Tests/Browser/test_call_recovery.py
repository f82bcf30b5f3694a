"""The call page when the signaling socket and the media path fail under it: signals survive the drop,
a negotiation never stays stuck, the page stops reconnecting when its seat is gone and offers a way
back, and closing a tab says goodbye. Real Chromium, a real gateway."""
import socket
import time

import pytest
from selenium.webdriver.common.by import By

from conftest import Gateway, all_connected, join, stats, two_in_a_call, until, wait


def negotiation(driver):
    """Each connection's signaling state and the remote ICE ufrag (new after every ICE restart)."""
    return driver.execute_script(
        "return [...window.crowCall.mesh.links.values()].map(l => {"
        " const m = (l.pc.remoteDescription && l.pc.remoteDescription.sdp || '').match(/a=ice-ufrag:(\\S+)/);"
        " return [l.pc.signalingState, m ? m[1] : null]; });"
    )


def settled_after_restart(drivers, before):
    """Every side is stable again, with a remote ufrag other than before, and connected."""
    now = [negotiation(d) for d in drivers]
    return (
        all(all(state == "stable" for state, _ in links) for links in now)
        and all(n[0][1] != b[0][1] for n, b in zip(now, before))
        and all_connected(drivers, 2)
    )


def audio_flows(receiver):
    base = stats(receiver)["links"][0]["audioPackets"]
    until(lambda: stats(receiver)["links"][0]["audioPackets"] > base + 20, 30, "audio to flow")


def new_socket(driver, old_name):
    return driver.execute_script(
        f"const m = window.crowCall.mesh; return m.socket !== window.{old_name} && m.socket.readyState === 1")


def test_an_ice_restart_made_while_the_socket_is_down_is_delivered_after_the_resume(gateway, browsers):
    room, ada, bob = two_in_a_call(gateway, browsers)
    # The socket closes and the connection restarts ICE in the same instant, as when a laptop changes
    # networks: the restart's offer is made while there is no socket to send it on.
    before = [negotiation(ada), negotiation(bob)]
    bob.execute_script(
        "const m = window.crowCall.mesh; window.firstSocket = m.socket;"
        "m.socket.close(4001, 'network change');"
        "for (const l of m.links.values()) l.pc.restartIce();")
    until(lambda: new_socket(bob, "firstSocket"), 30, "the resumed socket")
    until(lambda: settled_after_restart([ada, bob], before), 45, "the ICE restart to complete after the resume")
    audio_flows(bob)
    audio_flows(ada)


def test_an_offer_whose_answer_was_lost_with_the_socket_is_made_again(gateway, browsers):
    room, ada, bob = two_in_a_call(gateway, browsers)
    # The other order: the restart's offer is on its way when the socket goes, so Ada's answer finds
    # Bob in his resume grace and is lost (the gateway answers Ada `peer_unavailable`).
    before = [negotiation(ada), negotiation(bob)]
    bob.execute_script(
        "const m = window.crowCall.mesh; window.firstSocket = m.socket;"
        "const [link] = m.links.values();"
        "const send = m.socket.send.bind(m.socket);"
        "m.socket.send = (text) => { send(text); if (text.includes('\"offer\"')) m.socket.close(4001, 'network change'); };"
        "link.pc.restartIce();")
    until(lambda: new_socket(bob, "firstSocket"), 30, "the resumed socket")
    until(lambda: settled_after_restart([ada, bob], before), 45, "the ICE restart to complete after the resume")
    audio_flows(bob)


def test_an_offer_that_gets_no_answer_is_rolled_back_and_made_again(gateway, browsers):
    room, ada, bob = two_in_a_call(gateway, browsers)
    # Ada's page drops the next offer it receives, as a message lost on the way would be: Bob's offer
    # waits for an answer that never comes, until his page rolls it back and offers again.
    ada.execute_script(
        "const m = window.crowCall.mesh; const [link] = m.links.values();"
        "const receive = link.receive.bind(link); window.dropped = 0;"
        "link.receive = (data) => { if (data.description && data.description.type === 'offer' && window.dropped === 0)"
        " { window.dropped = 1; return Promise.resolve(); } return receive(data); };")
    before = [negotiation(ada), negotiation(bob)]
    bob.execute_script("for (const l of window.crowCall.mesh.links.values()) l.pc.restartIce();")
    until(lambda: ada.execute_script("return window.dropped") == 1, 30, "the first offer to be dropped")
    assert negotiation(bob)[0][0] == "have-local-offer"
    until(lambda: settled_after_restart([ada, bob], before), 45, "the offer to be made again and answered")


# Holds the page's reconnects until `window.holdResume` is false, so the seat stays in its resume grace
# for as long as a test needs.
HOLD_RESUME = """
const m = window.crowCall.mesh; window.holdResume = true; window.firstSocket = m.socket;
const reconnect = m.reconnect.bind(m);
m.reconnect = async () => { while (window.holdResume) await new Promise((r) => setTimeout(r, 50)); return reconnect(); };
m.socket.close(4001, 'network change');
"""


def test_someone_who_joins_while_another_is_in_grace_connects_to_everyone(browsers):
    # A long grace, so the held seat cannot time out while the newcomer sets up.
    served = Gateway(env={"CROW_CALLS_RESUME_GRACE": "60"})
    try:
        room, ada, bob = two_in_a_call(served, browsers)
        cara = browsers()
        bob.execute_script(HOLD_RESUME)
        join(cara, served.guest_link(room["roomCode"]), "Cara")
        bob_id = stats(bob)["self"]
        # Cara's offer to Bob meets his grace; it waits for an answer while Cara and Ada connect.
        until(lambda: any(l["peerId"] == bob_id for l in stats(cara)["links"]), 30, "Cara's connection to Bob")
        until(lambda: any(s == "have-local-offer" for s, _ in negotiation(cara)), 30, "Cara's unanswered offer")
        bob.execute_script("window.holdResume = false;")
        until(lambda: new_socket(bob, "firstSocket"), 30, "Bob's resumed socket")
        until(lambda: all_connected([ada, bob, cara], 3), 60, "every connection of the three")
    finally:
        served.stop()


CUT_OFF = """
const Real = window.WebSocket; window.attempts = 0;
window.WebSocket = class extends Real { constructor(url) { window.attempts += 1;
  super(String(url).replace('/calls/ws', '/calls/no-such-socket')); } };
window.crowCall.mesh.socket.close(4001, 'network change');
"""


def test_the_page_stops_reconnecting_when_the_seat_is_gone_and_the_host_can_rejoin(browsers):
    served = Gateway(env={"CROW_CALLS_RESUME_GRACE": "3"})
    try:
        room = served.room("Ada")
        # Ada is the owner, signed in to this gateway in her browser; Bob is a guest.
        ada, bob = browsers(served.base, served.session), browsers()
        join(ada, room["callUrl"], "Ada")
        join(bob, served.guest_link(room["roomCode"]), "Bob")
        until(lambda: all_connected([ada, bob], 2), 45, "the call to connect")
        # Bob's network can no longer reach the gateway: every reconnect is refused.
        bob.execute_script(CUT_OFF)
        started = time.monotonic()
        wait(bob, lambda d: d.find_element(By.ID, "ended").is_displayed(), 30, "the end screen after the grace")
        elapsed = time.monotonic() - started
        assert bob.find_element(By.ID, "ended-title").text == "Connection lost"
        # It stopped at the grace (3 s), not after forty seconds of refused resumes.
        assert elapsed < 15, elapsed
        attempts = bob.execute_script("return window.attempts")
        assert 1 <= attempts <= 8, attempts
        assert bob.find_element(By.CSS_SELECTOR, "#ended-check a").get_attribute("href").endswith("/calls/check")
        # A guest cannot make a link: Rejoin says whom to ask.
        bob.find_element(By.ID, "rejoin").click()
        wait(bob, lambda d: d.find_element(By.ID, "rejoin-text").is_displayed(), message="the rejoin answer")
        assert "Ask Ada for one" in bob.find_element(By.ID, "rejoin-text").text
        assert bob.execute_script("return window.attempts") == attempts

        # The owner loses her seat the same way; Rejoin makes a fresh host link and takes her back into
        # the same call, where Bob, with a new link, finds her.
        ada.execute_script(CUT_OFF)
        wait(ada, lambda d: d.find_element(By.ID, "ended").is_displayed(), 30, "the owner's end screen")
        ada.find_element(By.ID, "rejoin").click()
        # Read in one script: the page is being replaced, and an element found on the old one goes stale.
        wait(ada, lambda d: d.execute_script(
            "const p = document.getElementById('prejoin'); return document.readyState === 'complete' && Boolean(p && !p.hidden);"),
            message="the pre-join screen of the new link")
        assert room["roomCode"] in ada.current_url and "token" not in ada.current_url
        assert ada.find_element(By.ID, "prejoin-host").text.startswith("You are hosting this call")
        ada.find_element(By.ID, "join").click()
        wait(ada, lambda d: d.find_element(By.ID, "incall").is_displayed(), message="the call again")
        join(bob, served.guest_link(room["roomCode"]), "Bob")
        until(lambda: all_connected([ada, bob], 2), 45, "Ada and Bob together again")
    finally:
        served.stop()


@pytest.fixture
def silent_server():
    """A TCP port that takes connections and never answers: a socket to it stays 'connecting'."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def test_a_socket_stuck_while_connecting_gives_up_and_says_so(gateway, browsers, silent_server):
    room = gateway.room("Ada")
    ada = browsers()
    ada.get(room["callUrl"])
    wait(ada, lambda d: d.find_element(By.ID, "join").is_displayed(), message="pre-join screen")
    ada.execute_script(
        "const Real = window.WebSocket;"
        "window.WebSocket = class extends Real { constructor(url) {"
        f" const u = new URL(url); u.host = '127.0.0.1:{silent_server}'; super(u.toString()); }} }};")
    ada.find_element(By.ID, "join").click()
    assert ada.find_element(By.ID, "join").text == "Joining…"
    wait(ada, lambda d: d.find_element(By.ID, "notice").is_displayed(), 30, "the page to give up on the stuck socket")
    assert ada.find_element(By.ID, "notice-title").text == "Could not join"
    assert ada.find_element(By.CSS_SELECTOR, "#notice a.check-link").get_attribute("href").endswith("/calls/check")


def test_closing_a_tab_says_goodbye_and_a_reload_still_resumes(gateway, browsers):
    room, ada, bob = two_in_a_call(gateway, browsers)
    bob_id = stats(bob)["self"]
    # A reload keeps the seat (see test_call.py); leaving the page releases it well before the grace.
    bob.refresh()
    wait(bob, lambda d: d.find_element(By.ID, "incall").is_displayed(), message="the call screen after reload")
    until(lambda: all_connected([ada, bob], 2), 45, "the call to connect again")
    assert stats(bob)["self"] == bob_id
    started = time.monotonic()
    bob.get("about:blank")
    until(lambda: ada.execute_script(f"return document.querySelector('[data-peer=\"{bob_id}\"]') === null"), 30,
          "Bob's tile to go")
    # The short away grace (8 s), not the 20 s resume grace.
    assert time.monotonic() - started < 15
    left = until(lambda: [e for e in gateway.events("peer.left") if e["data"]["peerId"] == bob_id], 30, "peer.left")
    assert left[0]["data"]["reason"] == "timeout"
