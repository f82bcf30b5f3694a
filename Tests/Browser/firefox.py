"""Headless Firefox (Debian's firefox-esr) for the tests that must pass in both browsers, driven over
Marionette (marionette-driver) with its own profile: fake camera and microphone, no permission
prompts, and no traffic to anything but this machine. Every connection that is not to loopback goes to
a proxy on 127.0.0.1:9 that refuses it at once, so Firefox's own services (updates, telemetry, safe
browsing, captive-portal checks) never leave the machine."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from marionette_driver.by import By  # noqa: F401 (re-exported for the tests)
from marionette_driver.marionette import Marionette

BINARY = os.environ.get("FIREFOX", shutil.which("firefox-esr") or "/usr/bin/firefox-esr")

PREFS = {
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    # Everything off the machine goes to a closed local port; loopback is never proxied.
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.no_proxies_on": "localhost, 127.0.0.1, [::1]",
    "network.proxy.allow_hijacking_localhost": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "toolkit.telemetry.server": "",
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "dom.push.connection.enabled": False,
    "geo.provider.network.url": "",
    "signon.rememberSignons": False,
}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def user_js(prefs):
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    return "".join('user_pref("%s", %s);\n' % (name, value(v)) for name, v in prefs.items())


class Firefox:
    """One headless Firefox with a Marionette session (`client`); `quit()` ends both."""

    def __init__(self):
        self.profile = tempfile.TemporaryDirectory(prefix="crow-firefox-")
        port = free_port()
        with open(os.path.join(self.profile.name, "user.js"), "w") as out:
            out.write(user_js(dict(PREFS, **{"marionette.port": port})))
        self.process = subprocess.Popen(
            [BINARY, "--marionette", "--headless", "--no-remote", "--profile", self.profile.name],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, MOZ_HEADLESS="1"),
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.quit()
                    raise RuntimeError("Firefox did not open Marionette on port %d" % port)
                time.sleep(0.1)
        self.client = Marionette(host="127.0.0.1", port=port)
        self.client.start_session()
        self.client.timeout.page_load = 30
        self.client.timeout.implicit = 0

    def quit(self):
        client = getattr(self, "client", None)
        if client is not None:
            try:
                client.delete_session()
            except Exception:
                pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.profile.cleanup()


class FirefoxPage:
    """The few page calls the browser-neutral tests use, over Marionette, named as Selenium names them
    (`get`, `find_element`, `current_url`, `page_source`), so one test body drives either browser."""

    def __init__(self, firefox):
        self.firefox = firefox

    def get(self, url):
        self.firefox.client.navigate(url)

    def find_element(self, by, value):
        return self.firefox.client.find_element(by, value)

    def find_elements(self, by, value):
        return self.firefox.client.find_elements(by, value)

    @property
    def current_url(self):
        return self.firefox.client.get_url()

    @property
    def page_source(self):
        return self.firefox.client.page_source
