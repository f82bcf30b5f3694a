"""The toast banner and the notification endpoints, with real Chromium and real HTTP."""
import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import Gateway, join, panel_listening, probe, screenshot, until, wait


def toasts(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('.crow-toast')].map(t => ({id: t.dataset.invite,"
        " text: t.querySelector('.crow-toast-text').textContent, html: t.querySelector('.crow-toast-text').innerHTML}));"
    )


def open_panel(driver, gateway, stream=True):
    """Opens the panel and waits until it shows changes live (with `stream`: over this tab's own stream)."""
    probe(driver)
    driver.get(gateway.base + "/calls")
    wait(driver, lambda d: d.find_element(By.ID, "incoming").is_displayed(), message="the panel")
    panel_listening(driver, stream)


@pytest.fixture(scope="module")
def gateway():
    """This module's gateway. Its calls ring for an hour: a call of an earlier test that rang out in the
    middle of a later one would change the bell's answer (and its ETag) and the stream's events."""
    served = Gateway(env={"CROW_CALLS_RING_WINDOW": "3600"})
    yield served
    served.stop()


@pytest.fixture(scope="module")
def polling_gateway():
    served = Gateway(env={"CROW_CALLS_BELL_INTERVAL": "1"})
    yield served
    served.stop()


def test_a_toast_arrives_over_the_stream_and_names_stay_text(gateway, browsers):
    owner = browsers(gateway.base, gateway.session)
    open_panel(owner, gateway)
    hostile = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>Eve"
    invite = gateway.incoming(hostile)
    # The stream is open, so the toast comes over it (the bell polls only every 60 s). How fast it
    # comes is measured by crow-bench, not here.
    until(lambda: toasts(owner), 30, "the toast")
    shown = toasts(owner)[0]
    assert shown["id"] == invite
    # The name as the gateway keeps it (cleaned and cut to 64 characters), shown character for character.
    stored = {c["id"]: c["senderName"] for c in gateway.api("GET", "/api/calls/incoming")["calls"]}[invite]
    assert stored.startswith("<script>window.pwned=1</script>")
    assert shown["text"] == stored + " is calling…"
    assert "&lt;script&gt;" in shown["html"]
    assert owner.execute_script("return window.pwned") is None
    assert owner.execute_script("return document.querySelectorAll('.crow-toast script, .crow-toast img').length") == 0
    # The panel's Incoming list got it live too, as text.
    wait(owner, lambda d: d.find_elements(By.CSS_SELECTOR, f"[data-invite='{invite}'] .title"))
    assert owner.find_element(By.CSS_SELECTOR, f"#incoming-list [data-invite='{invite}'] .title").text == stored

    # A second call stacks under the first; screenshot with both.
    second = gateway.incoming("Grace Hopper")
    until(lambda: len(toasts(owner)) == 2, 30, "two stacked toasts")
    wait(owner, lambda d: settled_toast(d, second), message="the second toast in place")
    screenshot(owner, "toast.png")
    # Dismiss removes only that one, and records it.
    owner.find_element(By.CSS_SELECTOR, f".crow-toast[data-invite='{invite}'] .crow-toast-dismiss").click()
    until(lambda: [t["id"] for t in toasts(owner)] == [second], 30, "one toast left")
    until(lambda: [e for e in gateway.events("invite.dismissed") if e["data"]["inviteId"] == invite], 30, "invite.dismissed")


def test_one_tabs_dismiss_or_accept_clears_the_toast_in_the_other_tabs(gateway, browsers):
    owner = browsers(gateway.base, gateway.session)
    # The first tab holds the stream; the second gets its changes from the first (over a
    # BroadcastChannel, which it listens on once its toast script runs).
    open_panel(owner, gateway)
    first_tab = owner.current_window_handle
    owner.switch_to.new_window("tab")
    open_panel(owner, gateway, stream=False)
    second_tab = owner.current_window_handle
    call = gateway.incoming("Grace", join_url=gateway.base + "/healthz")
    for tab in (first_tab, second_tab):
        owner.switch_to.window(tab)
        until(lambda: call in [t["id"] for t in toasts(owner)], 30, "the toast in every tab")
    owner.switch_to.window(first_tab)
    # The first tab was in the background when the call came, so its banner starts sliding down only
    # now that the tab is in front: Accept is clicked once it is in place.
    wait(owner, lambda d: settled_toast(d, call), message="the first tab's toast in place").find_element(
        By.CSS_SELECTOR, ".crow-toast-accept"
    ).click()
    until(lambda: len(owner.window_handles) == 3, 30, "the call to open in a new tab")
    owner.switch_to.window(second_tab)
    until(lambda: call not in [t["id"] for t in toasts(owner)], 30, "the other tab's toast to clear")
    status = {c["id"]: c["status"] for c in gateway.api("GET", "/api/calls/incoming")["calls"]}
    assert status[call] == "accepted"
    opened = [h for h in owner.window_handles if h not in (first_tab, second_tab)][0]
    owner.switch_to.window(opened)
    until(lambda: owner.current_url == gateway.base + "/healthz", 30, "the join URL")


def test_a_call_that_rang_before_the_page_loaded_toasts_and_a_guest_page_stays_silent(gateway, browsers):
    call = gateway.incoming("Early Caller")
    owner = browsers(gateway.base, gateway.session)
    owner.get(gateway.base + "/login")  # the signed-in page includes the toast too
    until(lambda: call in [t["id"] for t in toasts(owner)], 30, "the toast for a call that was already ringing")
    guest = browsers()
    room = gateway.room("Ada")
    guest.get(gateway.guest_link(room["roomCode"]))
    wait(guest, lambda d: d.find_element(By.ID, "join").is_displayed())
    wait(guest, lambda d: d.execute_script("return Boolean(window.crowToast)"), message="the toast script on the guest page")
    # The bell answers a guest 401, and the toast script stops for good on that answer (no stream, no
    # more polls), so nothing can show after it. Asking the bell once more through the script waits for
    # that answer: false (the answer now) or undefined (stopped already), never true (an owner).
    owner_here = guest.execute_async_script(
        "const done = arguments[0]; Promise.resolve(window.crowToast.poll()).then((owner) => done(owner === true));")
    assert owner_here is False
    assert toasts(guest) == []


def test_polling_alone_shows_the_toast_when_the_stream_is_blocked(polling_gateway, browsers):
    gateway = polling_gateway
    owner = browsers(gateway.base, gateway.session)
    owner.execute_cdp_cmd("Network.enable", {})
    owner.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/calls/stream*"]})
    open_panel(owner, gateway, stream=False)
    blocked = owner.execute_async_script(
        "const done = arguments[0]; fetch('/api/calls/stream').then(() => done(false), () => done(true));"
    )
    assert blocked, "the stream should be unreachable in this test"
    # The toast script tries the stream only after its first poll has answered: the call below is
    # found by a later poll, on the configured 1 s interval.
    wait(owner, lambda d: d.execute_script("return window.crowProbe.streams > 0"), message="the first poll")
    call = gateway.incoming("Polly")
    # 20 s: far more than the configured interval needs, far less than the default one (60 s) would.
    until(lambda: [t["id"] for t in toasts(owner)] == [call], 20, "the toast by polling")


def test_the_bell_answers_304_when_nothing_changed_and_the_stream_resumes_without_a_gap(gateway):
    http = requests.Session()
    http.cookies.set("crow_session", gateway.session)
    first = http.get(gateway.base + "/api/notifications/poll", timeout=10)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    again = http.get(gateway.base + "/api/notifications/poll", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    cursor = first.json()["cursor"]
    assert http.get(gateway.base + f"/api/notifications/poll?since={cursor}", timeout=10).status_code == 304

    def read_events(response, count):
        """The next `count` events, skipping `expired` (from the clock, not from the calls made here)."""
        events, current = [], {}
        for raw in response.iter_lines(decode_unicode=True):
            if raw == "":
                if "event" in current and current["event"] != "expired":
                    events.append(current)
                    if len(events) == count:
                        return events
                current = {}
            elif not raw.startswith(":"):
                key, _, value = raw.partition(":")
                current[key] = value.strip()
        return events

    # The gateway reads the ledger's head before it answers: every call from here on is in the stream.
    stream = http.get(gateway.base + "/api/calls/stream", stream=True, timeout=30)
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    one = gateway.incoming("One")
    (received,) = read_events(stream, 1)
    stream.close()
    assert received["event"] == "received" and one in received["data"]
    # Two calls arrive while disconnected; a reconnect with Last-Event-ID gets exactly those, in order.
    two, three = gateway.incoming("Two"), gateway.incoming("Three")
    changed = http.get(gateway.base + f"/api/notifications/poll?since={cursor}", timeout=10)
    assert changed.status_code == 200 and changed.json()["unread"] >= 3
    resumed = http.get(gateway.base + "/api/calls/stream", headers={"Last-Event-ID": received["id"]}, stream=True, timeout=30)
    events = read_events(resumed, 2)
    resumed.close()
    assert [e["event"] for e in events] == ["received", "received"]
    assert two in events[0]["data"] and three in events[1]["data"]
    assert int(events[0]["id"]) > int(received["id"]) and int(events[1]["id"]) > int(events[0]["id"])


# MARK: - The ring tone, the title and the banner's place

# Counts what the page does with WebAudio, installed before the page's scripts run (through the
# DevTools protocol): the AudioContexts it makes, and the sources it starts and that have played to
# their end on the audio clock (an `ended` event comes only from a context that renders).
AUDIO_PROBE = """
(() => {
  if (window.crowAudio || !window.AudioContext) return;
  const audio = (window.crowAudio = { contexts: [], starts: 0, ended: 0 });
  const Native = window.AudioContext;
  window.AudioContext = class extends Native {
    constructor(...args) {
      super(...args);
      audio.contexts.push(this);
    }
  };
  const start = AudioScheduledSourceNode.prototype.start;
  AudioScheduledSourceNode.prototype.start = function (...args) {
    audio.starts += 1;
    this.addEventListener('ended', () => { audio.ended += 1; });
    return start.apply(this, args);
  };
})();
"""

AUDIO = """
const audio = window.crowAudio, stack = document.querySelector('.crow-toasts');
return {ring: stack ? stack.dataset.ring : null, contexts: audio.contexts.map((c) => c.state),
        starts: audio.starts, ended: audio.ended};
"""


def audio(driver):
    return driver.execute_script(AUDIO)


@pytest.fixture(scope="module")
def ring_gateway():
    """A gateway for the ring's tests, whose calls ring for an hour (see `gateway`); each test starts
    with no call ringing."""
    served = Gateway(env={"CROW_CALLS_RING_WINDOW": "3600"})
    yield served
    served.stop()


def quiet(gateway):
    """Dismisses every call that still rings, so a test's page shows only its own."""
    for call in gateway.api("GET", "/api/calls/incoming")["calls"]:
        if call["status"] == "ringing":
            gateway.api("POST", f"/api/calls/incoming/{call['id']}/dismiss", expect=204)


def open_ringing_panel(driver, gateway, stream=True):
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": AUDIO_PROBE})
    open_panel(driver, gateway, stream)


def ringing(driver):
    """The ring plays: the banner says so, its one AudioContext renders, and it has started a second
    ring (so the pattern repeats) after the first played to its end on the audio clock."""
    state = audio(driver)
    return state["ring"] == "playing" and state["contexts"] == ["running"] and state["starts"] >= 4 and state["ended"] >= 2


def silent(driver):
    """No ring: the banner says so and its AudioContext is suspended (a suspended context plays nothing)."""
    state = audio(driver)
    return state["ring"] == "off" and all(c == "suspended" for c in state["contexts"])


def settled_toast(driver, invite):
    """The toast for `invite` once its slide-down has finished (a click lands where the button stays)."""
    return driver.execute_script(
        "const t = document.querySelector(`.crow-toast[data-invite='${arguments[0]}']`);"
        "return t && t.getAnimations().every((a) => a.playState === 'finished') ? t : null;", invite)


def test_the_ring_plays_while_the_toast_is_up_and_stops_on_decline_and_on_accept(ring_gateway, browsers):
    gateway = ring_gateway
    quiet(gateway)
    owner = browsers(gateway.base, gateway.session)
    open_ringing_panel(owner, gateway)
    assert audio(owner)["contexts"] == [], "no audio before a call rings"
    first = gateway.incoming("Ringo")
    wait(owner, ringing, message="the ring tone")
    # Decline: the call is declined (the caller's gateway is told) and the ring stops at once.
    wait(owner, lambda d: settled_toast(d, first), message="the toast").find_element(By.CSS_SELECTOR, ".crow-toast-decline").click()
    wait(owner, lambda d: not toasts(d), message="the toast to go")
    assert silent(owner), audio(owner)
    declined = [e["data"]["by"] for e in gateway.events("invite.declined") if e["data"]["inviteId"] == first]
    assert declined == ["owner"], declined

    # The next call rings on the same context; Accept stops it too.
    before = audio(owner)["starts"]
    second = gateway.incoming("Ringo Again", join_url=gateway.base + "/healthz")
    wait(owner, lambda d: ringing(d) and audio(d)["starts"] > before, message="the ring for the second call")
    wait(owner, lambda d: settled_toast(d, second), message="the toast").find_element(By.CSS_SELECTOR, ".crow-toast-accept").click()
    wait(owner, lambda d: not toasts(d), message="the toast to go")
    assert silent(owner), audio(owner)
    assert len(owner.window_handles) == 2  # the call opened in a new tab
    status = {c["id"]: c["status"] for c in gateway.api("GET", "/api/calls/incoming")["calls"]}
    assert status[second] == "accepted"

    # A call withdrawn elsewhere (here: dismissed from another device) stops the ring as well.
    third = gateway.incoming("Ringo Thrice")
    wait(owner, ringing, message="the ring for the third call")
    gateway.api("POST", f"/api/calls/incoming/{third}/dismiss", expect=204)
    wait(owner, lambda d: not toasts(d) and silent(d), message="silence once the call was dismissed elsewhere")


def test_one_tab_rings_and_another_takes_over_when_it_closes(ring_gateway, browsers):
    gateway = ring_gateway
    quiet(gateway)
    owner = browsers(gateway.base, gateway.session)
    open_ringing_panel(owner, gateway)
    owner.switch_to.new_window("tab")
    open_ringing_panel(owner, gateway, stream=False)
    tabs = list(owner.window_handles)
    call = gateway.incoming("Tabitha")

    def states():
        found = {}
        for tab in tabs:
            owner.switch_to.window(tab)
            found[tab] = audio(owner)
        return found

    def one_rings(d):
        found = states()
        playing = [tab for tab in tabs if found[tab]["ring"] == "playing"]
        others = [found[tab]["ring"] for tab in tabs if tab not in playing]
        return playing if len(playing) == 1 and others == ["elsewhere"] else None

    # Both tabs show the call; one rings and the other waits for its turn (and made no AudioContext).
    (ringer,) = wait(owner, one_rings, message="one tab ringing, the other waiting")
    (waiter,) = [tab for tab in tabs if tab != ringer]
    owner.switch_to.window(waiter)
    assert [t["id"] for t in toasts(owner)] == [call] and audio(owner)["contexts"] == []
    # The ringing tab closes while the call still rings: the other one rings now.
    owner.switch_to.window(ringer)
    owner.close()
    owner.switch_to.window(waiter)
    wait(owner, ringing, message="the other tab ringing")
    wait(owner, lambda d: settled_toast(d, call), message="the toast").find_element(By.CSS_SELECTOR, ".crow-toast-dismiss").click()
    wait(owner, lambda d: not toasts(d) and silent(d), message="silence after Dismiss")


def test_mute_silences_the_ring_and_is_remembered_across_a_reload(ring_gateway, browsers):
    gateway = ring_gateway
    quiet(gateway)
    owner = browsers(gateway.base, gateway.session)
    open_ringing_panel(owner, gateway)
    call = gateway.incoming("Muriel")
    wait(owner, ringing, message="the ring tone")
    mute = wait(owner, lambda d: settled_toast(d, call), message="the toast").find_element(By.CSS_SELECTOR, ".crow-toast-mute")
    assert mute.get_attribute("aria-pressed") == "false" and mute.text == "Mute ring"
    mute.click()
    wait(owner, lambda d: audio(d)["ring"] == "muted", message="the ring muted")
    state = audio(owner)
    assert state["contexts"] == ["suspended"], state
    assert mute.get_attribute("aria-pressed") == "true"
    assert toasts(owner) and [t["id"] for t in toasts(owner)] == [call], "muting keeps the toast"
    assert owner.execute_script("return localStorage.getItem('crow-calls:ring-muted')") == "1"

    # After a reload the call shows again (the bell), muted from the start: no AudioContext at all.
    owner.refresh()
    wait(owner, lambda d: [t["id"] for t in toasts(d)] == [call], message="the toast after the reload")
    wait(owner, lambda d: audio(d)["ring"] == "muted", message="the ring muted after the reload")
    assert audio(owner)["contexts"] == [] and audio(owner)["starts"] == 0
    mute = owner.find_element(By.CSS_SELECTOR, f".crow-toast[data-invite='{call}'] .crow-toast-mute")
    assert mute.get_attribute("aria-pressed") == "true"
    # Unmuting rings again, and is remembered too.
    wait(owner, lambda d: settled_toast(d, call), message="the toast")
    mute.click()
    wait(owner, ringing, message="the ring after unmuting")
    assert owner.execute_script("return localStorage.getItem('crow-calls:ring-muted')") is None
    owner.find_element(By.CSS_SELECTOR, f".crow-toast[data-invite='{call}'] .crow-toast-dismiss").click()
    wait(owner, lambda d: not toasts(d) and silent(d), message="silence after Dismiss")


def test_a_page_without_a_user_gesture_waits_for_one_to_ring(ring_gateway, browsers):
    """Browsers keep a page's audio suspended until a click or key press on it. The banner shows the
    call anyway, says the ring waits, throws nothing, and rings from the first click."""
    gateway = ring_gateway
    quiet(gateway)
    owner = browsers(gateway.base, gateway.session, extra_flags=("--autoplay-policy=document-user-activation-required",))
    open_ringing_panel(owner, gateway)
    owner.get_log("browser")  # clears what loading the page logged
    call = gateway.incoming("Gesture")
    wait(owner, lambda d: audio(d)["ring"] == "blocked", message="the ring waiting for a gesture")
    assert audio(owner)["contexts"] == ["suspended"]
    assert [t["id"] for t in toasts(owner)] == [call]
    owner.find_element(By.ID, "contacts-title").click()  # anywhere on the page (a heading, below the banner)
    wait(owner, ringing, message="the ring after the first click")
    errors = [entry for entry in owner.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


def test_the_title_flashes_the_callers_name_while_it_rings_and_comes_back_exactly(ring_gateway, browsers):
    gateway = ring_gateway
    quiet(gateway)
    owner = browsers(gateway.base, gateway.session)
    open_ringing_panel(owner, gateway)
    original = owner.title
    assert original == "Calls · Crow Calls"
    call = gateway.incoming("<b>Tess</b> & Co")
    # The title alternates between the caller's name (text, as it came) and the page's own title.
    wait(owner, lambda d: d.title == "Call from <b>Tess</b> & Co", message="the flashing title")
    wait(owner, lambda d: d.title == original, message="the title back between flashes")
    wait(owner, lambda d: d.title == "Call from <b>Tess</b> & Co", message="the title flashing again")
    # What the title is at the moment the toast leaves the page (a MutationObserver runs right after).
    owner.execute_script("""
      window.titleWhenGone = null;
      const stack = document.querySelector('.crow-toasts');
      new MutationObserver(() => {
        if (!stack.querySelector('.crow-toast')) window.titleWhenGone = document.title;
      }).observe(stack, {childList: true});
    """)
    wait(owner, lambda d: d.title.startswith("Call from"), message="the flashing title")
    owner.find_element(By.CSS_SELECTOR, f".crow-toast[data-invite='{call}'] .crow-toast-dismiss").click()
    wait(owner, lambda d: d.execute_script("return window.titleWhenGone") is not None, message="the toast to go")
    assert owner.execute_script("return window.titleWhenGone") == original
    assert owner.title == original


def test_the_banner_slides_down_at_the_top_and_on_a_phone_leaves_the_call_controls_free(ring_gateway, browsers):
    gateway = ring_gateway
    quiet(gateway)
    owner = browsers(gateway.base, gateway.session)
    # A phone held upright, 360 x 640 CSS pixels.
    owner.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 360, "height": 640, "deviceScaleFactor": 2, "mobile": True})
    room = gateway.room("Ada")
    join(owner, room["callUrl"], "Ada")
    wait(owner, lambda d: d.execute_script("return Boolean(window.crowToast)"), message="the toast script")
    calls = [gateway.incoming(name) for name in ("Grace Hopper", "Katherine Johnson", "Dorothy Vaughan")]
    wait(owner, lambda d: sorted(t["id"] for t in toasts(d)) == sorted(calls), message="three toasts on the call page")
    wait(owner, lambda d: all(settled_toast(d, call) for call in calls), message="the toasts in place")
    screenshot(owner, "toast-phone.png")
    geometry = owner.execute_script("""
      const box = (e) => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
      const stack = document.querySelector('.crow-toasts');
      return {stack: box(stack), toasts: [...stack.querySelectorAll('.crow-toast')].map(box),
              controls: box(document.querySelector('.controls')),
              buttons: [...document.querySelectorAll('.controls button')].filter((b) => b.offsetParent).map(box),
              slide: getComputedStyle(stack.querySelector('.crow-toast')).animationName,
              viewport: {width: innerWidth, height: innerHeight}};
    """)
    assert geometry["viewport"] == {"width": 360, "height": 640}
    controls = geometry["controls"]
    assert controls["bottom"] <= 640 and controls["top"] > 320, controls
    # The banner hangs from the top of the page, within the screen's width, and slides down.
    stack = geometry["stack"]
    assert stack["top"] == 0 and stack["left"] >= 0 and stack["right"] <= 360, stack
    assert geometry["toasts"][0]["top"] == 0
    assert geometry["slide"] == "crow-toast-slide-down"
    # What the banner covers (its box: toasts scrolled out of it are hidden) ends above every control.
    assert stack["bottom"] <= controls["top"], (stack, controls)
    for button in geometry["buttons"]:
        assert stack["bottom"] <= button["top"], (stack, button)
    # The controls are really reachable: the point in the middle of each is the button itself.
    reachable = owner.execute_script("""
      return [...document.querySelectorAll('.controls button')].filter((b) => b.offsetParent).every((b) => {
        const r = b.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit === b || b.contains(hit);
      });
    """)
    assert reachable
    # With reduced motion the banner just appears.
    owner.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
    assert owner.execute_script("return getComputedStyle(document.querySelector('.crow-toast')).animationName") == "none"
