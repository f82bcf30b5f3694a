"""The owner's first steps, typed as a person types them: the setup link `serve` printed, the password
form, the panel; sign out; sign in again at /login. No cookie is injected anywhere in this file."""
import http.server
import threading

from selenium.webdriver.common.by import By

from conftest import PASSWORD, Gateway, wait


def type_into(driver, element_id, text):
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def test_setup_from_the_printed_link_then_sign_out_and_in_again(browsers):
    gateway = Gateway(set_up=False)
    try:
        owner = browsers()
        owner.get(gateway.setup_url)
        type_into(owner, "password", PASSWORD)
        type_into(owner, "confirm", PASSWORD)
        owner.find_element(By.CSS_SELECTOR, "form[action='/setup'] button[type=submit]").click()
        wait(owner, lambda d: d.current_url == gateway.base + "/calls", message="the panel after setup")
        wait(owner, lambda d: d.find_element(By.ID, "incoming").is_displayed(), message="the panel's lists")
        assert "bad_origin" not in owner.page_source
        # The setup link worked once.
        owner.get(gateway.setup_url)
        assert "Set password and sign in" not in owner.page_source

        # Sign out from the panel: back at the sign-in page, and the panel is closed to this browser.
        owner.get(gateway.base + "/calls")
        wait(owner, lambda d: d.find_element(By.ID, "incoming").is_displayed(), message="the panel")
        owner.find_element(By.CSS_SELECTOR, "form[action='/logout'] button[type=submit]").click()
        wait(owner, lambda d: d.current_url == gateway.base + "/login", message="the sign-in page after signing out")
        owner.get(gateway.base + "/calls")
        wait(owner, lambda d: d.current_url.startswith(gateway.base + "/login"), message="the panel sends a signed-out browser to sign in")

        # A wrong password is refused with the page's own words; the right one opens the panel.
        type_into(owner, "password", "not the password at all")
        owner.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
        wait(owner, lambda d: "Wrong password" in d.page_source, message="the refusal")
        type_into(owner, "password", PASSWORD)
        owner.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
        wait(owner, lambda d: d.current_url == gateway.base + "/calls", message="the panel after signing in")
        wait(owner, lambda d: d.find_element(By.ID, "incoming").is_displayed(), message="the panel's lists")
    finally:
        gateway.stop()


def test_a_cross_site_form_post_is_refused(browsers):
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
        visitor = browsers()
        visitor.get("http://127.0.0.1:%d/" % server.server_address[1])
        wait(visitor, lambda d: d.current_url.startswith(gateway.base + "/login") and "bad_origin" in d.page_source,
             message="the gateway's refusal")
        assert gateway.ledger("SELECT COUNT(*) FROM owner_sessions")[0][0] == sessions_before
    finally:
        server.shutdown()
        gateway.stop()
