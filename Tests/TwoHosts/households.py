"""What one household runs inside its network namespace: the gateway (HTTPS on its own address, with a
certificate of its own) and a browser (Chromium through chromedriver, or Firefox over Marionette), each
driven from outside the namespace over the segment, as the test would drive another machine."""
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests
import urllib3

from network import in_namespace

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("CROW_BIN_DIR", ROOT / ".build" / "debug"))
PORT = 8444
# The certificates are self-made for the test: the browsers are told to accept them (a household would
# use a certificate its browsers trust), and the test's own HTTP client does not check them.
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def until(condition, timeout, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + (message() if callable(message) else message))


def end(process, wait=20, first=signal.SIGTERM):
    """Ends a child process: `first` (SIGTERM), then SIGKILL if it is still there after `wait` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(first)
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def make_certificate(directory, address):
    """A self-made certificate and key for `address`, in `directory`."""
    certificate = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=" + address,
         "-addext", "subjectAltName=IP:" + address],
        check=True, capture_output=True, timeout=60,
    )
    return certificate, key


class HouseholdGateway:
    """`crow-calls serve` inside `namespace`, on `https://<address>:8444`, with the relay on the segment
    as its own relay. `setup_url` is the link it printed on its first start."""

    def __init__(self, namespace, address, relay_url, name, env=None, behind_proxy=False):
        """`behind_proxy`: plain HTTP on port 8080 of every address in the namespace, for a reverse proxy
        in the same namespace to front (see `ReverseProxy`); `base` is then the direct address."""
        self.namespace = namespace
        self.address = address
        self.dir = tempfile.TemporaryDirectory(prefix="crow-%s-" % name)
        self.data = os.path.join(self.dir.name, "data")
        if behind_proxy:
            self.base = "http://%s:8080" % address
            listen = ["--host", "0.0.0.0", "--port", "8080"]
        else:
            self.base = "https://%s:%d" % (address, PORT)
            certificate, key = make_certificate(self.dir.name, address)
            listen = ["--host", address, "--port", str(PORT), "--tls-cert", certificate, "--tls-key", key]
        environment = dict(os.environ, CROW_CALLS_MODES="test-canvas", CROW_CALLS_DEBUG="1", LOG_LEVEL="notice")
        if relay_url:
            environment["CROW_NOSTR_RELAYS"] = relay_url
        environment.pop("CROW_GATEWAY_URL", None)
        environment.update(env or {})
        self.lines = []
        self.setup_url = None
        printed = threading.Event()
        self.process = subprocess.Popen(
            in_namespace(namespace, [str(BIN / "crow-calls"), "serve", "--data-dir", self.data] + listen),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment,
        )

        def read():
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                match = re.search(r"Set the owner password once at: (\S+)", line)
                if match:
                    self.setup_url = match.group(1)
                    printed.set()
            printed.set()

        threading.Thread(target=read, daemon=True).start()
        if not printed.wait(60) or not self.setup_url:
            self.stop()
            raise RuntimeError("the %s gateway did not start:\n%s" % (name, "\n".join(self.lines)))

    def incoming(self, caller):
        """Records an incoming call as the Nostr inbox does (crow-testkit, on the ledger file)."""
        return subprocess.run([str(BIN / "crow-testkit"), "incoming", "--data-dir", self.data, "--caller", caller],
                              check=True, capture_output=True, text=True, timeout=60).stdout.strip()

    def ledger(self, sql, arguments=()):
        import sqlite3
        db = sqlite3.connect("file:%s/data/ledger.sqlite?mode=ro" % self.dir.name, uri=True, timeout=10)
        try:
            return db.execute(sql, arguments).fetchall()
        finally:
            db.close()

    def stop(self):
        end(self.process, wait=60)
        self.dir.cleanup()


class Page:
    """The few browser calls the two-host test makes, the same for Chromium (Selenium) and Firefox
    (Marionette), so one test body drives either."""

    def find(self, css):
        raise NotImplementedError

    def find_all(self, css):
        raise NotImplementedError

    def click(self, css):
        self.find(css).click()

    def type(self, css, text):
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def visible(self, css):
        try:
            return self.find(css).is_displayed()
        except Exception:
            return False


class ChromiumPage(Page):
    """Headless Chromium with fake media, started by a chromedriver inside the namespace that listens on
    the household's address and takes commands only from the bridge's."""

    def __init__(self, namespace, address, controller):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options

        self.driver_process = subprocess.Popen(
            in_namespace(namespace, [os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"), "--port=9515",
                                     "--allowed-ips=" + controller, "--allowed-origins=*"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        endpoint = "http://%s:9515" % address
        until(lambda: requests.get(endpoint + "/status", timeout=2).json()["value"]["ready"], 30, "chromedriver")
        options = Options()
        options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     "--autoplay-policy=no-user-gesture-required", "--window-size=1280,800",
                     "--ignore-certificate-errors",
                     # Host candidates as addresses, not mDNS names, as on a machine that granted the camera.
                     "--disable-features=WebRtcHideLocalIpsWithMdns,MediaSessionService"):
            options.add_argument(flag)
        self.driver = webdriver.Remote(command_executor=endpoint, options=options)
        self.driver.set_script_timeout(30)
        self.name = "chromium"

    def get(self, url):
        self.driver.get(url)

    def before_every_page(self, source):
        """Runs `source` in every page this tab loads from now on, before the page's own scripts (the
        DevTools protocol, through chromedriver's endpoint for it)."""
        self.driver.command_executor.add_command("crowCdp", "POST", "/session/$sessionId/goog/cdp/execute")
        self.driver.execute("crowCdp", {"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source": source}})

    @property
    def current_url(self):
        return self.driver.current_url

    def find(self, css):
        return self.driver.find_element("css selector", css)

    def find_all(self, css):
        return self.driver.find_elements("css selector", css)

    def script(self, source, *arguments):
        return self.driver.execute_script(source, *arguments)

    def async_script(self, source, *arguments):
        return self.driver.execute_async_script(source, *arguments)

    def handles(self):
        return self.driver.window_handles

    def switch(self, handle):
        self.driver.switch_to.window(handle)

    def quit(self):
        try:
            self.driver.quit()
        except Exception:
            pass
        self.driver_process.terminate()
        self.driver_process.wait(20)


class FirefoxPage(Page):
    """Headless Firefox ESR inside the namespace, driven over Marionette through a small forwarder
    (Marionette listens on loopback only)."""

    def __init__(self, namespace, address):
        from marionette_driver.marionette import Marionette

        sys.path.insert(0, str(ROOT / "Tests" / "Browser"))
        from firefox import BINARY, PREFS, user_js

        self.profile = tempfile.TemporaryDirectory(prefix="crow-firefox-")
        prefs = dict(PREFS)
        # The namespace is the fence here (it reaches nothing but the segment): no proxy, so the other
        # household's gateway is reached directly.
        prefs.update({
            "network.proxy.type": 0,
            "marionette.port": 2828,
            # Host candidates as addresses, not mDNS names, as on a machine that granted the camera.
            "media.peerconnection.ice.obfuscate_host_addresses": False,
        })
        with open(os.path.join(self.profile.name, "user.js"), "w") as out:
            out.write(user_js(prefs))
        self.process = subprocess.Popen(
            in_namespace(namespace, [BINARY, "--marionette", "--headless", "--no-remote", "--profile", self.profile.name]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, MOZ_HEADLESS="1"),
        )
        self.forwarder = subprocess.Popen(
            in_namespace(namespace, [sys.executable, str(pathlib.Path(__file__).with_name("forward.py")), address, "2829", "2828"]),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.forwarder.stdout.readline()
        self.client = None
        deadline = time.monotonic() + 60
        while self.client is None:
            client = Marionette(host=address, port=2829)
            # marionette-driver 3.7.1 sets its host to 127.0.0.1 whatever it is given.
            client.host = address
            try:
                client.start_session(capabilities={"acceptInsecureCerts": True}, timeout=10)
                self.client = client
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.quit()
                    raise RuntimeError("Firefox did not open Marionette in " + namespace)
                time.sleep(0.5)
        self.client.timeout.page_load = 30
        self.client.timeout.script = 30
        self.client.timeout.implicit = 0
        self.name = "firefox"

    def get(self, url):
        self.client.navigate(url)

    @property
    def current_url(self):
        return self.client.get_url()

    def find(self, css):
        return self.client.find_element("css selector", css)

    def find_all(self, css):
        return self.client.find_elements("css selector", css)

    def script(self, source, *arguments):
        # No sandbox: the script sees the page's own objects (window.crowCall), as Selenium's does.
        return self.client.execute_script(source, script_args=list(arguments), sandbox=None)

    def async_script(self, source, *arguments):
        return self.client.execute_async_script(source, script_args=list(arguments), sandbox=None)

    def handles(self):
        return self.client.window_handles

    def switch(self, handle):
        self.client.switch_to_window(handle)

    def quit(self):
        if self.client is not None:
            try:
                self.client.delete_session()
            except Exception:
                pass
        for process in (self.process, self.forwarder):
            end(process)
        self.profile.cleanup()


class Turn:
    """coturn on the segment (in the test's namespace), with TURN REST credentials (`use-auth-secret`):
    the gateway signs time-limited usernames with `secret`, and coturn checks the signature and the time."""

    def __init__(self, address, secret):
        self.dir = tempfile.TemporaryDirectory(prefix="crow-turn-")
        self.address = address
        self.secret = secret
        self.url = "turn:%s:3478?transport=udp" % address
        self.log = os.path.join(self.dir.name, "turn.log")
        prefix = address.rsplit(".", 1)[0]
        self.process = subprocess.Popen(
            ["turnserver", "-n", "--listening-ip", address, "--listening-port", "3478", "--relay-ip", address,
             "--min-port", "49160", "--max-port", "49260", "--use-auth-secret", "--static-auth-secret", secret,
             "--realm", "crow.test", "--fingerprint", "--no-tls", "--no-dtls", "--no-cli", "--no-multicast-peers",
             "--allowed-peer-ip", "%s.0-%s.255" % (prefix, prefix),
             "--userdb", os.path.join(self.dir.name, "turndb"), "--pidfile", os.path.join(self.dir.name, "turn.pid"),
             "--log-file", self.log, "--simple-log", "--no-stdout-log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        def listening():
            lines = run_text(["ss", "-lun"])
            return ("%s:3478" % address) in lines

        until(listening, 30, "coturn to listen")

    def stop(self):
        end(self.process)
        self.dir.cleanup()


def run_text(command):
    return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout


class ReverseProxy:
    """nginx or Caddy in the gateway's namespace: HTTPS on `https://<address>` (port 443, a self-made
    certificate), passing everything, WebSocket upgrades and the live stream included, to the gateway
    on 127.0.0.1:8080, with X-Forwarded-For and X-Forwarded-Proto, as docs/DEPLOY.md configures them."""

    def __init__(self, kind, namespace, address):
        self.kind = kind
        self.dir = tempfile.TemporaryDirectory(prefix="crow-%s-" % kind)
        os.chmod(self.dir.name, 0o755)
        self.base = "https://%s" % address
        certificate, key = make_certificate(self.dir.name, address)
        here = self.dir.name
        if kind == "nginx":
            config = os.path.join(here, "nginx.conf")
            with open(os.path.join(ROOT, "deploy", "nginx.conf")) as shipped:
                site = shipped.read()
            site = (site.replace("calls.example.net", address)
                    .replace("/etc/ssl/crow-calls/fullchain.pem", certificate)
                    .replace("/etc/ssl/crow-calls/privkey.pem", key)
                    .replace("listen 443 ssl;", "listen %s:443 ssl;" % address)
                    .replace("listen [::]:443 ssl;", ""))
            with open(config, "w") as out:
                out.write(
                    "worker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log;\nuser root;\n"
                    "events { worker_connections 256; }\n"
                    "http {\n  access_log off;\n  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n"
                    "  fastcgi_temp_path %s/fastcgi;\n  uwsgi_temp_path %s/uwsgi;\n  scgi_temp_path %s/scgi;\n%s\n}\n"
                    % (here, here, here, here, here, here, here, site))
            command = ["nginx", "-c", config, "-g", "daemon off;"]
        else:
            config = os.path.join(here, "Caddyfile")
            with open(os.path.join(ROOT, "deploy", "Caddyfile")) as shipped:
                site = shipped.read()
            site = site.replace("calls.example.net", "https://%s:443" % address)
            site = site.replace("# tls /etc/ssl/crow-calls/fullchain.pem /etc/ssl/crow-calls/privkey.pem",
                                "tls %s %s" % (certificate, key))
            with open(config, "w") as out:
                out.write("{\n\tadmin off\n\tauto_https disable_redirects\n\tstorage file_system %s/caddy\n}\n%s"
                          % (here, site))
            command = ["caddy", "run", "--config", config, "--adapter", "caddyfile"]
        self.process = subprocess.Popen(
            in_namespace(namespace, command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, HOME=here, XDG_DATA_HOME=here, XDG_CONFIG_HOME=here),
        )

        def serving():
            if self.process.poll() is not None:
                raise RuntimeError("%s exited: %s" % (kind, self.process.stderr.read()[-2000:]))
            return requests.get(self.base + "/healthz", verify=False, timeout=3).status_code == 200

        until(serving, 60, kind + " in front of the gateway")

    def stop(self):
        end(self.process)
        self.dir.cleanup()
