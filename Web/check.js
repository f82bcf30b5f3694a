// The self-test page, /calls/check (docs/WEB.md): what a call needs, tested from this browser on this
// network, each check as one line that says OK, Warning or Problem and what to do about it. For
// anyone: a secure page, the microphone (with a level meter) and the camera (with a preview), the call
// server's WebSocket (the self-test socket `/calls/ws?check=1`, which joins nothing), and the ICE
// candidates this browser gathers. For the signed-in owner also: the STUN and TURN servers with the
// credentials the gateway issues (`/api/calls/check/ice`), the relay subscriptions, and the last
// invites sent and received. Text from the server and from devices is only ever set as text.
import { api, ApiError, el, formatTime } from './common.js';
import { describeMediaError } from './media.js';

const $ = (id) => document.getElementById(id);
const WORDS = { running: 'Checking…', pass: 'OK', warn: 'Warning', fail: 'Problem', skip: 'Not tested' };
const CHECKS = ['check-secure', 'check-microphone', 'check-camera', 'check-signaling', 'check-ice', 'check-turn'];
const OWNER_CHECKS = ['check-relays', 'check-invites'];
/** How long the socket and the ICE gathering may take before the page says they did not answer. */
const SIGNALING_TIMEOUT_MS = 10000;
const GATHER_TIMEOUT_MS = 10000;
/** How long the microphone may send only silence before the page says so. */
const SILENCE_MS = 8000;

let owner = false;
/** Bumped by every run: results of an earlier run arriving late are dropped. */
let generation = 0;
/** What the current run holds open (tracks, the meter, a connection, a socket), released before a rerun. */
let cleanups = [];

function report(id, state, text) {
  const row = $(id);
  row.dataset.state = state;
  row.querySelector('.check-word').textContent = WORDS[state];
  row.querySelector('.check-text').textContent = text;
  summarize();
}

function summarize() {
  const ids = owner ? [...CHECKS, ...OWNER_CHECKS] : CHECKS;
  const states = ids.map((id) => $(id).dataset.state);
  const line = $('check-summary');
  if (states.includes('running')) {
    line.dataset.state = 'running';
    line.textContent = 'Checking…';
    return;
  }
  const problems = states.filter((s) => s === 'fail').length;
  const warnings = states.filter((s) => s === 'warn').length;
  const count = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (problems > 0) {
    line.dataset.state = 'fail';
    line.textContent = `${count(problems, 'problem')}${warnings ? ' and ' + count(warnings, 'warning') : ''}: see what to do below.`;
  } else if (warnings > 0) {
    line.dataset.state = 'warn';
    line.textContent = `Calls can work from here, with ${count(warnings, 'warning')}: see below.`;
  } else {
    line.dataset.state = 'pass';
    line.textContent = 'Everything a call needs works on this device.';
  }
  $('rerun').disabled = false;
}

/** Runs `step` for this run only: its result is dropped when a rerun started meanwhile. */
function current(run) {
  return run === generation;
}

// MARK: - Secure page

function checkSecure() {
  if (window.isSecureContext) {
    report('check-secure', 'pass',
      `This page is a secure context (${location.protocol === 'https:' ? 'opened over https' : 'opened on this machine\'s own address'}), so the browser may give it the microphone and camera.`);
    return true;
  }
  report('check-secure', 'fail',
    'This page was opened over plain http on another machine\'s address, so the browser will not give it the microphone or camera. ' +
    'Open the gateway over https: give it a certificate, put it behind an https proxy, or use tailscale serve (docs/DEPLOY.md).');
  return false;
}

// MARK: - Microphone and camera

async function openMedia() {
  const ask = (constraints) => navigator.mediaDevices.getUserMedia(constraints);
  const keep = (stream) => {
    cleanups.push(() => stream.getTracks().forEach((track) => track.stop()));
    return stream;
  };
  // The microphone as a call opens it (with the browser's echo cancellation and noise suppression).
  const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  try {
    const both = keep(await ask({ audio, video: true }));
    return { audio: both.getAudioTracks()[0], video: both.getVideoTracks()[0] };
  } catch {
    // One of them failed; ask for each alone to tell which.
  }
  const result = {};
  try {
    result.audio = keep(await ask({ audio })).getAudioTracks()[0];
  } catch (error) {
    result.audioError = error;
  }
  try {
    result.video = keep(await ask({ video: true })).getVideoTracks()[0];
  } catch (error) {
    result.videoError = error;
  }
  return result;
}

async function checkMedia(run, secure) {
  if (!secure || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    const why = 'Not available on this page: it is not a secure context (see above).';
    report('check-microphone', 'fail', why);
    report('check-camera', 'fail', why);
    return;
  }
  const media = await openMedia();
  if (!current(run)) return;
  if (media.audio) {
    checkMicrophone(run, media.audio);
  } else {
    report('check-microphone', 'fail', describeMediaError(media.audioError, 'microphone'));
  }
  if (media.video) {
    await checkCamera(run, media.video);
  } else {
    report('check-camera', media.videoError && media.videoError.name === 'NotFoundError' ? 'warn' : 'fail',
      describeMediaError(media.videoError, 'camera') +
      (media.videoError && media.videoError.name === 'NotFoundError' ? ' You can still join calls without video.' : ''));
  }
}

function checkMicrophone(run, track) {
  const name = track.label || 'the default microphone';
  report('check-microphone', 'pass', `The microphone is on (${name}). The meter below moves when it hears sound: say something.`);
  const context = new AudioContext();
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const meter = $('check-meter');
  const resume = () => context.resume().catch(() => {});
  resume();
  document.addEventListener('pointerdown', resume, { once: true });
  document.addEventListener('keydown', resume, { once: true });
  let heard = false;
  const started = Date.now();
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    const level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    meter.value = level;
    if (level > 0.01) heard = true;
    if (!heard && Date.now() - started > SILENCE_MS && current(run) && $('check-microphone').dataset.state === 'pass') {
      report('check-microphone', 'warn', context.state === 'running'
        ? `The microphone (${name}) has sent only silence so far: say something. If the meter stays still, check that it is not muted (a switch on the headset, or the system's sound settings) and that the right one is chosen in the browser's site settings.`
        : 'The browser has not started the level meter yet: click anywhere on the page to start it.');
    }
    if (heard && $('check-microphone').dataset.state === 'warn' && current(run)) {
      report('check-microphone', 'pass', `The microphone is on (${name}), and it hears sound.`);
    }
  }, 50);
  cleanups.push(() => {
    clearInterval(timer);
    source.disconnect();
    context.close().catch(() => {});
    meter.value = 0;
  });
}

async function checkCamera(run, track) {
  const video = $('check-preview');
  video.srcObject = new MediaStream([track]);
  video.hidden = false;
  $('check-preview-placeholder').hidden = true;
  cleanups.push(() => {
    video.srcObject = null;
    video.hidden = true;
    $('check-preview-placeholder').hidden = false;
  });
  const name = track.label || 'the default camera';
  const picture = await new Promise((resolve) => {
    const done = () => resolve(video.videoWidth > 0);
    if (video.videoWidth > 0) return done();
    video.addEventListener('loadedmetadata', done, { once: true });
    setTimeout(done, 10000);
    video.play().catch(() => {});
  });
  if (!current(run)) return;
  if (picture) {
    report('check-camera', 'pass', `The camera works (${name}, ${video.videoWidth}×${video.videoHeight}): you should see yourself below.`);
  } else {
    report('check-camera', 'warn', `The camera (${name}) is open but sends no picture: another program may be using it. Close it and run the checks again.`);
  }
}

// MARK: - The call server's WebSocket

function checkSignaling(run) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new Promise((resolve) => {
    let socket = null;
    let settled = false;
    const finish = (state, text) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (socket) socket.close();
      if (current(run)) report('check-signaling', state, text);
      resolve(state);
    };
    const timer = setTimeout(() => finish('fail',
      'The call server\'s WebSocket did not answer within 10 seconds. A proxy or firewall between this browser and the gateway may be holding it: ' +
      'it must pass WebSocket upgrades on /calls/ws without buffering.'), SIGNALING_TIMEOUT_MS);
    try {
      socket = new WebSocket(`${scheme}//${location.host}/calls/ws?check=1`);
    } catch {
      finish('fail', 'This browser refused to open a WebSocket to the gateway.');
      return;
    }
    socket.addEventListener('message', (event) => {
      let message = null;
      try {
        message = JSON.parse(event.data);
      } catch {
        message = null;
      }
      if (message && message.type === 'check' && message.ok === true) {
        finish('pass', `This browser opened the call server's WebSocket (${scheme === 'wss:' ? 'wss, encrypted' : 'ws'}) and got its answer: joining a call works from here.`);
      }
    });
    socket.addEventListener('close', () => {
      if (!settled) diagnoseSocket().then(([state, text]) => finish(state, text));
    });
  });
}

/** A browser does not show why a WebSocket failed to open; a plain request to the same address does. */
async function diagnoseSocket() {
  let response;
  try {
    response = await fetch('/calls/ws?check=1', { cache: 'no-store', credentials: 'same-origin' });
  } catch {
    return ['fail', 'The gateway cannot be reached from this browser. Check the network connection, then run the checks again.'];
  }
  if (response.status === 429) {
    const wait = Number(response.headers.get('Retry-After')) || 60;
    return ['warn', `This device ran the check too often: run it again in ${wait} seconds.`];
  }
  if (response.status === 426) {
    return ['fail',
      'The gateway answers, but the WebSocket did not get through to it. A reverse proxy in front of the gateway must pass WebSocket ' +
      'upgrades on /calls/ws (the Upgrade and Connection headers); docs/DEPLOY.md has nginx and Caddy settings that do.'];
  }
  return ['fail', `The call server refused the WebSocket (HTTP ${response.status}). Something between this browser and the gateway answers instead of it.`];
}

// MARK: - ICE candidates, STUN and TURN

/** Gathers this browser's ICE candidates with `iceServers`; resolves when gathering completes or times out. */
function gather(iceServers) {
  return new Promise((resolve) => {
    const candidates = [];
    const errors = [];
    let pc;
    try {
      pc = new RTCPeerConnection({ iceServers });
    } catch (error) {
      resolve({ candidates, errors: [{ text: String(error && error.message || error) }], complete: false, unsupported: true });
      return;
    }
    cleanups.push(() => pc.close());
    let done = false;
    const finish = (complete) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ candidates, errors, complete });
    };
    const timer = setTimeout(() => finish(false), GATHER_TIMEOUT_MS);
    pc.addEventListener('icecandidate', (event) => {
      if (!event.candidate) {
        finish(true);
        return;
      }
      if (event.candidate.candidate) candidates.push(parseCandidate(event.candidate));
    });
    pc.addEventListener('icecandidateerror', (event) => {
      errors.push({ url: event.url || '', code: event.errorCode || 0, text: event.errorText || '' });
    });
    pc.createDataChannel('check');
    pc.createOffer()
      .then((offer) => pc.setLocalDescription(offer))
      .catch(() => finish(false));
  });
}

function parseCandidate(candidate) {
  // candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> ...
  const parts = candidate.candidate.split(' ');
  const type = candidate.type || parts[parts.indexOf('typ') + 1] || 'unknown';
  return {
    type,
    protocol: (candidate.protocol || parts[2] || '').toLowerCase(),
    address: candidate.address || parts[4] || '',
    port: candidate.port || Number(parts[5]) || 0,
  };
}

function showCandidates(candidates) {
  const seen = new Set();
  const rows = [];
  for (const c of candidates) {
    const key = `${c.type} ${c.protocol} ${c.address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push(el('li', { 'data-type': c.type },
      el('span', { class: `pill candidate-${c.type}`, text: c.type }), ' ',
      el('code', { text: `${c.protocol} ${c.address}${c.port ? ':' + c.port : ''}` })));
  }
  $('ice-candidates').replaceChildren(...rows);
}

/** The servers to test with: the owner gets the ones (and credentials) a participant gets; anyone else none. */
async function iceServersToTest(run) {
  if (owner) {
    try {
      return { known: true, ...(await api('/api/calls/check/ice')) };
    } catch (error) {
      if (error instanceof ApiError && error.code === 'unauthorized') owner = false;
    }
  }
  let settings = null;
  try {
    settings = await api('/calls/client.json');
  } catch {
    settings = null;
  }
  if (!current(run)) return null;
  const kinds = (settings && settings.iceServers) || { stun: false, turn: false };
  return { known: false, iceServers: [], stun: Boolean(kinds.stun), turn: Boolean(kinds.turn) };
}

async function checkIce(run) {
  const servers = await iceServersToTest(run);
  if (!servers || !current(run)) return;
  const result = await gather(servers.iceServers);
  if (!current(run)) return;
  showCandidates(result.candidates);
  const count = (type) => result.candidates.filter((c) => c.type === type).length;
  const host = count('host');
  const srflx = count('srflx') + count('prflx');
  const relay = count('relay');
  const found = [host && `${host} of its own (host)`, srflx && `${srflx} public (srflx)`, relay && `${relay} through TURN (relay)`]
    .filter(Boolean).join(', ');
  if (result.unsupported) {
    report('check-ice', 'fail', 'This browser cannot make WebRTC connections (RTCPeerConnection is missing or blocked). Use a current Chrome, Firefox, Edge or Safari.');
  } else if (result.candidates.length === 0) {
    report('check-ice', 'fail',
      'This browser gathered no network address at all, so it cannot connect to anyone. A browser setting, policy or extension that blocks WebRTC may be on: turn it off for this site.');
  } else if (host === 0) {
    report('check-ice', 'warn', `This browser gathered ${found}, but none of its own: a privacy setting hides its local addresses, so calls on this network go through a server instead of directly.`);
  } else {
    report('check-ice', 'pass', `This browser gathered ${found} address${result.candidates.length === 1 ? '' : 'es'}. Calls on the same network or tailnet connect over its own addresses.`);
  }
  reportServers(servers, result, { srflx, relay });
}

function reportServers(servers, result, { srflx, relay }) {
  const none = 'This gateway hands out no STUN or TURN server: calls connect only between browsers that can reach each other directly ' +
    '(on one network or one tailnet). For calls across the internet, set CROW_STUN_URLS, and CROW_TURN_URLS with CROW_TURN_SECRET.';
  if (!servers.stun && !servers.turn) {
    report('check-turn', 'warn', none);
    return;
  }
  if (!servers.known) {
    report('check-turn', 'skip',
      `This gateway has ${[servers.stun && 'a STUN', servers.turn && 'a TURN'].filter(Boolean).join(' and ')} server. ` +
      'They are tested for the gateway\'s owner only, because their credentials are handed out only in a call: sign in as the owner to test them here.');
    return;
  }
  const turnURLs = servers.iceServers.filter((s) => s.credential).flatMap((s) => s.urls);
  const stunURLs = servers.iceServers.filter((s) => !s.credential).flatMap((s) => s.urls);
  if (servers.turn) {
    if (relay > 0) {
      report('check-turn', 'pass',
        `The TURN server (${turnURLs.join(', ')}) answered with the credentials this gateway issues and gave a relay address: calls that find no direct path go through it.`);
      return;
    }
    const refused = result.errors.find((e) => e.code === 401 || e.code === 403 || e.code === 437 || e.code === 441);
    report('check-turn', 'fail', refused
      ? `The TURN server (${turnURLs.join(', ')}) refused this gateway's credentials (${refused.code}${refused.text ? ' ' + refused.text : ''}). ` +
        'CROW_TURN_SECRET must be the TURN server\'s shared secret (coturn: use-auth-secret with static-auth-secret), and both machines\' clocks must be right.'
      : `The TURN server (${turnURLs.join(', ')}) gave no relay address within ${GATHER_TIMEOUT_MS / 1000} seconds. Check that it runs and that this network reaches it ` +
        '(UDP, or the port and transport in CROW_TURN_URLS); calls that find no direct path will show "No connection".');
    return;
  }
  // STUN only.
  report('check-turn', 'warn',
    (srflx > 0
      ? `The STUN server (${stunURLs.join(', ')}) answered with this network's public address. `
      : `The STUN server (${stunURLs.join(', ')}) gave no public address: it may be unreachable over UDP from this network, or this machine's address is public already. `) +
    'No TURN server is configured: a call between two networks whose routers do not let browsers reach each other shows "No connection". Set CROW_TURN_URLS and CROW_TURN_SECRET to relay such calls.');
}

// MARK: - The owner's checks

async function checkRelays(run) {
  let answer;
  try {
    answer = await api('/api/nostr/relays');
  } catch (error) {
    if (current(run)) report('check-relays', 'fail', `The relay states could not be read: ${error.message}`);
    return;
  }
  if (!current(run)) return;
  const relays = answer.relays || [];
  $('relay-states').replaceChildren(...relays.map((relay) => el('li', { 'data-relay': relay.url },
    el('span', { class: 'grow title', text: relay.url }),
    el('span', { class: `pill ${relay.status === 'subscribed' ? 'ok' : 'waiting'}`, text: relay.status === 'subscribed' ? 'Subscribed' : 'Connecting' }))));
  const subscribed = relays.filter((relay) => relay.status === 'subscribed').length;
  if (relays.length === 0) {
    report('check-relays', 'warn',
      'This gateway listens on no relay, so calls from contacts reach it only when they send to its /nostr inbox directly. ' +
      'Add a relay you share with your contacts in the panel: Settings, This gateway\'s relays.');
  } else if (subscribed === relays.length) {
    report('check-relays', 'pass', `Subscribed on ${relays.length === 1 ? 'its relay' : `all ${relays.length} relays`}: calls to you arrive through ${relays.length === 1 ? 'it' : 'them'}.`);
  } else {
    report('check-relays', subscribed === 0 ? 'fail' : 'warn',
      `Subscribed on ${subscribed} of ${relays.length} relays; the others are still connecting. Check their addresses in the panel's settings, ` +
      'and that this machine reaches them (a relay that refuses or drops the connection is retried).');
  }
}

const SENT_WORDS = {
  pending: 'Sending', sent: 'Delivered', failed: 'Not delivered', answered: 'Answered', declined: 'Declined', cancelled: 'Cancelled',
};
const RECEIVED_WORDS = { ringing: 'Ringing', accepted: 'Accepted', missed: 'Missed', dismissed: 'Dismissed', declined: 'Declined' };

async function checkInvites(run) {
  let answer;
  try {
    answer = await api('/api/calls/check/invites');
  } catch (error) {
    if (current(run)) report('check-invites', 'fail', `The invites could not be read: ${error.message}`);
    return;
  }
  if (!current(run)) return;
  const { sent, received } = answer;
  $('invites-sent').replaceChildren(...sent.map((invite) => el('li', { 'data-invite': invite.id, 'data-status': invite.status },
    el('div', { class: 'grow' },
      el('div', { class: 'title', text: invite.contactName || `${invite.contactPubkey.slice(0, 12)}…` }),
      el('div', { class: 'muted', text: sentDetail(invite) })),
    el('span', { class: `pill ${invite.status}`, text: SENT_WORDS[invite.status] || invite.status }))));
  $('invites-sent-empty').hidden = sent.length > 0;
  $('invites-received').replaceChildren(...received.map((call) => el('li', { 'data-invite': call.id, 'data-status': call.status },
    el('div', { class: 'grow' },
      el('div', { class: 'title', text: call.senderName || 'Someone' }),
      el('div', { class: 'muted', text: `${formatTime(call.receivedAt)} · room ${call.roomCode}` })),
    el('span', { class: `pill ${call.status}`, text: RECEIVED_WORDS[call.status] || call.status }))));
  $('invites-received-empty').hidden = received.length > 0;
  const last = sent[0];
  if (!last) {
    report('check-invites', received.length ? 'pass' : 'skip', received.length
      ? 'Calls to you arrive. No invite was sent yet: call a contact from the panel to see how its invite travels.'
      : 'No invite was sent or received yet. Call a contact from the panel, and the invite\'s way shows here.');
  } else if (last.status === 'failed') {
    report('check-invites', 'warn',
      `The last invite (to ${last.contactName || 'a contact'}) was not delivered${last.error ? ': ' + last.error : ''}. ` +
      'Check that you and the contact share a relay, or that the contact\'s gateway address is right; the panel offers a link to send by hand instead.');
  } else if (last.status === 'pending') {
    report('check-invites', 'pass', `The last invite (to ${last.contactName || 'a contact'}) is being delivered.`);
  } else {
    report('check-invites', 'pass', `The last invite (to ${last.contactName || 'a contact'}) was ${(SENT_WORDS[last.status] || last.status).toLowerCase()}.`);
  }
}

function sentDetail(invite) {
  const parts = [formatTime(invite.requestedAt), `room ${invite.roomCode}`];
  if (invite.relaysOk > 0) parts.push(`taken by ${invite.relaysOk} relay${invite.relaysOk === 1 ? '' : 's'}`);
  if (invite.status === 'failed' && invite.error) parts.push(invite.error);
  if (invite.attempts > 1) parts.push(`${invite.attempts} attempts`);
  return parts.join(' · ');
}

// MARK: - Running

async function whoIsHere() {
  try {
    await api('/api/owner');
    return true;
  } catch {
    return false;
  }
}

function reset() {
  for (const cleanup of cleanups.splice(0)) {
    try {
      cleanup();
    } catch {
      // Released already.
    }
  }
  for (const id of [...CHECKS, ...OWNER_CHECKS]) {
    const row = $(id);
    row.dataset.state = 'running';
    row.querySelector('.check-word').textContent = WORDS.running;
    row.querySelector('.check-text').textContent = '';
  }
  $('ice-candidates').replaceChildren();
  $('rerun').disabled = true;
  summarize();
}

async function runChecks() {
  generation += 1;
  const run = generation;
  reset();
  owner = await whoIsHere();
  if (!current(run)) return;
  $('owner-checks').hidden = !owner;
  $('back-to-panel').hidden = !owner;
  const secure = checkSecure();
  const signaling = checkSignaling(run);
  if (owner) {
    checkRelays(run);
    checkInvites(run);
  }
  // The ICE check runs after the device prompt: a browser shows its real addresses only to a page
  // that was given the microphone or camera (otherwise they are hidden behind .local names).
  await checkMedia(run, secure).catch((error) => {
    if (!current(run)) return;
    report('check-microphone', 'fail', describeMediaError(error, 'microphone'));
    report('check-camera', 'fail', describeMediaError(error, 'camera'));
  });
  await checkIce(run);
  await signaling;
}

window.addEventListener('pagehide', () => reset());
// Back from the browser's page cache: what the page held was released on the way out, so run again.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) runChecks();
});
$('rerun').addEventListener('click', () => runChecks());
runChecks();
