"""The Web Push side of the panel in real Chromium: the service worker shows a ringing notice and the
missed notice replaces it (same tag); the switch explains a push service it cannot reach. Pushes are
delivered to the worker through the DevTools protocol, as the browser's push service would."""
import json

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
  .then((list) => done(list.map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data}))))
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
    push_until(owner, gateway.base, notice("missed", caller, "inv1", gateway.base + "/calls"),
               lambda notes: [n["title"] for n in notes] == [f"Missed call from {caller}"], "the missed notice in place of the ringing one")
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
