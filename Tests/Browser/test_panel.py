"""The Calls panel in real Chromium: sign-in redirect, contacts, calling, live rooms, incoming, history."""
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import Gateway, panel_listening, probe, screenshot, until, wait

NPUB = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"


def open_panel(driver, gateway):
    probe(driver)
    driver.get(gateway.base + "/calls")
    wait(driver, lambda d: d.find_element(By.ID, "contacts").is_displayed(), message="the panel")


def contact_names(driver):
    # Read in one script: the list is re-rendered while the test looks at it.
    return driver.execute_script("return [...document.querySelectorAll('#contacts-list .title')].map(e => e.textContent)")


def test_the_panel_needs_the_owner(gateway, browsers):
    stranger = browsers()
    stranger.get(gateway.base + "/calls")
    until(lambda: stranger.current_url.endswith("/login"), 30, "the redirect to sign in")


def test_contacts_can_be_added_edited_and_removed_with_the_apis_errors_shown(gateway, browsers):
    owner = browsers(gateway.base, gateway.session)
    open_panel(owner, gateway)
    form = owner.find_element(By.ID, "contact-form")
    form.find_element(By.ID, "contact-name").send_keys("Grace")
    form.find_element(By.ID, "contact-pubkey").send_keys("npub1notakey")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = owner.find_element(By.ID, "contact-error")
    wait(owner, lambda d: error.is_displayed(), message="the validation error")
    assert "pubkey" in error.text.lower() or "key" in error.text.lower()
    assert contact_names(owner) == []

    form.find_element(By.ID, "contact-pubkey").clear()
    form.find_element(By.ID, "contact-pubkey").send_keys(NPUB)
    form.find_element(By.ID, "contact-relays").send_keys("wss://relay.example")
    Select(form.find_element(By.ID, "contact-transport")).select_by_value("crow")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(owner, lambda d: contact_names(d) == ["Grace"], message="the new contact")
    assert not error.is_displayed()

    owner.find_element(By.XPATH, "//li[@data-contact]//button[text()='Edit']").click()
    name = owner.find_element(By.CSS_SELECTOR, "#contacts-list input[aria-label='Name']")
    name.clear()
    name.send_keys("Grace Hopper")
    owner.find_element(By.XPATH, "//li[@data-contact]//button[text()='Save']").click()
    wait(owner, lambda d: contact_names(d) == ["Grace Hopper"], message="the renamed contact")
    stored = gateway.api("GET", "/api/contacts")["contacts"]
    assert [(c["name"], c["transport"], c["relays"]) for c in stored] == [("Grace Hopper", "crow", ["wss://relay.example"])]

    # The settings show the gateway's own npub (what contacts add to call it).
    npub = gateway.api("GET", "/api/owner")["npub"]
    wait(owner, lambda d: d.find_element(By.ID, "identity-npub").text == npub, message="the gateway's npub")
    # This gateway hands out no STUN or TURN server, and the settings say what that means and what to set.
    ice = owner.find_element(By.ID, "settings-ice").text
    assert ice.startswith("No STUN or TURN server is configured: calls connect only between browsers that can reach")
    assert "CROW_TURN_URLS with CROW_TURN_SECRET" in ice

    owner.find_element(By.XPATH, "//li[@data-contact]//button[text()='Remove']").click()
    owner.switch_to.alert.accept()
    wait(owner, lambda d: contact_names(d) == [], message="the contact to go")
    assert gateway.api("GET", "/api/contacts")["contacts"] == []


def test_call_sends_an_invite_and_without_relays_says_why_and_offers_a_link(gateway, browsers):
    gateway.api("POST", "/api/contacts", {"name": "Linus", "pubkey": NPUB}, expect=201)
    owner = browsers(gateway.base, gateway.session)
    open_panel(owner, gateway)
    panel_tab = owner.current_window_handle
    owner.find_element(By.XPATH, "//li[@data-contact]//button[text()='Call']").click()
    until(lambda: len(owner.window_handles) == 2, 30, "the call tab")
    # This gateway has no relays and the contact lists none: the invite fails, and the row says why.
    status = wait(owner, lambda d: d.execute_script(
        "const e = document.querySelector('#contacts-list .error'); return e && e.textContent"), 30, "the invite's failure")
    assert "no relay to send to" in status
    owner.find_element(By.XPATH, "//li[@data-contact]//button[text()='Get a link to send instead']").click()
    guest_url = wait(owner, lambda d: d.execute_script(
        "const b = document.querySelector('#contacts-list .link-box'); return b && b.value"), message="the guest link")
    assert "/calls?room=" in guest_url and "&token=" in guest_url
    call_tab = [h for h in owner.window_handles if h != panel_tab][0]
    owner.switch_to.window(call_tab)
    wait(owner, lambda d: d.find_element(By.ID, "join").is_displayed(), message="the host's pre-join screen")
    assert "hosting" in owner.find_element(By.ID, "prejoin-host").text
    owner.find_element(By.ID, "join").click()
    wait(owner, lambda d: d.find_element(By.ID, "incall").is_displayed())

    # The guest link works for someone else.
    guest = browsers()
    guest.get(guest_url)
    wait(guest, lambda d: d.find_element(By.ID, "join").is_displayed())
    guest.find_element(By.ID, "display-name").send_keys("Linus")
    guest.find_element(By.ID, "join").click()
    wait(guest, lambda d: d.find_element(By.ID, "incall").is_displayed())

    owner.switch_to.window(panel_tab)
    owner.refresh()
    wait(owner, lambda d: "Linus" in d.find_element(By.ID, "rooms-list").text, message="who is in the room")
    owner.find_element(By.XPATH, "//li[@data-room]//button[text()='Copy link']").click()
    fresh = wait(owner, lambda d: d.execute_script(
        "const b = document.querySelector('#rooms-list .link-box'); return b && b.value"), message="a new guest link")
    assert fresh != guest_url and "/calls?room=" in fresh
    screenshot(owner, "panel.png")


def test_incoming_calls_arrive_live_and_can_be_declined_and_history_pages(gateway, browsers):
    owner = browsers(gateway.base, gateway.session)
    open_panel(owner, gateway)
    # The panel listens for changes (after its first loads) and the stream is open: the call shows live.
    panel_listening(owner)
    call = gateway.incoming("Barbara")
    row = f"#incoming-list [data-invite='{call}']"
    wait(owner, lambda d: d.find_elements(By.CSS_SELECTOR, row), 30, "the live incoming row")
    owner.find_element(By.XPATH, f"//li[@data-invite='{call}']//button[text()='Decline']").click()
    wait(owner, lambda d: not d.find_elements(By.CSS_SELECTOR, row), 30, "the declined call to leave the list")
    until(lambda: [e for e in gateway.events("invite.declined") if e["data"]["inviteId"] == call], 30, "invite.declined")

    # History pages 20 at a time, newest first, and "Load more" neither skips nor repeats.
    for n in range(22):
        gateway.room(f"Host {n}")
    owner.refresh()
    wait(owner, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#history-rows tr")) == 20, message="the first page")
    more = owner.find_element(By.ID, "history-more")
    assert more.is_displayed()
    first_ids = [r.get_attribute("data-call") for r in owner.find_elements(By.CSS_SELECTOR, "#history-rows tr")]
    more.click()
    total = len(gateway.api("GET", "/api/calls/history?limit=200")["calls"])
    wait(owner, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#history-rows tr")) == total, message="every call")
    all_ids = [r.get_attribute("data-call") for r in owner.find_elements(By.CSS_SELECTOR, "#history-rows tr")]
    assert all_ids[:20] == first_ids and len(set(all_ids)) == total


def relay_rows(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('#relays-list li[data-relay]')].map(e => [e.dataset.relay, e.textContent])")


def test_the_gateways_relays_are_edited_in_the_settings_with_the_apis_errors_shown(gateway, browsers):
    owner = browsers(gateway.base, gateway.session)
    open_panel(owner, gateway)
    try:
        wait(owner, lambda d: "No relays" in d.find_element(By.ID, "relays-list").text, message="the empty relay list")
        box = owner.find_element(By.ID, "relays-saved")
        box.send_keys("javascript:alert(1)")
        owner.find_element(By.CSS_SELECTOR, "#relays-form button[type=submit]").click()
        error = owner.find_element(By.ID, "relays-error")
        wait(owner, lambda d: error.is_displayed(), message="the validation error")
        assert "wss://" in error.text
        assert gateway.api("GET", "/api/nostr/relays")["saved"] == []
        # Port 9 refuses: the relay is saved and shown as connecting.
        box.clear()
        box.send_keys("ws://127.0.0.1:9/one\n  ws://127.0.0.1:9/one\nws://localhost:9/two")
        owner.find_element(By.CSS_SELECTOR, "#relays-form button[type=submit]").click()
        wait(owner, lambda d: [r[0] for r in relay_rows(d)] == ["ws://127.0.0.1:9/one", "ws://localhost:9/two"], message="the saved relays")
        assert not error.is_displayed()
        assert all("Connecting" in text and "saved here" in text for _, text in relay_rows(owner))
        assert gateway.api("GET", "/api/nostr/relays")["saved"] == ["ws://127.0.0.1:9/one", "ws://localhost:9/two"]
        # A reload shows what was saved.
        open_panel(owner, gateway)
        wait(owner, lambda d: d.find_element(By.ID, "relays-saved").get_attribute("value") == "ws://127.0.0.1:9/one\nws://localhost:9/two",
             message="the saved relays after a reload")
        owner.execute_script("document.getElementById('relays-list').scrollIntoView({block: 'center'})")
        screenshot(owner, "panel-relays.png")
    finally:
        # The other tests expect a gateway without relays.
        gateway.api("PUT", "/api/nostr/relays", {"relays": []}, expect=200)


def test_the_host_can_rejoin_a_live_room_after_closing_its_tab(gateway, browsers):
    owner = browsers(gateway.base, gateway.session)
    open_panel(owner, gateway)
    panel = owner.current_window_handle
    owner.find_element(By.ID, "new-call").click()
    wait(owner, lambda d: len(d.window_handles) == 2, message="the call's tab")
    owner.switch_to.window([h for h in owner.window_handles if h != panel][0])
    wait(owner, lambda d: d.find_element(By.ID, "join").is_displayed(), message="the pre-join screen")
    owner.find_element(By.ID, "join").click()
    wait(owner, lambda d: d.find_element(By.ID, "incall").is_displayed(), message="the call")
    # The tab is closed: the host link it used is spent.
    owner.close()
    owner.switch_to.window(panel)
    rejoin = (By.XPATH, "//ul[@id='rooms-list']/li[1]//button[text()='Rejoin as host']")
    wait(owner, lambda d: d.find_element(*rejoin).is_displayed(), message="the live room's Rejoin")
    owner.find_element(*rejoin).click()
    wait(owner, lambda d: len(d.window_handles) == 2, message="the rejoined call's tab")
    owner.switch_to.window([h for h in owner.window_handles if h != panel][0])
    wait(owner, lambda d: d.find_element(By.ID, "join").is_displayed(), message="the pre-join screen")
    assert owner.find_element(By.ID, "prejoin-host").text.startswith("You are hosting this call.")
    owner.find_element(By.ID, "join").click()
    wait(owner, lambda d: d.find_element(By.ID, "incall").is_displayed(), message="back in the call")


def click_when_there(driver, xpath, message):
    """Clicks a button of a list the panel may be drawing again at that moment (a live change): a button
    that went stale between finding and clicking is found again in the new list."""
    def clicked():
        try:
            buttons = driver.find_elements(By.XPATH, xpath)
            if not buttons:
                return False
            buttons[0].click()
            return True
        except StaleElementReferenceException:
            return False
    until(clicked, 30, message)


def pill(driver, invite):
    return driver.execute_script(
        "const p = document.querySelector(`#incoming-list [data-invite=\"${arguments[0]}\"] .pill`); return p && p.textContent;",
        invite)


def test_a_call_that_rang_out_can_still_be_joined_and_an_accepted_one_is_called_back(browsers):
    served = Gateway(env={"CROW_CALLS_RING_WINDOW": "5"})
    try:
        contact = served.api("POST", "/api/contacts", {"name": "Barbara", "pubkey": NPUB}, expect=201)
        # Barbara's link leads to a real room (on this gateway, standing in for hers).
        their_room = served.room("Barbara")
        their_link = served.guest_link(their_room["roomCode"])
        owner = browsers(served.base, served.session)
        open_panel(owner, served)
        panel_listening(owner)
        call = served.incoming("Barbara", join_url=their_link, sender_pubkey=contact["pubkey"])
        row = f"//li[@data-invite='{call}']"
        wait(owner, lambda d: d.find_elements(By.XPATH, row), 30, "the incoming row")
        # Nobody answered within the ring window: the call reads missed, and Join is still there.
        until(lambda: pill(owner, call) == "missed", 60, "the call to ring out")
        panel_tab = owner.current_window_handle
        click_when_there(owner, row + "//button[text()='Join']", "Join")
        until(lambda: len(owner.window_handles) == 2, 30, "the call's tab")
        call_tab = [h for h in owner.window_handles if h != panel_tab][0]
        owner.switch_to.window(call_tab)
        wait(owner, lambda d: d.find_element(By.ID, "join").is_displayed(), message="Barbara's call, ready to join")
        assert their_room["roomCode"] in owner.current_url
        owner.switch_to.window(panel_tab)
        until(lambda: [e for e in served.events("invite.accepted") if e["data"]["inviteId"] == call], 30, "invite.accepted")

        # Accepted: the link was opened once already, so the row offers Call back, not Join again.
        until(lambda: pill(owner, call) == "accepted", 30, "the call to read accepted")
        assert owner.execute_script(
            "const r = document.querySelector(`#incoming-list [data-invite=\"${arguments[0]}\"]`);"
            "return [...r.querySelectorAll('button')].map((b) => b.textContent);", call) == ["Call back", "Dismiss"]
        before = set(owner.window_handles)
        click_when_there(owner, row + "//button[text()='Call back']", "Call back")
        until(lambda: len(owner.window_handles) == 3, 30, "the new call's tab")
        requested = until(lambda: [e for e in served.events("invite.requested")
                                   if e["data"]["contactPubkey"] == contact["pubkey"]], 30, "an invite to Barbara")
        new_tab = [h for h in owner.window_handles if h not in before][0]
        owner.switch_to.window(new_tab)
        wait(owner, lambda d: d.find_element(By.ID, "join").is_displayed(), message="the new room's pre-join screen")
        assert "hosting" in owner.find_element(By.ID, "prejoin-host").text
        assert requested[0]["data"]["room"] in owner.current_url and their_room["roomCode"] not in owner.current_url
    finally:
        served.stop()
