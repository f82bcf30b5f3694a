"""The public address as a new owner meets it, typed and clicked as a person does (no cookie is
injected): setup asks for it, the panel warns while it is unknown, Call is refused in plain words
instead of sending a link to this computer, and once the address is saved in Settings the call goes
out and carries it."""
from selenium.webdriver.common.by import By

from conftest import PASSWORD, Gateway, wait

NPUB = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"


def events(gateway, kind):
    return gateway.ledger("SELECT COUNT(*) FROM events WHERE type = ?", (kind,))[0][0]


def type_into(driver, element_id, text):
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def test_calls_wait_for_the_public_address_and_then_carry_it(browsers):
    gateway = Gateway(set_up=False, public_address=False)
    try:
        owner = browsers()
        owner.get(gateway.setup_url)
        # Opened from this machine (127.0.0.1): nothing worth offering, so the field starts empty.
        assert owner.find_element(By.ID, "address").get_attribute("value") == ""
        type_into(owner, "password", PASSWORD)
        type_into(owner, "confirm", PASSWORD)
        owner.find_element(By.CSS_SELECTOR, "form[action='/setup'] button[type=submit]").click()
        wait(owner, lambda d: d.current_url == gateway.base + "/calls", message="the panel after setup")
        warning = owner.find_element(By.ID, "address-warning")
        wait(owner, lambda d: warning.is_displayed(), message="the warning that links are off")
        assert "does not know the address other people reach it at" in warning.text

        owner.find_element(By.ID, "contact-name").send_keys("Grace")
        owner.find_element(By.ID, "contact-pubkey").send_keys(NPUB)
        owner.find_element(By.CSS_SELECTOR, "#contact-form button[type=submit]").click()
        call = (By.XPATH, "//li[@data-contact]//button[text()='Call']")
        wait(owner, lambda d: d.find_element(*call).is_displayed(), message="the contact's Call button")

        # Call: nothing is created or sent, and the row says why and what to do.
        owner.find_element(*call).click()
        row = owner.find_element(By.CSS_SELECTOR, "li[data-contact]")
        wait(owner, lambda d: "Not called: Grace could not open a link" in row.text, message="the plain-words refusal")
        assert len(owner.window_handles) == 1
        assert events(gateway, "room.created") == 0
        assert events(gateway, "invite.requested") == 0

        # This machine's own address is refused with the reason; a reachable one is kept.
        row.find_element(By.XPATH, ".//button[text()='Set the public address']").click()
        type_into(owner, "public-address", "https://127.0.0.1:8444")
        owner.find_element(By.CSS_SELECTOR, "#address-form button[type=submit]").click()
        error = owner.find_element(By.ID, "address-error")
        wait(owner, lambda d: error.is_displayed() and "own address" in error.text, message="the refusal of loopback")
        type_into(owner, "public-address", "https://calls.example.net")
        owner.find_element(By.CSS_SELECTOR, "#address-form button[type=submit]").click()
        current = owner.find_element(By.ID, "address-current")
        wait(owner, lambda d: current.text == "Links use https://calls.example.net.", message="the saved address")
        assert not warning.is_displayed()
        assert not error.is_displayed()
        assert gateway.ledger("SELECT value FROM gateway_settings WHERE name = 'public_address'") == [("https://calls.example.net",)]

        # Now Call creates the room and queues the invite, with the call opening in a tab of its own.
        owner.find_element(*call).click()
        wait(owner, lambda d: events(gateway, "invite.requested") == 1, message="the invite queued")
        wait(owner, lambda d: len(d.window_handles) == 2, message="the call's own tab")
        # A guest link for the live room carries the address too.
        copy = (By.XPATH, "//ul[@id='rooms-list']/li//button[text()='Copy link']")
        wait(owner, lambda d: d.find_element(*copy).is_displayed(), message="the live room")
        owner.find_element(*copy).click()
        link = (By.CSS_SELECTOR, "#rooms-list input.link-box")
        wait(owner, lambda d: d.find_element(*link).get_attribute("value").startswith("https://calls.example.net/calls?room="),
             message="the guest link on the public address")
    finally:
        gateway.stop()
