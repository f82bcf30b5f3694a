"""What a person does in the pages, step by step, for the two-host tests: the same steps in Chromium
and in Firefox (see `households.Page`)."""
from households import ChromiumPage, FirefoxPage, until

PASSWORD = "correct horse battery staple"

LINKS = """
const done = arguments[arguments.length - 1];
const mesh = window.crowCall && window.crowCall.mesh;
if (!mesh) { done(null); return; }
Promise.all([...mesh.links.values()].map(async (link) => {
  const report = await link.pc.getStats();
  const byId = new Map();
  report.forEach((s) => byId.set(s.id, s));
  let pair = null, audioIn = 0, audioOut = 0;
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId);
    if (s.type === 'inbound-rtp' && s.kind === 'audio') audioIn += s.packetsReceived || 0;
    if (s.type === 'outbound-rtp' && s.kind === 'audio') audioOut += s.packetsSent || 0;
  });
  if (!pair) report.forEach((s) => {
    if (s.type === 'candidate-pair' && (s.selected || (s.nominated && s.state === 'succeeded'))) pair = s;
  });
  const local = pair && byId.get(pair.localCandidateId);
  const remote = pair && byId.get(pair.remoteCandidateId);
  return { state: link.pc.connectionState, audioIn, audioOut,
    local: local ? (local.address || local.ip) : null, remote: remote ? (remote.address || remote.ip) : null,
    localType: local ? local.candidateType : null, remoteType: remote ? remote.candidateType : null };
})).then(done, (e) => done({ error: String(e) }));
"""


def open_browser(kind, namespace, address, controller):
    return ChromiumPage(namespace, address, controller) if kind == "chromium" else FirefoxPage(namespace, address)


def sign_up(page, gateway, name):
    """From the printed setup link to the panel, typed. The address field shows where the browser
    reached the gateway, which is where other people reach it too."""
    page.get(gateway.setup_url)
    until(lambda: page.visible("#password"), 30, lambda: "the setup form (the page shows %r at %s)" % (
        page.script("return document.body ? document.body.innerText.slice(0, 300) : ''"), page.current_url))
    assert page.find("#address").get_property("value") == gateway.base
    page.type("#password", PASSWORD)
    page.type("#confirm", PASSWORD)
    page.click("form[action='/setup'] button[type=submit]")
    until(lambda: page.current_url == gateway.base + "/calls", 30, "the panel after setup")
    until(lambda: page.find("#identity-npub").text.startswith("npub1"), 30, "the gateway's npub in the panel")
    assert not page.visible("#address-warning")
    # The name the owner's calls go out with (kept in this browser); Tab leaves the field, which saves it.
    page.type("#owner-name", name + "\ue004")
    until(lambda: page.visible("#owner-name-saved"), 30, "the name saved")


def add_contact(page, name, npub):
    page.type("#contact-name", name)
    page.type("#contact-pubkey", npub)
    page.click("#contact-form button[type=submit]")
    until(lambda: page.visible("#contacts-list li[data-contact] button.primary"), 30, "the new contact's Call button")


def join(page, name):
    until(lambda: page.visible("#join"), 30, "the pre-join screen")
    page.type("#display-name", name)
    page.click("#join")
    until(lambda: page.visible("#incall"), 30, "the call screen")


def new_tab(page, before):
    """The tab a click opened (the call), switched to."""
    until(lambda: len(page.handles()) == len(before) + 1, 30, "a new tab")
    handle = [h for h in page.handles() if h not in before][0]
    page.switch(handle)


def links(page):
    return page.async_script(LINKS)


def start_call_and_copy_a_guest_link(page, gateway):
    """**Start a call** (a tab opens; the owner joins), then **Copy link** on the live room in the
    panel: returns the guest link the panel shows, as the owner would paste it into a chat."""
    panel_tab = page.handles()[0]
    before = page.handles()
    page.click("#new-call")
    new_tab(page, before)
    join(page, "Ada")
    page.switch(panel_tab)
    until(lambda: page.visible("#rooms-list li button"), 30, "the live room in the panel")
    buttons = [b for b in page.find_all("#rooms-list li button") if b.text == "Copy link"]
    buttons[0].click()
    until(lambda: page.find("#rooms-list input.link-box").get_property("value").startswith(gateway.base), 30,
          "the guest link")
    return page.find("#rooms-list input.link-box").get_property("value")


GATHER = """
const done = arguments[arguments.length - 1];
const [server] = arguments;
const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
const found = { relay: 0, errors: [] };
pc.addEventListener('icecandidate', ({ candidate }) => {
  if (candidate && candidate.type === 'relay') found.relay += 1;
  if (!candidate) { pc.close(); done(found); }
});
pc.addEventListener('icecandidateerror', (e) => found.errors.push(e.errorCode));
pc.createDataChannel('probe');
pc.createOffer().then((offer) => pc.setLocalDescription(offer));
setTimeout(() => { pc.close(); done(found); }, 20000);
"""


def relay_candidates(page, server):
    """How many relay candidates the TURN server grants with these credentials (a fresh connection in
    the page, relay only), and the error codes it answered with."""
    return page.async_script(GATHER, server)


def audio_both_ways(first, second):
    """Whether the two pages have one connection each, connected, with audio flowing in and out."""
    sides = [links(first), links(second)]
    return all(isinstance(side, list) and len(side) == 1 and side[0]["state"] == "connected"
               and side[0]["audioIn"] > 20 and side[0]["audioOut"] > 20 for side in sides)


def close_all(made):
    """Quits the browsers and stops the servers a test made, newest first, whatever state they are in."""
    for thing in reversed(made):
        try:
            thing.quit() if hasattr(thing, "quit") else thing.stop()
        except Exception:
            pass


def tile_quality(page):
    """The quality figures on the other person's tile (data attributes), once it shows them."""
    return page.script(
        "const t = [...document.querySelectorAll('#grid .tile')].find((t) => t.dataset.peer !== 'self');"
        "return t && t.dataset.quality ? {...t.dataset, line: t.querySelector('.quality').textContent} : null;")


NEGOTIATION = """
const mesh = window.crowCall && window.crowCall.mesh;
return mesh ? [...mesh.links.values()].map((l) => l.pc.signalingState) : null;
"""


def settled(page):
    """Every connection of the page is stable (no offer waiting for its answer)."""
    states = page.script(NEGOTIATION)
    return bool(states) and all(state == "stable" for state in states)


def audio_grew(first, second, before):
    """Audio packets came in on both pages since `before` (from `links` of each)."""
    now = [links(first), links(second)]
    return all(isinstance(side, list) and len(side) == 1 and side[0]["state"] == "connected"
               and side[0]["audioIn"] > base[0]["audioIn"] + 20 for side, base in zip(now, before))
