// Call quality of one connection, from `RTCPeerConnection.getStats()`: round-trip time, packet loss,
// bitrate in and out, and how the two browsers reach each other (the selected candidate pair's type).
// `measure` turns two samples into figures; `assess` says whether they are good, poor or bad. Both are
// pure, so the thresholds are tested with hand-made reports as well as on live calls.

/** How often a connection is sampled. */
export const SAMPLE_MS = 2000;

/**
 * Above these, quality is `poor` (people notice: talking over each other, choppy sound) or `bad`
 * (hard to hold a conversation). Round-trip time in ms, loss as a fraction of the packets expected.
 */
export const LIMITS = {
  poor: { rttMs: 400, loss: 0.05 },
  bad: { rttMs: 1000, loss: 0.15 },
};

/** The stats of one report, as a plain list (an RTCStatsReport, or an array in tests). */
function entries(report) {
  if (Array.isArray(report)) return report;
  const list = [];
  report.forEach((stat) => list.push(stat));
  return list;
}

/** The candidate pair the connection uses now, by the transport's pointer or, where a browser has no
 *  transport stats (Firefox), by the pair marked selected or nominated and succeeded. */
function selectedPair(stats, byId) {
  for (const stat of stats) {
    if (stat.type === 'transport' && stat.selectedCandidatePairId && byId.has(stat.selectedCandidatePairId)) {
      return byId.get(stat.selectedCandidatePairId);
    }
  }
  return (
    stats.find((s) => s.type === 'candidate-pair' && s.selected) ||
    stats.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') ||
    null
  );
}

/**
 * Counters of one sample: bytes and packets in and out, and the path. Kept between samples so the
 * next one can take differences.
 */
export function sample(report, now) {
  const stats = entries(report);
  const byId = new Map(stats.map((s) => [s.id, s]));
  const counters = { at: now, bytesIn: 0, bytesOut: 0, packetsReceived: 0, packetsLost: 0, rttMs: null, path: null };
  for (const stat of stats) {
    if (stat.type === 'inbound-rtp') {
      counters.bytesIn += stat.bytesReceived || 0;
      counters.packetsReceived += stat.packetsReceived || 0;
      counters.packetsLost += Math.max(0, stat.packetsLost || 0);
    } else if (stat.type === 'outbound-rtp') {
      counters.bytesOut += stat.bytesSent || 0;
    }
  }
  const pair = selectedPair(stats, byId);
  if (pair) {
    if (typeof pair.currentRoundTripTime === 'number') counters.rttMs = Math.round(pair.currentRoundTripTime * 1000);
    const local = byId.get(pair.localCandidateId);
    const remote = byId.get(pair.remoteCandidateId);
    const mine = local && local.candidateType;
    const theirs = remote && remote.candidateType;
    // A relay on either side means the media goes through a TURN server. A server-reflexive address on
    // either side means a NAT is crossed. The other side's address often shows as peer-reflexive (`prflx`)
    // only because its checks arrived before its candidate did: that alone says nothing about a NAT.
    if (mine === 'relay' || theirs === 'relay') counters.path = 'relay';
    else if (mine === 'srflx' || mine === 'prflx' || theirs === 'srflx') counters.path = 'srflx';
    else counters.path = mine || null;
  }
  return counters;
}

/**
 * Figures between two samples of the same connection: `rttMs`, `loss` (0…1 of the packets expected
 * since the previous sample), `kbpsIn`, `kbpsOut`, `path` (host, srflx or relay). Counters that went
 * backwards (a renegotiation replaced the streams) count as a fresh start.
 */
export function measure(previous, current) {
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  const delta = (key) => (previous && current[key] >= previous[key] ? current[key] - previous[key] : 0);
  const received = delta('packetsReceived');
  const lost = delta('packetsLost');
  const expected = received + lost;
  return {
    rttMs: current.rttMs,
    loss: expected > 0 ? lost / expected : 0,
    kbpsIn: seconds > 0 ? Math.round((delta('bytesIn') * 8) / seconds / 1000) : 0,
    kbpsOut: seconds > 0 ? Math.round((delta('bytesOut') * 8) / seconds / 1000) : 0,
    path: current.path,
  };
}

/** `good`, `poor` or `bad`, by the worse of round-trip time and loss. */
export function assess({ rttMs, loss }) {
  const over = (limit) => (rttMs !== null && rttMs > limit.rttMs) || loss > limit.loss;
  if (over(LIMITS.bad)) return 'bad';
  if (over(LIMITS.poor)) return 'poor';
  return 'good';
}

/** The path in words: on the same network, directly across the internet, or through a relay. */
export function describePath(path) {
  return { host: 'direct', srflx: 'direct (NAT)', prflx: 'direct (NAT)', relay: 'relayed (TURN)' }[path] || 'unknown path';
}

/** The quiet line on a tile, e.g. "48 ms · 0% loss · 620 kb/s · direct". */
export function describe(figures) {
  const parts = [];
  if (figures.rttMs !== null) parts.push(`${figures.rttMs} ms`);
  parts.push(`${Math.round(figures.loss * 100)}% loss`);
  parts.push(`${figures.kbpsIn} kb/s`);
  parts.push(describePath(figures.path));
  return parts.join(' · ');
}
