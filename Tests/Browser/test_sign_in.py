"""The owner's first steps, typed as a person types them, in Chromium and in Firefox: the setup link
`serve` printed, the password form, the panel; sign out; sign in again at /login. No cookie is injected
anywhere in this file."""
import http.server
import threading

import pytest

from conftest import PASSWORD, Gateway, until
from firefox import Firefox, FirefoxPage


def type_into(driver, element_id, text):
    field = driver.find_element("id", element_id)
    field.clear()
    field.send_keys(text)


def click(driver, selector):
    driver.find_element("css selector", selector).click()


def wait(driver, condition, message):
    """Until `condition(driver)` holds; an element not there yet counts as not yet (either browser)."""
    def attempt():
        try:
            return condition(driver)
        except Exception:
            return False
    return until(attempt, 30, message)


@pytest.fixture(params=["chromium", "firefox"])
def person(request, browsers):
    """A browser of each kind, as a person opens it: no cookie, nothing set up."""
    if request.param == "chromium":
        yield browsers()
        return
    firefox = Firefox()
    try:
        yield FirefoxPage(firefox)
    finally:
        firefox.quit()


def test_setup_from_the_printed_link_then_sign_out_and_in_again(person):
    gateway = Gateway(set_up=False)
    try:
        owner = person
        owner.get(gateway.setup_url)
        type_into(owner, "password", PASSWORD)
        type_into(owner, "confirm", PASSWORD)
        click(owner, "form[action='/setup'] button[type=submit]")
        wait(owner, lambda d: d.current_url == gateway.base + "/calls", message="the panel after setup")
        wait(owner, lambda d: d.find_element("id", "incoming").is_displayed(), message="the panel's lists")
        assert "bad_origin" not in owner.page_source
        # The setup link worked once.
        owner.get(gateway.setup_url)
        assert "Set password and sign in" not in owner.page_source

        # Sign out from the panel: back at the sign-in page, and the panel is closed to this browser.
        owner.get(gateway.base + "/calls")
        wait(owner, lambda d: d.find_element("id", "incoming").is_displayed(), message="the panel")
        click(owner, "form[action='/logout'] button[type=submit]")
        wait(owner, lambda d: d.current_url == gateway.base + "/login", message="the sign-in page after signing out")
        owner.get(gateway.base + "/calls")
        wait(owner, lambda d: d.current_url.startswith(gateway.base + "/login"), message="the panel sends a signed-out browser to sign in")

        # A wrong password is refused with the page's own words; the right one opens the panel.
        type_into(owner, "password", "not the password at all")
        click(owner, "form[action='/login'] button[type=submit]")
        wait(owner, lambda d: "Wrong password" in d.page_source, message="the refusal")
        type_into(owner, "password", PASSWORD)
        click(owner, "form[action='/login'] button[type=submit]")
        wait(owner, lambda d: d.current_url == gateway.base + "/calls", message="the panel after signing in")
        wait(owner, lambda d: d.find_element("id", "incoming").is_displayed(), message="the panel's lists")
    finally:
        gateway.stop()


def test_a_cross_site_form_post_is_refused(person):
    """A page on another origin posts the password form to the gateway: refused with 403 bad_origin,
    and no session is made, even with the right password."""
    gateway = Gateway()
    page = (
        '<!doctype html><form id="f" method="post" action="%s/login">'
        '<input name="password" value="%s"></form><script>document.getElementById("f").submit()</script>'
        % (gateway.base, PASSWORD)
    ).encode()

    class Attacker(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    # Another origin: the same machine on another port.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sessions_before = gateway.ledger("SELECT COUNT(*) FROM owner_sessions")[0][0]
        visitor = person
        visitor.get("http://127.0.0.1:%d/" % server.server_address[1])
        wait(visitor, lambda d: d.current_url.startswith(gateway.base + "/login") and "bad_origin" in d.page_source,
             message="the gateway's refusal")
        assert gateway.ledger("SELECT COUNT(*) FROM owner_sessions")[0][0] == sessions_before
    finally:
        server.shutdown()
        gateway.stop()
