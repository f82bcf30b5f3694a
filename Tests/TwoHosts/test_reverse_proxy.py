"""The gateway behind a real reverse proxy, nginx and Caddy, each run with the configuration shipped
in deploy/: the server is a namespace where the proxy serves HTTPS and the gateway listens on plain
HTTP with `CROW_TRUSTED_PROXIES=127.0.0.1`; the visitors are browsers and clients on other hosts.

- The owner sets up and signs in through the proxy (the pages see HTTPS through X-Forwarded-Proto,
  and the public address is offered as the proxy's https address).
- The live stream brings a toast through the proxy (the bell polls only hourly here).
- A call between two browsers on two hosts runs its signaling through the proxy.
- Per-IP limits count the real client: failed sign-ins from one host through the proxy throttle that
  host and not the next one, a spoofed X-Forwarded-For sent through the proxy changes nothing, and
  one sent straight to the gateway (not from the proxy) is ignored."""
import subprocess

import pytest
import requests

from flows import PASSWORD, audio_both_ways, close_all, join, open_browser, start_call_and_copy_a_guest_link
from households import HouseholdGateway, ReverseProxy, until
from network import in_namespace


# Notes when the page's live stream (an EventSource) has opened: the gateway answers it only once it has
# read the ledger's head, so every call recorded afterwards reaches the page over it.
STREAM_PROBE = """
(() => {
  if (window.crowProbe) return;
  const probe = (window.crowProbe = { streamOpen: false });
  const Native = window.EventSource;
  window.EventSource = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => { probe.streamOpen = true; });
    }
  };
})();
"""


def wrong_sign_in(url, headers=None, namespace=None):
    """A form post of a wrong password, as a script would send it; returns the status."""
    if namespace is None:
        answer = requests.post(url + "/login", data={"password": "not the password"}, headers=headers or {},
                               verify=False, timeout=30, allow_redirects=False)
        return answer.status_code
    command = ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data", "password=not+the+password",
               url + "/login"]
    return int(subprocess.run(in_namespace(namespace, command), capture_output=True, text=True, timeout=30).stdout)


@pytest.mark.parametrize("kind", ["nginx", "caddy"])
def test_behind_a_reverse_proxy_calls_the_stream_and_per_ip_limits_work(segment, kind):
    server_ns, server_address = segment.host("server")
    ada_ns, ada_address = segment.host("ada")
    guest_ns, guest_address = segment.host("guest")
    made = []
    try:
        gateway = HouseholdGateway(server_ns, server_address, None, "server", behind_proxy=True,
                                   env={"CROW_TRUSTED_PROXIES": "127.0.0.1", "CROW_CALLS_BELL_INTERVAL": "3600"})
        made.append(gateway)
        proxy = ReverseProxy(kind, server_ns, server_address)
        made.append(proxy)
        ada = open_browser("chromium", ada_ns, ada_address, segment.address)
        made.append(ada)
        guest = open_browser("chromium", guest_ns, guest_address, segment.address)
        made.append(guest)

        # Setup through the proxy: the printed link names the gateway's own listener; the owner opens it
        # at the proxy's address. The form offers the proxy's https address as the public address.
        ada.before_every_page(STREAM_PROBE)
        ada.get(gateway.setup_url.replace("http://127.0.0.1:8080", proxy.base))
        until(lambda: ada.visible("#password"), 30, "the setup form")
        assert ada.find("#address").get_property("value") == proxy.base
        ada.type("#password", PASSWORD)
        ada.type("#confirm", PASSWORD)
        ada.click("form[action='/setup'] button[type=submit]")
        until(lambda: ada.current_url == proxy.base + "/calls", 30, "the panel, through the proxy")
        until(lambda: ada.script("return Boolean(window.crowToast)"), 30, "the toast script")
        assert ada.script("return document.cookie") == ""  # HttpOnly

        # The live stream, through the proxy: a call comes in and the toast shows it (the bell polls
        # only hourly here, so it can only have come over the stream).
        until(lambda: ada.script("return Boolean(window.crowProbe && window.crowProbe.streamOpen)"), 30,
              "the live stream to open through the proxy")
        gateway.incoming("Grace")
        until(lambda: ada.visible(".crow-toast"), 60, "the toast over the stream")
        # The banner slides down for a moment; its text reads once it is in place.
        until(lambda: ada.find(".crow-toast .crow-toast-text").text == "Grace is calling…", 30, "the toast's text")

        # A call: Ada starts it from the panel, a guest on another host opens the link; signaling runs
        # through the proxy's WebSocket upgrade, media straight between the two hosts.
        link = start_call_and_copy_a_guest_link(ada, gateway=proxy)
        guest.get(link)
        join(guest, "Guest")
        ada.switch([h for h in ada.handles() if h != ada.handles()[0]][0])

        until(lambda: audio_both_ways(ada, guest), 60, "audio both ways")

        # Per-IP limits count real clients. The test's own host (the bridge) fails five sign-ins through
        # the proxy, each claiming to come from elsewhere: that host is throttled all the same.
        spoof = {"X-Forwarded-For": "%s.250" % segment.prefix}
        assert [wrong_sign_in(proxy.base, spoof) for _ in range(5)] == [401] * 5
        assert wrong_sign_in(proxy.base) == 429
        # Another host, through the same proxy, is not: the proxy's own address is not the client.
        assert wrong_sign_in(proxy.base, namespace=guest_ns) == 401
        # Straight to the gateway, not from the proxy, X-Forwarded-For is ignored: the test's host
        # cannot pin failures on the guest's address.
        direct = {"X-Forwarded-For": guest_address, "X-Forwarded-Proto": "https"}
        assert wrong_sign_in(gateway.base, direct) == 429
        assert [wrong_sign_in(proxy.base, namespace=guest_ns) for _ in range(3)] == [401] * 3
    finally:
        close_all(made)
