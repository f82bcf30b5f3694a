"""Call quality on each tile, from getStats: round-trip time, loss, bitrate and the path, shown quietly,
with a badge when the figures get poor. Real Chromium on a real gateway."""
from selenium.webdriver.common.by import By

from conftest import screenshot, stats, two_in_a_call, until


def tile(driver, peer_id):
    return driver.execute_script(
        "const t = document.querySelector(`[data-peer=\"${arguments[0]}\"]`); if (!t) return null;"
        "const q = t.querySelector('.quality'), b = t.querySelector('.badge.poor');"
        "return {data: {...t.dataset}, line: q.hidden ? null : q.textContent, badge: b.hidden ? null : b.textContent};",
        peer_id,
    )


def test_each_tile_shows_the_connections_round_trip_loss_bitrate_and_path(gateway, browsers):
    _, ada, bob = two_in_a_call(gateway, browsers)
    bob_id = stats(bob)["self"]
    # Two samples apart (2 s each), the tile has figures: on loopback the path is direct between host
    # candidates, the round trip is short, and audio is coming in.
    shown = until(lambda: (lambda t: t if t and t["line"] and int(t["data"].get("kbpsIn", "0")) > 0 else None)(
        tile(ada, bob_id)), 30, "figures on Bob's tile")
    data = shown["data"]
    assert data["path"] == "host", data
    assert data["quality"] == "good", data
    assert 0 <= int(data["rtt"]) < 400, data
    assert float(data["loss"]) < 0.05, data
    assert shown["line"].endswith(" · direct") and " ms · " in shown["line"] and "% loss" in shown["line"], shown
    assert shown["badge"] is None
    # Your own tile has no connection, so no figures.
    assert tile(ada, "self")["line"] is None
    screenshot(ada, "call-quality.png")


# The stats this connection reports from now on: its own, with the round trip and the packets lost
# replaced, as a network in trouble would show them (this machine cannot make one: no netem).
TROUBLE = """
const [link] = window.crowCall.mesh.links.values();
const real = link.pc.getStats.bind(link.pc);
window.lossy = { rtt: arguments[0], lost: 0 };
link.pc.getStats = async () => {
  const list = [];
  (await real()).forEach((s) => {
    const copy = { ...s };
    if (copy.type === 'candidate-pair' && typeof copy.currentRoundTripTime === 'number') copy.currentRoundTripTime = window.lossy.rtt;
    if (copy.type === 'inbound-rtp' && copy.kind === 'audio') {
      window.lossy.lost += Math.ceil((copy.packetsReceived || 0) * arguments[1]);
      copy.packetsLost = window.lossy.lost;
    }
    list.push(copy);
  });
  return list;
};
"""


def test_a_tile_warns_when_the_connection_gets_poor_and_the_warning_goes_when_it_recovers(gateway, browsers):
    _, ada, bob = two_in_a_call(gateway, browsers)
    bob_id = stats(bob)["self"]
    until(lambda: (tile(ada, bob_id) or {}).get("line"), 30, "figures on Bob's tile")
    ada.execute_script(TROUBLE, 0.6, 0)
    poor = until(lambda: (lambda t: t if t["badge"] else None)(tile(ada, bob_id)), 30, "the poor-connection badge")
    assert poor["badge"] == "Poor connection" and poor["data"]["quality"] == "poor", poor
    assert poor["data"]["rtt"] == "600"
    ada.execute_script("window.lossy.rtt = 1.5;")
    bad = until(lambda: (lambda t: t if t["badge"] == "Bad connection" else None)(tile(ada, bob_id)), 30, "the bad-connection badge")
    assert bad["data"]["quality"] == "bad"
    ada.execute_script("window.lossy.rtt = 0.02;")
    until(lambda: tile(ada, bob_id)["badge"] is None, 30, "the badge to go once the figures recover")


def test_the_figures_and_their_limits(gateway, browsers):
    """The pure functions of quality.js, in the browser that runs them."""
    room = gateway.room("Ada")
    page = browsers()
    page.get(room["callUrl"])
    until(lambda: page.find_element(By.ID, "join").is_displayed(), 30, "the pre-join screen")
    result = page.execute_async_script("""
const done = arguments[arguments.length - 1];
import('/calls/assets/quality.js').then((q) => {
  const report = (bytesIn, received, lost, rtt, local, remote) => [
    { id: 'in', type: 'inbound-rtp', kind: 'audio', bytesReceived: bytesIn, packetsReceived: received, packetsLost: lost },
    { id: 'out', type: 'outbound-rtp', kind: 'audio', bytesSent: bytesIn / 2 },
    { id: 't', type: 'transport', selectedCandidatePairId: 'p' },
    { id: 'p', type: 'candidate-pair', localCandidateId: 'l', remoteCandidateId: 'r', currentRoundTripTime: rtt },
    { id: 'l', type: 'local-candidate', candidateType: local },
    { id: 'r', type: 'remote-candidate', candidateType: remote },
  ];
  const first = q.sample(report(0, 0, 0, 0.05, 'host', 'host'), 0);
  const second = q.sample(report(250000, 90, 10, 0.05, 'host', 'relay'), 2000);
  const fine = q.measure(first, q.sample(report(250000, 100, 0, 0.05, 'srflx', 'host'), 2000));
  const learned = q.sample(report(0, 0, 0, 0.05, 'host', 'prflx'), 0);
  // Firefox marks the pair it uses instead of pointing at it from a transport.
  const firefox = q.sample([{ id: 'p', type: 'candidate-pair', selected: true, localCandidateId: 'l', remoteCandidateId: 'r', currentRoundTripTime: 0.2 },
    { id: 'l', type: 'local-candidate', candidateType: 'srflx' }, { id: 'r', type: 'remote-candidate', candidateType: 'host' }], 0);
  const backwards = q.measure(second, q.sample(report(1000, 5, 0, 0.05, 'host', 'host'), 4000));
  done({
    lossy: q.measure(first, second), fine, firefox, backwards, learned,
    levels: [q.assess({ rttMs: 50, loss: 0 }), q.assess({ rttMs: 401, loss: 0 }), q.assess({ rttMs: 50, loss: 0.06 }),
             q.assess({ rttMs: 1001, loss: 0 }), q.assess({ rttMs: null, loss: 0.2 }), q.assess({ rttMs: null, loss: 0 })],
    line: q.describe({ rttMs: 48, loss: 0.1, kbpsIn: 620, kbpsOut: 300, path: 'relay' }),
  });
}, (e) => done({ error: String(e) }));
""")
    assert "error" not in result, result
    assert result["lossy"] == {"rttMs": 50, "loss": 0.1, "kbpsIn": 1000, "kbpsOut": 500, "path": "relay"}
    assert result["fine"]["loss"] == 0 and result["fine"]["path"] == "srflx"
    assert result["firefox"]["rttMs"] == 200 and result["firefox"]["path"] == "srflx"
    # The other side known only from its checks (peer-reflexive) is still a direct path on one network.
    assert result["learned"]["path"] == "host"
    # Counters that went backwards (new streams after a renegotiation) are a fresh start, not negative.
    assert result["backwards"]["kbpsIn"] == 0 and result["backwards"]["loss"] == 0
    assert result["levels"] == ["good", "poor", "poor", "bad", "bad", "good"]
    assert result["line"] == "48 ms · 10% loss · 620 kb/s · relayed (TURN)"
