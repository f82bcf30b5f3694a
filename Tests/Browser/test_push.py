"""The Web Push side of the panel in real Chromium: the service worker shows a ringing notice with
Accept and Decline and the missed notice replaces it (same tag); the notice's actions accept or decline
the call through the owner's API; the switch explains a push service it cannot reach. Pushes are
delivered to the worker through the DevTools protocol, as the browser's push service would."""
import json
import urllib.request

import websocket

from selenium.webdriver.common.by import By

from conftest import wait

REGISTER = """
const done = arguments[0];
navigator.serviceWorker.register('/calls/sw.js', {scope: '/calls/'}).then((r) => {
  const worker = r.installing || r.waiting;
  if (r.active || !worker) return done(r.scope);
  worker.addEventListener('statechange', () => worker.state === 'activated' && done(r.scope));
}).catch((e) => done('error: ' + e));
"""

NOTIFICATIONS = """
const done = arguments[0];
navigator.serviceWorker.getRegistration('/calls/').then((r) => r.getNotifications())
  .then((list) => done(list.map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data,
                                         actions: (n.actions || []).map((a) => [a.action, a.title])}))))
  .catch((e) => done('error: ' + e));
"""


def push(driver, origin, data):
    """Delivers `data` as a push message to the page's service worker. DevTools needs the registration's
    id, which it reports only as an event; a push to an id that does not exist is dropped without an
    error, so this sends to the first few ids and only the worker's own takes it."""
    for registration in range(16):
        driver.execute_cdp_cmd("ServiceWorker.deliverPushMessage", {"origin": origin + "/", "registrationId": str(registration), "data": data})


def push_until(driver, origin, data, condition, message):
    """Pushes `data` until `condition(notifications)` holds. A push that reaches a worker Chromium has
    just stopped for being idle can be lost on a loaded machine; the same notice again (same tag) only
    replaces itself."""
    def shown(d):
        notes = d.execute_async_script(NOTIFICATIONS)
        if isinstance(notes, list) and condition(notes):
            return notes
        push(d, origin, data)
        return None
    return wait(driver, shown, message=message)


def notice(kind, caller, call_id, url):
    titles = {"ringing": f"{caller} is calling", "missed": f"Missed call from {caller}"}
    payload = {"type": kind, "id": call_id, "caller": caller, "title": titles[kind], "body": "…", "tag": f"crow-call-{call_id}", "url": url}
    if kind == "ringing":
        payload["accept"] = f"/api/calls/incoming/{call_id}/accept"
        payload["decline"] = f"/api/calls/incoming/{call_id}/decline"
    return json.dumps(payload)


def test_the_service_worker_shows_the_ringing_notice_and_the_missed_one_replaces_it(gateway, browsers):
    owner = browsers(gateway.base, gateway.session)
    owner.get(gateway.base + "/calls")
    wait(owner, lambda d: d.find_element(By.ID, "push-status").text, message="the push state")
    owner.execute_cdp_cmd("Browser.grantPermissions", {"permissions": ["notifications"], "origin": gateway.base})
    assert owner.execute_async_script(REGISTER) == gateway.base + "/calls/"
    owner.execute_cdp_cmd("ServiceWorker.enable", {})
    caller = '<img src=x onerror="window.pwned=1">Ada'
    shown = push_until(owner, gateway.base, notice("ringing", caller, "inv1", "https://ada.example/calls?room=r&token=t"),
                       lambda notes: len(notes) > 0, "the ringing notice")
    assert [(n["title"], n["tag"]) for n in shown] == [(f"{caller} is calling", "crow-call-inv1")]
    assert shown[0]["data"]["url"] == "https://ada.example/calls?room=r&token=t"
    assert shown[0]["data"]["accept"] == "/api/calls/incoming/inv1/accept"
    assert shown[0]["data"]["decline"] == "/api/calls/incoming/inv1/decline"
    assert shown[0]["actions"] == [["accept", "Accept"], ["decline", "Decline"]]
    push_until(owner, gateway.base, notice("missed", caller, "inv1", gateway.base + "/calls"),
               lambda notes: [n["title"] for n in notes] == [f"Missed call from {caller}"], "the missed notice in place of the ringing one")
    assert push_until(owner, gateway.base, notice("missed", caller, "inv1", gateway.base + "/calls"), lambda notes: notes,
                      "the missed notice")[0]["actions"] == []
    # A payload that is not JSON still shows something, and breaks nothing.
    push_until(owner, gateway.base, "not json", lambda notes: "Crow Calls" in [n["title"] for n in notes], "the fallback notice")
    assert owner.execute_script("return window.pwned") is None


def test_the_switch_says_so_when_the_browsers_push_service_cannot_be_reached(gateway, browsers):
    owner = browsers(gateway.base, gateway.session)
    owner.get(gateway.base + "/calls")
    owner.execute_cdp_cmd("Browser.grantPermissions", {"permissions": ["notifications"], "origin": gateway.base})
    status = owner.find_element(By.ID, "push-status")
    wait(owner, lambda d: "does not show calls" in status.text, message="the off state")
    owner.find_element(By.ID, "push-toggle").click()
    # No internet here: the browser's own push service never answers.
    wait(owner, lambda d: status.text.startswith("Could not change notifications"), timeout=40, message="the explanation")
    assert owner.find_element(By.ID, "push-toggle").is_enabled()
    assert gateway.api("GET", "/api/push/subscriptions")["subscriptions"] == []


# The service worker's notificationclick, run in the real worker. No browser API clicks a notification
# or one of its buttons, so the test goes into the worker through the DevTools protocol (the browser's
# own endpoint, beside chromedriver's connection) and dispatches the event the browser would, with the
# notification the push showed and the button's action. From there everything is what a click does:
# the worker's own fetch, from its origin, with the owner's cookie, through the gateway's origin check.
CLICK = """
(async () => {
  const [notification] = await self.registration.getNotifications({tag: %s});
  if (!notification) return 'no notification';
  self.dispatchEvent(new NotificationEvent('notificationclick', {notification, action: %s}));
  return 'clicked';
})()
"""


def click_notification(driver, tag, action):
    """Clicks the notification with `tag` (`action`: a button's action, or '' for its body) in the
    service worker of the page's origin; returns 'clicked' once the worker has run its handler."""
    address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
    with urllib.request.urlopen(f"http://{address}/json/list", timeout=10) as answer:
        targets = json.load(answer)
    worker = next(t for t in targets if t["type"] == "service_worker" and t["url"].endswith("/calls/sw.js"))
    connection = websocket.create_connection(worker["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
    try:
        connection.send(json.dumps({"id": 1, "method": "Runtime.evaluate", "params": {
            "expression": CLICK % (json.dumps(tag), json.dumps(action)), "awaitPromise": True, "returnByValue": True}}))
        while True:
            message = json.loads(connection.recv())
            if message.get("id") == 1:
                return message.get("result", {}).get("result", {}).get("value", message)
    finally:
        connection.close()


def test_the_notices_decline_declines_the_call_and_accept_accepts_it(gateway, browsers):
    owner = browsers(gateway.base, gateway.session)
    owner.get(gateway.base + "/calls")
    owner.execute_cdp_cmd("Browser.grantPermissions", {"permissions": ["notifications"], "origin": gateway.base})
    assert owner.execute_async_script(REGISTER) == gateway.base + "/calls/"
    owner.execute_cdp_cmd("ServiceWorker.enable", {})
    # What the notifications of one call do, by its status and what its caller's gateway is sent.
    def status(call):
        return {c["id"]: c["status"] for c in gateway.api("GET", "/api/calls/incoming")["calls"]}.get(call)

    def declined_by_owner(call):
        return [e for e in gateway.events("invite.declined") if e["data"]["inviteId"] == call and e["data"]["by"] == "owner"]

    # Decline: the call is declined, as the panel's Decline does, and the notice goes.
    call = gateway.incoming("Dee")
    tag = f"crow-call-{call}"
    push_until(owner, gateway.base, notice("ringing", "Dee", call, "https://dee.example/calls?room=r&token=t"),
               lambda notes: [n["tag"] for n in notes] == [tag], "the ringing notice")
    assert click_notification(owner, tag, "decline") == "clicked"
    wait(owner, lambda d: declined_by_owner(call), message="the call declined from the notice")
    assert status(call) is None  # declined calls leave the Incoming list
    wait(owner, lambda d: d.execute_async_script(NOTIFICATIONS) == [], message="the notice closed")

    # Accept (the button), and a click on the body as before: the call is accepted.
    for action in ("accept", ""):
        call = gateway.incoming("Acey")
        tag = f"crow-call-{call}"
        push_until(owner, gateway.base, notice("ringing", "Acey", call, gateway.base + "/healthz"),
                   lambda notes: tag in [n["tag"] for n in notes], "the ringing notice")
        assert click_notification(owner, tag, action) == "clicked"
        wait(owner, lambda d: status(call) == "accepted", message=f"the call accepted from the notice ({action or 'body'})")
        assert not declined_by_owner(call)
