// The call page, /calls?room=<code>&token=<token>: the pre-join screen, the call, and the end screen.
// Loading the page never uses the token: only Join does (by opening the signaling socket with it).
import { api, ApiError, el, formatDuration } from './common.js';
import { LocalMedia, describeMediaError } from './media.js';
import { Mesh } from './mesh.js';
import { describe, describePath } from './quality.js';

const params = new URLSearchParams(location.search);
const room = params.get('room') || '';
const sessionKey = `crow-call:${room}`;
const $ = (id) => document.getElementById(id);
// The token leaves the address bar at once, so it stays out of the history (and synced history) and
// out of a screenshot; this tab keeps it in sessionStorage until the join has used it, so a reload
// before joining still works.
const token = params.get('token') || (loadSession() || {}).token || '';
if (params.has('token')) {
  if (token) saveSession({ token });
  history.replaceState(history.state, '', `${location.pathname}?${new URLSearchParams({ room })}`);
}

const media = new LocalMedia();
let mesh = null;
let stopMeter = () => {};
let joinedAt = 0;
let settings = { modes: [] };
let modeProblem = '';
const modes = [];

/** Plain sentences for every refusal a join can meet (docs/SIGNALING.md). */
function explain(code, retryAfter) {
  switch (code) {
    case 'room_full':
      return ['This call is full', 'Every seat in this call is taken. Try again when someone leaves.'];
    case 'token_used':
      return ['This link was already used', 'Each link lets one person in, once, and this one has been used. Ask the person who invited you for a new link.'];
    case 'token_expired':
      return ['This link has expired', 'Ask the person who invited you for a new link.'];
    case 'token_revoked':
      return ['This link was withdrawn', 'The host withdrew this link. Ask them for a new one.'];
    case 'room_ended':
      return ['This call has ended', 'The call this link was for is over.'];
    case 'room_not_found':
    case 'token_invalid':
    case 'invalid_request':
      return ['This link is not valid', 'Check that you copied the whole link, or ask for a new one.'];
    case 'rate_limited':
      return ['Too many attempts', `Too many failed attempts came from your network. Wait ${retryAfter || 60} seconds and try again.`];
    case 'unreachable':
      return ['The call server cannot be reached', 'Check your network connection, then try again.'];
    case 'storage_error':
      return ['The call server has a problem', 'It cannot read its records right now. Try again in a minute.'];
    default:
      return ['Cannot join this call', `The gateway refused the join (${code}).`];
  }
}

function show(section) {
  for (const id of ['loading', 'notice', 'prejoin', 'incall', 'ended']) $(id).hidden = id !== section;
  document.body.dataset.screen = section;
}

function notice(title, text, { retry } = {}) {
  $('notice-title').textContent = title;
  $('notice-text').textContent = text;
  $('notice-retry').hidden = !retry;
  $('notice-retry').onclick = retry || null;
  show('notice');
}

function noticeFor(error) {
  const [title, text] = explain(error.code, error.retryAfter);
  notice(title, text, { retry: error.code === 'unreachable' || error.code === 'rate_limited' ? () => location.reload() : null });
}

function saveSession(extra = {}) {
  const saved = loadSession() || {};
  sessionStorage.setItem(sessionKey, JSON.stringify({ ...saved, ...extra }));
}

function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(sessionKey) || 'null');
  } catch {
    return null;
  }
}

// MARK: - Pre-join

async function start() {
  if (!room) return notice('This link is not complete', 'The address has no room code. Open the full link you were sent.');
  if (!window.isSecureContext) {
    notice(
      'This page needs HTTPS',
      `Browsers give the microphone and camera only to secure pages. Open this call over HTTPS (https://${location.host}…), or on localhost.`,
    );
    return;
  }
  settings = await api('/calls/client.json').catch(() => settings);
  exposeForDebugging();
  modeProblem = await loadModes();
  const saved = loadSession();
  if (saved && saved.resume) return resumeAfterReload(saved);
  if (!token) return notice('This link is not complete', 'The address has no token. Open the full link you were sent.');
  let preview;
  try {
    preview = await api(`/calls/link?${new URLSearchParams({ room, token })}`);
  } catch (error) {
    return noticeFor(error);
  }
  showPrejoin(preview);
}

function showPrejoin(preview) {
  saveSession({ hostName: preview.hostName });
  const input = $('display-name');
  input.value = localStorage.getItem('crow-calls:name') || (preview.role === 'host' ? preview.hostName : '');
  const present =
    preview.peerCount === 0
      ? 'Nobody is in the call yet.'
      : `${preview.peerCount} of ${preview.maxPeers} ${preview.peerCount === 1 ? 'person is' : 'people are'} in the call.`;
  $('prejoin-host').textContent = preview.role === 'host' ? `You are hosting this call. ${present}` : `${preview.hostName} invited you. ${present}`;
  show('prejoin');
  if (modeProblem) warn(modeProblem);
  input.focus();
  wireDevices();
  media
    .openMicrophone()
    .then(() => {
      followMeter();
      fillDevices();
    })
    .catch((error) => warn(describeMediaError(error, 'microphone') + ' You can still join and listen.'));
  $('preview-camera').addEventListener('click', togglePreview);
  $('join').addEventListener('click', join);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') join();
  });
}

/** The pre-join meter follows the microphone track, also when another microphone is chosen. */
let meterTrack = null;
function followMeter() {
  if (!$('prejoin') || $('prejoin').hidden || media.audioTrack === meterTrack) return;
  stopMeter();
  meterTrack = media.audioTrack;
  stopMeter = media.meter((level) => ($('mic-meter').value = level));
}

// MARK: - Devices

/** The device pickers (before joining, and in the call behind Devices) and what follows them. */
let devicesWired = false;
function wireDevices() {
  if (devicesWired) return;
  devicesWired = true;
  for (const select of document.querySelectorAll('#devices select')) {
    select.addEventListener('change', () => chooseDevice(select));
  }
  if (!media.canChooseSpeaker) for (const row of document.querySelectorAll('.speaker-row')) row.hidden = true;
  media.addEventListener('devices', fillDevices);
  media.addEventListener('change', followMeter);
  media.addEventListener('lost', (event) => {
    const what = event.detail.kind === 'audio' ? 'microphone' : 'camera';
    const again = event.detail.kind === 'audio' ? 'Turn on mic' : 'Camera';
    const text = `Your ${what} stopped: it may have been unplugged, or another program took it. Choose another under Devices, or click ${again} to try again.`;
    if ($('incall').hidden) warn(text);
    else alertUser(text, 0);
    fillDevices();
  });
  fillDevices();
}

async function chooseDevice(select) {
  const kind = select.dataset.kind;
  const what = { audioinput: 'microphone', videoinput: 'camera', audiooutput: 'speaker' }[kind];
  select.disabled = true;
  try {
    await media.choose(kind, select.value === 'default' ? '' : select.value);
    if (kind === 'audiooutput') render();
  } catch (error) {
    const text = describeMediaError(error, what);
    if ($('incall').hidden) warn(text);
    else alertUser(text);
  } finally {
    select.disabled = false;
    fillDevices();
  }
}

/** Lists the devices the browser knows; the chosen one (or the default) is selected. */
async function fillDevices() {
  const found = await media.listDevices().catch(() => null);
  if (!found) return;
  const names = { audioinput: 'Microphone', videoinput: 'Camera', audiooutput: 'Speaker' };
  for (const select of document.querySelectorAll('#devices select')) {
    const kind = select.dataset.kind;
    const devices = found[kind];
    const chosen = media.choices[kind] || 'default';
    const options = devices.some((d) => d.id === 'default') ? [] : [{ id: 'default', label: 'Default' }];
    options.push(...devices);
    select.replaceChildren(...options.map((device, index) =>
      el('option', { value: device.id, text: device.label || `${names[kind]} ${index + 1}` })));
    select.value = options.some((o) => o.id === chosen) ? chosen : 'default';
    select.disabled = devices.length === 0;
  }
}

function warn(text) {
  $('prejoin-warning').textContent = text;
  $('prejoin-warning').hidden = !text;
}

async function togglePreview() {
  const button = $('preview-camera');
  if (button.disabled) return;
  if (media.cameraTrack) {
    media.stopCamera();
  } else {
    button.disabled = true;
    try {
      await media.startCamera();
    } catch (error) {
      if (error && error.name === 'DeviceClosed') return;
      return warn(describeMediaError(error, 'camera'));
    } finally {
      button.disabled = false;
    }
  }
  const on = Boolean(media.cameraTrack);
  button.setAttribute('aria-pressed', String(on));
  button.textContent = on ? 'Turn camera preview off' : 'Turn camera preview on';
  $('preview-video').hidden = !on;
  $('preview-placeholder').hidden = on;
  $('preview-video').srcObject = on ? new MediaStream([media.cameraTrack]) : null;
}

async function join() {
  const button = $('join');
  if (button.disabled) return;
  button.disabled = true;
  button.textContent = 'Joining…';
  const name = $('display-name').value.trim().slice(0, 64);
  if (name) localStorage.setItem('crow-calls:name', name);
  // Video stays off until the camera is turned on in the call.
  if (media.cameraTrack) media.stopCamera();
  $('preview-video').srcObject = null;
  if (!media.audioTrack) await media.openMicrophone().catch(() => {});
  mesh = newMesh();
  try {
    await mesh.connect({ token, name });
  } catch {
    // The browser hides why an upgrade was refused; the link check says.
    mesh.teardown();
    mesh = null;
    button.disabled = false;
    button.textContent = 'Join Call';
    try {
      await api(`/calls/link?${new URLSearchParams({ room, token })}`);
      return notice('Could not join', 'The call server did not accept the connection. Try again.', { retry: () => location.reload() });
    } catch (error) {
      return noticeFor(error);
    }
  }
  stopMeter();
  joinedAt = Date.now();
  // The token is spent: the resume secret of the welcome takes its place.
  saveSession({ joinedAt, name, token: null });
  enterCall();
}

async function resumeAfterReload(saved) {
  $('loading').textContent = 'Reconnecting to the call…';
  joinedAt = saved.joinedAt || Date.now();
  if (saved.audio === false) media.setAudioEnabled(false);
  await media.openMicrophone().catch(() => {});
  mesh = newMesh();
  try {
    await mesh.connect({ resume: saved.resume });
  } catch {
    sessionStorage.removeItem(sessionKey);
    mesh.teardown();
    mesh = null;
    media.stopAll();
    notice('You left this call', 'You were away too long to take your seat back, and your link has been used.');
    return offerRejoin($('notice-text'), saved.hostName);
  }
  enterCall();
}

function newMesh() {
  const made = new Mesh({ room, media, grace: Number(settings.resumeGraceMs) || 20000 });
  mesh = made;
  wireMesh();
  return made;
}

/**
 * A way back into a call this page lost its seat in. The owner gets a fresh host link from the panel's
 * API (the page is on the gateway's own origin, so the owner's session comes along); anyone else is
 * told whom to ask.
 */
function offerRejoin(after, hostName) {
  const box = el('div', { class: 'rejoin' });
  const button = el('button', { type: 'button', class: 'primary', id: 'rejoin', text: 'Rejoin' });
  const text = el('p', { class: 'muted', id: 'rejoin-text', hidden: true });
  button.addEventListener('click', () =>
    whileBusy(button, async () => {
      try {
        const link = await api(`/api/rooms/${encodeURIComponent(room)}/host-link`, { method: 'POST' });
        sessionStorage.removeItem(sessionKey);
        location.assign(`/calls?${new URLSearchParams({ room, token: link.token })}`);
      } catch (error) {
        text.hidden = false;
        text.textContent =
          error.status === 401 || error.status === 403
            ? `Only the host can make a new link. Ask ${hostName || 'the person who invited you'} for one.`
            : error.code === 'room_ended' || error.status === 410
              ? 'This call has ended.'
              : `A new link could not be made (${error.code}). Try again in a moment.`;
      }
    }));
  box.append(button, text);
  document.getElementById('rejoin-box')?.remove();
  box.id = 'rejoin-box';
  after.after(box);
}

// MARK: - In the call

function wireMesh() {
  mesh.addEventListener('welcome', (event) => saveSession({ resume: event.detail.resume, peerId: event.detail.peerId }));
  mesh.addEventListener('peers', render);
  mesh.addEventListener('media', render);
  mesh.addEventListener('reconnecting', () => status('Connection lost. Reconnecting…'));
  mesh.addEventListener('reconnected', () => status(''));
  mesh.addEventListener('ended', (event) => ended(event.detail.reason));
  mesh.addEventListener('problem', (event) => alertUser(event.detail));
  media.addEventListener('change', () => {
    saveSession({ audio: media.audioEnabled });
    updateControls();
    render();
  });
}

function enterCall() {
  show('incall');
  // Closing the tab says goodbye (see Mesh.away); a reload still resumes the seat.
  window.addEventListener('pagehide', () => {
    if (mesh) mesh.away();
  });
  $('toggle-mic').onclick = toggleMic;
  wireDevices();
  $('devices-panel').append($('devices'));
  $('toggle-devices').onclick = () => {
    const open = $('devices-panel').hidden;
    $('devices-panel').hidden = !open;
    $('toggle-devices').setAttribute('aria-expanded', String(open));
    if (open) fillDevices();
  };
  $('toggle-camera').onclick = toggleCamera;
  $('toggle-screen').hidden = !media.canShareScreen;
  $('toggle-screen').onclick = toggleScreen;
  $('hangup').onclick = hangUp;
  for (const mode of modes) addModeButton(mode);
  if (!media.audioTrack) alertUser('No microphone: you can listen, but the others cannot hear you. Click Turn on mic to try again.', 0);
  updateControls();
  render();
}

/** The line above the tiles: waiting for others, or reconnecting. */
function status(text) {
  $('call-status').textContent = text;
}

let alertTimer = null;

/** A problem the person should read (a denied camera, a failed mode); hides after `ms` (0: stays). */
function alertUser(text, ms = 8000) {
  const box = $('call-alert');
  box.textContent = text;
  box.hidden = !text;
  showCheckLink();
  clearTimeout(alertTimer);
  if (ms > 0) {
    alertTimer = setTimeout(() => {
      box.hidden = true;
      showCheckLink();
    }, ms);
  }
}

/** The self-test page's link shows beside any problem in the call. */
function showCheckLink() {
  $('call-check').hidden = $('call-alert').hidden && $('call-path').hidden;
}

/** Runs `action` with `button` disabled, so a second click cannot start a second request. */
async function whileBusy(button, action) {
  if (button.disabled) return;
  button.disabled = true;
  try {
    await action();
  } finally {
    button.disabled = false;
  }
}

/** Mutes and unmutes; without a microphone (denied, or lost), asks the browser for one again. */
async function toggleMic() {
  if (media.audioTrack) return media.setAudioEnabled(!media.audioEnabled);
  await whileBusy($('toggle-mic'), async () => {
    try {
      media.setAudioEnabled(true);
      await media.openMicrophone();
      alertUser('');
      fillDevices();
    } catch (error) {
      if (!error || error.name !== 'DeviceClosed') alertUser(describeMediaError(error, 'microphone'), 0);
    }
  });
}

async function toggleCamera() {
  if (media.cameraTrack) return media.stopCamera();
  await whileBusy($('toggle-camera'), async () => {
    try {
      await media.startCamera();
    } catch (error) {
      if (!error || error.name !== 'DeviceClosed') alertUser(describeMediaError(error, 'camera'));
    }
  });
}

async function toggleScreen() {
  if (media.screenTrack) return media.stopScreen();
  await whileBusy($('toggle-screen'), async () => {
    try {
      await media.startScreen();
    } catch (error) {
      // Cancelling the browser's picker is not an error worth a message.
      if (error && error.name !== 'NotAllowedError' && error.name !== 'DeviceClosed') alertUser(describeMediaError(error, 'screen capture'));
    }
  });
}

/** Loads the configured call modes; returns a sentence about those that failed (empty when none did). */
async function loadModes() {
  const failed = [];
  for (const entry of settings.modes || []) {
    try {
      const module = await import(entry.module);
      const mode = module.default;
      if (mode && typeof mode.start === 'function') {
        modes.push({ name: entry.name, label: String(mode.label || entry.name), start: mode.start.bind(mode) });
      } else {
        failed.push(entry.name);
      }
    } catch {
      failed.push(entry.name);
    }
  }
  if (failed.length === 0) return '';
  return `The call mode${failed.length === 1 ? '' : 's'} ${failed.map((name) => `"${name}"`).join(', ')} could not be loaded, so ${failed.length === 1 ? 'its button is' : 'their buttons are'} missing. The gateway's owner can check CROW_CALLS_MODES.`;
}

function addModeButton(mode) {
  const button = el('button', { type: 'button', 'aria-label': mode.label, 'aria-pressed': 'false', 'data-mode': mode.name },
    modeIcon(), el('span', { class: 'label', text: mode.label }));
  button.addEventListener('click', async () => {
    if (media.modeHandle && button.getAttribute('aria-pressed') === 'true') return media.stopMode();
    await whileBusy(button, async () => {
      try {
        await media.startMode(mode);
        for (const other of document.querySelectorAll('[data-mode]')) other.setAttribute('aria-pressed', 'false');
        button.setAttribute('aria-pressed', 'true');
      } catch (error) {
        if (!error || error.name !== 'DeviceClosed') alertUser((error && error.message) || `The mode ${mode.label} failed.`);
      }
    });
  });
  media.addEventListener('change', () => {
    if (!media.modeHandle) button.setAttribute('aria-pressed', 'false');
  });
  $('mode-buttons').append(button);
}

/** A sparkle, drawn with DOM calls (the page allows no inline markup from scripts). */
function modeIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({ class: 'icon', 'aria-hidden': 'true', viewBox: '0 0 24 24', width: '22', height: '22',
    fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linejoin': 'round' })) svg.setAttribute(k, v);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M12 3l2 6 6 2-6 2-2 6-2-6-6-2 6-2z');
  svg.append(path);
  return svg;
}

function updateControls() {
  const state = media.state;
  const mic = $('toggle-mic');
  mic.setAttribute('aria-pressed', String(state.audio));
  mic.querySelector('.label').textContent = !media.audioTrack ? 'Turn on mic' : state.audio ? 'Mute' : 'Unmute';
  mic.classList.toggle('off', !state.audio);
  const camera = $('toggle-camera');
  camera.setAttribute('aria-pressed', String(Boolean(media.cameraTrack)));
  camera.querySelector('.label').textContent = media.cameraTrack ? 'Stop camera' : 'Camera';
  const screen = $('toggle-screen');
  screen.setAttribute('aria-pressed', String(state.screen));
  screen.querySelector('.label').textContent = state.screen ? 'Stop sharing' : 'Share';
}

/** One tile per participant, self first; each shows the name and what their media is doing. */
function render() {
  if (!mesh) return;
  const grid = $('grid');
  const wanted = [{ id: 'self', self: true }, ...[...mesh.peers.keys()].map((id) => ({ id, self: false }))];
  const keep = new Set(wanted.map((w) => w.id));
  for (const tile of [...grid.children]) if (!keep.has(tile.dataset.peer)) tile.remove();
  for (const { id, self } of wanted) {
    let tile = grid.querySelector(`[data-peer="${CSS.escape(id)}"]`);
    if (!tile) {
      tile = makeTile(id, self);
      grid.append(tile);
    }
    updateTile(tile, self ? selfInfo() : mesh.peers.get(id), self ? null : mesh.links.get(id));
  }
  grid.dataset.count = String(wanted.length);
  showPathProblem();
  const others = mesh.peers.size;
  if (!mesh.ended && !$('call-status').textContent.startsWith('Connection lost')) {
    status(others === 0 ? 'Waiting for others to join…' : '');
  }
}

/**
 * When a connection has found no path for a while (see NO_PATH_MS), says so in plain words, naming the
 * setting that fixes it, instead of "Connecting" for ever. The connections keep trying meanwhile.
 */
function showPathProblem() {
  const box = $('call-path');
  const stuck = [...mesh.links.values()].filter((link) => link.noPath && mesh.peers.has(link.peerId));
  if (stuck.length === 0) {
    box.hidden = true;
    box.textContent = '';
    showCheckLink();
    return;
  }
  const names = stuck.map((link) => (mesh.peers.get(link.peerId) || {}).name || 'Guest').join(', ');
  box.textContent = mesh.hasRelay
    ? `No connection to ${names}, not even through this gateway's TURN server. Check that the TURN server (CROW_TURN_URLS) is running and that both networks can reach it. Still trying…`
    : `No connection to ${names}: your browsers cannot reach each other directly, and this gateway has no TURN server to relay the call between your networks. The gateway's owner can add one with CROW_TURN_URLS and CROW_TURN_SECRET. Still trying…`;
  box.hidden = false;
  showCheckLink();
}

function selfInfo() {
  const saved = loadSession() || {};
  return { name: `${saved.name || 'You'} (you)`, ...media.state };
}

function makeTile(id, self) {
  const video = el('video', { autoplay: true, playsinline: true, class: 'tile-video' });
  video.muted = self;
  const tile = el('figure', { class: 'tile', 'data-peer': id },
    video,
    el('div', { class: 'avatar', 'aria-hidden': 'true' }),
    el('figcaption', {},
      el('span', { class: 'who' }, el('span', { class: 'name' }), el('span', { class: 'quality', hidden: true })),
      el('span', { class: 'badges' },
        el('span', { class: 'badge poor', hidden: true }),
        el('span', { class: 'badge mic-off', text: 'Muted', hidden: true }),
        el('span', { class: 'badge cam-on', text: 'Camera', hidden: true }),
        el('span', { class: 'badge screen-on', text: 'Screen', hidden: true }),
        el('span', { class: 'badge conn', hidden: true }))));
  if (!self) {
    video.addEventListener('loadedmetadata', () => video.play().catch(() => offerSound(video)));
  }
  return tile;
}

function offerSound(video) {
  if (document.getElementById('allow-sound')) return;
  const button = el('button', { id: 'allow-sound', type: 'button', class: 'primary', text: 'Allow sound' });
  button.addEventListener('click', () => {
    for (const v of document.querySelectorAll('.tile-video')) v.play().catch(() => {});
    button.remove();
  });
  $('call-status').after(button);
  video.dataset.blocked = 'true';
}

function updateTile(tile, info, link) {
  if (!info) return;
  const video = tile.querySelector('video');
  const self = tile.dataset.peer === 'self';
  const stream = self ? (media.videoTrack ? new MediaStream([media.videoTrack]) : null) : link ? link.stream : null;
  if (self) {
    const track = media.videoTrack;
    if (!track) video.srcObject = null;
    else if (!video.srcObject || video.srcObject.getVideoTracks()[0] !== track) video.srcObject = stream;
  } else if (stream && video.srcObject !== stream) {
    video.srcObject = stream;
  }
  if (!self && media.canChooseSpeaker && (video.dataset.sink ?? '') !== media.speaker) {
    video.dataset.sink = media.speaker;
    video.setSinkId(media.speaker).catch((error) => alertUser(describeMediaError(error, 'speaker')));
  }
  const showsVideo = Boolean(info.video || info.screen);
  tile.classList.toggle('has-video', showsVideo);
  tile.classList.toggle('screen', Boolean(info.screen));
  tile.querySelector('.name').textContent = info.name || 'Guest';
  tile.querySelector('.avatar').textContent = initials(info.name || 'Guest');
  tile.querySelector('.mic-off').hidden = info.audio !== false;
  tile.querySelector('.cam-on').hidden = !info.video;
  tile.querySelector('.screen-on').hidden = !info.screen;
  tile.setAttribute('aria-label', `${info.name || 'Guest'}: microphone ${info.audio === false ? 'off' : 'on'}, camera ${info.video ? 'on' : 'off'}${info.screen ? ', sharing screen' : ''}`);
  tile.dataset.audio = String(info.audio !== false);
  tile.dataset.video = String(Boolean(info.video));
  tile.dataset.screen = String(Boolean(info.screen));
  const conn = tile.querySelector('.conn');
  if (link) {
    const state = link.state;
    tile.dataset.connection = state;
    conn.hidden = state === 'connected';
    conn.textContent = link.noPath ? 'No connection' : state === 'failed' || state === 'disconnected' ? 'Reconnecting' : 'Connecting';
    showQuality(tile, link.quality);
  }
}

/**
 * The connection's figures in one quiet line under the name (round trip, loss, bitrate received, the
 * path), and a badge when they get poor or bad. The figures are also on the tile's data attributes.
 */
function showQuality(tile, quality) {
  const line = tile.querySelector('.quality');
  const badge = tile.querySelector('.poor');
  line.hidden = !quality;
  badge.hidden = !quality || quality.level === 'good';
  if (!quality) {
    delete tile.dataset.quality;
    return;
  }
  line.textContent = describe(quality);
  line.title = `Round trip ${quality.rttMs ?? '?'} ms, ${Math.round(quality.loss * 100)}% of packets lost, ${quality.kbpsIn} kb/s received and ${quality.kbpsOut} kb/s sent, ${describePath(quality.path)}`;
  badge.textContent = quality.level === 'bad' ? 'Bad connection' : 'Poor connection';
  badge.classList.toggle('bad', quality.level === 'bad');
  Object.assign(tile.dataset, {
    quality: quality.level,
    rtt: String(quality.rttMs ?? ''),
    loss: String(quality.loss),
    kbpsIn: String(quality.kbpsIn),
    kbpsOut: String(quality.kbpsOut),
    path: quality.path || '',
  });
}

function initials(name) {
  const parts = name.replace(/\(you\)$/, '').trim().split(/\s+/).filter(Boolean);
  return (parts.slice(0, 2).map((part) => [...part][0]).join('') || '?').toUpperCase();
}

async function hangUp() {
  if (mesh) mesh.leave();
  ended('hangup');
}

function ended(reason) {
  const { hostName } = loadSession() || {};
  media.stopAll();
  stopMeter();
  sessionStorage.removeItem(sessionKey);
  const texts = {
    hangup: ['You left the call', ''],
    closed: ['Call ended', 'The host ended the call.'],
    expired: ['Call ended', 'The call reached its time limit.'],
    ended: ['Call ended', 'This call has ended.'],
    elsewhere: ['Call continued elsewhere', 'You joined this call from another tab or device, so this one left it.'],
    lost: ['Connection lost', 'The connection to the call was lost and could not be restored in time to keep your seat.'],
  };
  const [title, text] = texts[reason] || texts.ended;
  $('ended-title').textContent = title;
  $('ended-text').textContent = text;
  $('ended-duration').textContent = joinedAt ? `Duration ${formatDuration(Date.now() - joinedAt)}` : '';
  for (const video of document.querySelectorAll('video')) video.srcObject = null;
  show('ended');
  $('ended-check').hidden = reason !== 'lost';
  if (reason === 'lost') offerRejoin($('ended-duration'), hostName);
}

/**
 * For the browser tests and for debugging in the console: the live objects of this page, only where
 * the gateway's `CROW_CALLS_DEBUG` is on. They hold the seat's resume secret, which a script running
 * in the page should not be handed for free.
 */
function exposeForDebugging() {
  if (!settings.debug) return;
  window.crowCall = {
    get mesh() {
      return mesh;
    },
    media,
  };
}

start().catch((error) => {
  console.error(error);
  noticeFor(error instanceof ApiError ? error : { code: 'unreachable' });
});
