// The Calls panel, /calls for the signed-in owner: incoming calls, live rooms, contacts with Call
// buttons, call history and settings. Everything comes from the JSON API (docs/API.md); names and
// links from other machines are shown as text.
import { api, ApiError, copyText, el, formatDuration, formatTime, openTabSoon, safeURL } from './common.js';

const $ = (id) => document.getElementById(id);
let settings = { bellPollSeconds: 60, iceServers: { stun: false, turn: false } };
/** The public address as `/api/settings/address` answers; `address` null means links to others are off. */
let publicAddress = { address: null, source: null, saved: null, suggestions: [] };
let historyCursor = null;
/** Guest links shown under a room or contact, kept across the lists' refreshes (key → [url, caption]). */
const shownLinks = new Map();

function ownerName() {
  return (localStorage.getItem('crow-calls:name') || '').trim() || 'Host';
}

function problem(error) {
  if (error instanceof ApiError && error.code === 'unauthorized') {
    location.assign('/login');
    return;
  }
  const box = $('panel-error');
  box.textContent = error ? error.message || String(error) : '';
  box.hidden = !error;
}

// MARK: - Incoming

async function loadIncoming() {
  const { calls } = await api('/api/calls/incoming');
  const list = $('incoming-list');
  list.replaceChildren(...calls.map(incomingRow));
  $('incoming-empty').hidden = calls.length > 0;
}

function incomingRow(call) {
  const url = safeURL(call.joinUrl);
  const act = (action) => async () => {
    const go = action === 'accept' && url ? openTabSoon() : null;
    try {
      if (!(action === 'accept' && call.status === 'accepted')) {
        await api(`/api/calls/incoming/${encodeURIComponent(call.id)}/${action}`, { method: 'POST' });
      }
      if (go) go(url);
      problem(null);
    } catch (error) {
      if (go) go(null);
      problem(error);
    }
    loadIncoming().catch(problem);
  };
  // A call that rang out keeps its link until the caller withdraws it (`joinable`). An accepted call's
  // link was opened already and admits one person once: Call back starts a fresh call instead.
  const linkArea = el('div', { class: 'full', hidden: true });
  const joinable = call.joinable ?? call.status === 'ringing';
  return el('li', { 'data-invite': call.id },
    el('div', { class: 'grow' },
      el('div', { class: 'title', text: call.senderName || 'Someone' }),
      el('div', { class: 'muted small', text: `${formatTime(call.receivedAt)} · room ${call.roomCode}` })),
    el('span', { class: `pill ${call.status}`, text: call.status }),
    joinable ? el('button', { type: 'button', class: 'primary', onclick: act('accept'), text: 'Join', disabled: !url }) : null,
    call.status === 'accepted' ? el('button', { type: 'button', class: 'primary', onclick: () => callBack(call, linkArea), text: 'Call back' }) : null,
    el('button', { type: 'button', onclick: act('dismiss'), text: 'Dismiss' }),
    call.status === 'ringing' ? el('button', { type: 'button', class: 'link', onclick: act('decline'), text: 'Decline' }) : null,
    linkArea);
}

/** Calls the contact who called: a new room and a new invite, since their link was used already. */
async function callBack(call, linkArea) {
  let contacts;
  try {
    ({ contacts } = await api('/api/contacts'));
  } catch (error) {
    return problem(error);
  }
  const contact = contacts.find((c) => c.pubkey === call.senderPubkey);
  if (!contact) {
    linkArea.replaceChildren(el('p', { class: 'error', role: 'alert', text: `${call.senderName || 'This caller'} is no longer in your contacts, so they cannot be called back from here.` }));
    linkArea.hidden = false;
    return;
  }
  await callContact(contact, linkArea);
}

// MARK: - Live rooms

async function loadRooms() {
  const { rooms } = await api('/api/rooms');
  const details = await Promise.all(rooms.map((room) => api(`/api/rooms/${room.code}`).catch(() => ({ room, peers: [] }))));
  $('rooms-list').replaceChildren(...details.map(roomRow));
  $('rooms-empty').hidden = rooms.length > 0;
}

function roomRow({ room, peers }) {
  const linkArea = el('div', { class: 'full', hidden: true });
  const names = peers.map((peer) => peer.name).join(', ');
  const copy = async () => {
    try {
      const guest = await api(`/api/rooms/${room.code}/invites`, { method: 'POST', body: {} });
      showLink(linkArea, `room:${room.code}`, guest.callUrl, 'New single-use guest link');
    } catch (error) {
      if (error instanceof ApiError && error.code === 'public_address_needed') {
        showAddressNeeded(linkArea, 'No link made: it would open only on this computer, because this gateway does not know the address other people reach it at. Set the public address in Settings first.');
      } else {
        problem(error);
      }
    }
  };
  // Back into the call as its host (after closing the call's tab): a fresh host link, opened at once.
  const rejoin = async () => {
    const go = openTabSoon();
    try {
      const host = await api(`/api/rooms/${room.code}/host-link`, { method: 'POST' });
      go(host.callUrl);
      problem(null);
    } catch (error) {
      go(null);
      problem(error);
    }
  };
  const close = async () => {
    if (!confirm(`End the call in room ${room.code}? Everyone in it is disconnected.`)) return;
    try {
      await api(`/api/rooms/${room.code}/close`, { method: 'POST' });
    } catch (error) {
      problem(error);
    }
    loadRooms().catch(problem);
  };
  restoreLink(linkArea, `room:${room.code}`);
  return el('li', { 'data-room': room.code },
    el('div', { class: 'grow' },
      el('div', { class: 'title', text: `${room.hostName} · ${room.peerCount} of ${room.maxPeers}` }),
      el('div', { class: 'muted small', text: names ? `In the call: ${names}` : 'Nobody is in the call yet.' })),
    el('button', { type: 'button', onclick: rejoin, text: 'Rejoin as host' }),
    el('button', { type: 'button', onclick: copy, text: 'Copy link' }),
    el('button', { type: 'button', class: 'link', onclick: close, text: 'End' }),
    linkArea);
}

/** Shows a guest link with a copy button; copies it at once when the browser allows. */
async function showLink(area, key, url, caption) {
  shownLinks.set(key, [url, caption]);
  renderLink(area, url, caption);
  area.querySelector('[role=status]').textContent = (await copyText(url)) ? 'Copied to the clipboard' : '';
  area.querySelector('input').select();
}

function restoreLink(area, key) {
  const shown = shownLinks.get(key);
  if (shown) renderLink(area, ...shown);
}

function renderLink(area, url, caption) {
  const input = el('input', { type: 'text', class: 'link-box', readonly: true, value: url, 'aria-label': caption });
  const note = el('span', { class: 'copied', role: 'status' });
  const copyAgain = el('button', { type: 'button', text: 'Copy', onclick: async () => {
    note.textContent = (await copyText(url)) ? 'Copied' : 'Select the link and copy it';
  } });
  area.replaceChildren(el('div', { class: 'muted small', text: caption }), input, el('div', { class: 'row' }, copyAgain, note));
  area.hidden = false;
}

// MARK: - Contacts

async function loadContacts() {
  const { contacts } = await api('/api/contacts');
  $('contacts-list').replaceChildren(...contacts.map(contactRow));
  $('contacts-empty').hidden = contacts.length > 0;
}

function contactRow(contact) {
  const linkArea = el('div', { class: 'full', hidden: true });
  restoreLink(linkArea, `contact:${contact.id}`);
  const row = el('li', { 'data-contact': contact.id },
    el('div', { class: 'grow' },
      el('div', { class: 'title', text: contact.name }),
      el('div', { class: 'muted small', text: `${contact.npub.slice(0, 16)}…${contact.npub.slice(-6)} · ${contact.transport}` }),
    ),
    el('button', { type: 'button', class: 'primary', text: 'Call', onclick: () => callContact(contact, linkArea) }),
    el('button', { type: 'button', text: 'Edit', onclick: () => editContact(row, contact) }),
    el('button', { type: 'button', class: 'link', text: 'Remove', onclick: () => removeContact(contact) }),
    linkArea);
  return row;
}

/**
 * Calls a contact: the room is created with `contact`, the call opens in a new tab, and the gateway's
 * outbox delivers the invite over Nostr; the row follows its delivery (and offers a link to send by
 * hand if it fails).
 */
async function callContact(contact, linkArea) {
  if (!publicAddress.address) {
    showAddressNeeded(linkArea, `Not called: ${contact.name} could not open a link to this gateway, because it does not know the address other people reach it at. Set the public address in Settings, then call again.`);
    return;
  }
  const go = openTabSoon();
  try {
    const room = await api('/api/rooms', { method: 'POST', body: { hostName: ownerName(), contact: contact.id } });
    go(room.callUrl);
    followInvite(linkArea, room.roomCode, contact);
    problem(null);
    loadRooms().catch(problem);
  } catch (error) {
    go(null);
    problem(error);
  }
}

/** Shows how the invite's delivery goes, until it is settled; on failure offers a link to send by hand. */
async function followInvite(area, roomCode, contact) {
  const line = el('p', { class: 'muted small', role: 'status', text: `Sending the invite to ${contact.name}…` });
  area.replaceChildren(line);
  area.hidden = false;
  for (let round = 0; round < 90; round += 1) {
    let invite;
    try {
      invite = (await api(`/api/rooms/${roomCode}`)).invites[0];
    } catch {
      invite = null;
    }
    if (invite && invite.status === 'sent') {
      line.textContent = `Invite delivered to ${invite.relaysOk} relay${invite.relaysOk === 1 ? '' : 's'}. ${contact.name} can join from their gateway.`;
      return;
    }
    if (invite && invite.status !== 'pending') {
      line.textContent = `The invite was not delivered: ${invite.error || invite.status}.`;
      line.className = 'error';
      const fallback = el('button', { type: 'button', text: 'Get a link to send instead', onclick: async () => {
        const guest = await api(`/api/rooms/${roomCode}/invites`, { method: 'POST', body: { label: contact.name } }).catch(problem);
        if (guest) showLink(area, `contact:${contact.id}`, guest.callUrl, `Send this link to ${contact.name}: it lets them in once.`);
      } });
      area.append(fallback);
      return;
    }
    if (invite && invite.attempts > 0) line.textContent = `Sending the invite to ${contact.name}… (try ${invite.attempts + 1})`;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function editContact(row, contact) {
  const name = el('input', { type: 'text', value: contact.name, 'aria-label': 'Name', maxlength: 200 });
  const pubkey = el('input', { type: 'text', value: contact.npub, 'aria-label': 'Public key', spellcheck: 'false' });
  const relays = el('textarea', { rows: 2, 'aria-label': 'Relays, one per line', spellcheck: 'false' });
  relays.value = contact.relays.join('\n');
  const transport = el('select', { 'aria-label': 'Invite transport' },
    el('option', { value: 'nip17', text: 'NIP-17 direct message', selected: contact.transport === 'nip17' }),
    el('option', { value: 'crow', text: 'Crow gateway inbox', selected: contact.transport === 'crow' }));
  const error = el('p', { class: 'error', role: 'alert', hidden: true });
  const form = el('form', { class: 'form-grid full', novalidate: true },
    el('div', {}, name), el('div', {}, pubkey), el('div', { class: 'full' }, relays), el('div', {}, transport),
    el('div', { class: 'full' }, error,
      el('div', { class: 'row' },
        el('button', { type: 'submit', class: 'primary', text: 'Save' }),
        el('button', { type: 'button', text: 'Cancel', onclick: () => loadContacts().catch(problem) }))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api(`/api/contacts/${contact.id}`, { method: 'PATCH', body: {
        name: name.value, pubkey: pubkey.value.trim(), relays: lines(relays.value), transport: transport.value,
      } });
      await loadContacts();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
  row.replaceChildren(form);
  name.focus();
}

async function removeContact(contact) {
  if (!confirm(`Remove ${contact.name} from your contacts?`)) return;
  try {
    await api(`/api/contacts/${contact.id}`, { method: 'DELETE' });
  } catch (error) {
    problem(error);
  }
  loadContacts().catch(problem);
}

function lines(text) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean);
}

async function addContact(event) {
  event.preventDefault();
  const form = event.target;
  const error = $('contact-error');
  try {
    await api('/api/contacts', { method: 'POST', body: {
      name: form.elements.name.value,
      pubkey: form.elements.pubkey.value.trim(),
      relays: lines(form.elements.relays.value),
      transport: form.elements.transport.value,
    } });
    form.reset();
    error.hidden = true;
    await loadContacts();
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  }
}

// MARK: - History

const outcomes = {
  ongoing: 'In progress', answered: 'Answered', unanswered: 'Nobody joined', ringing: 'Ringing',
  accepted: 'Accepted', declined: 'Declined', dismissed: 'Dismissed', missed: 'Missed',
};

async function loadHistory({ more = false } = {}) {
  const query = new URLSearchParams({ limit: '20' });
  if (more && historyCursor) query.set('before', historyCursor);
  const page = await api(`/api/calls/history?${query}`);
  const rows = page.calls.map((call) => el('tr', { 'data-call': call.callId },
    el('td', { text: formatTime(call.startedAt) }),
    el('td', {}, el('div', { text: call.counterpart || '—' }),
      el('div', { class: 'muted small', text: call.direction === 'incoming' ? 'Incoming' : 'Outgoing' })),
    el('td', { class: 'opt', text: call.participants.join(', ') || '—' }),
    el('td', { text: outcomes[call.outcome] || call.outcome }),
    el('td', { class: 'opt', text: call.durationMs ? formatDuration(call.durationMs) : '—' })));
  if (more) $('history-rows').append(...rows);
  else $('history-rows').replaceChildren(...rows);
  historyCursor = page.next || null;
  $('history-more').hidden = !historyCursor;
  $('history-empty').hidden = $('history-rows').children.length > 0;
}

// MARK: - Start

async function newCall() {
  const go = openTabSoon();
  try {
    const room = await api('/api/rooms', { method: 'POST', body: { hostName: ownerName() } });
    go(room.callUrl);
    loadRooms().catch(problem);
  } catch (error) {
    go(null);
    problem(error);
  }
}

function setupSettings() {
  const input = $('owner-name');
  input.value = localStorage.getItem('crow-calls:name') || '';
  input.addEventListener('change', () => {
    localStorage.setItem('crow-calls:name', input.value.trim().slice(0, 64));
    $('owner-name-saved').hidden = false;
    setTimeout(() => ($('owner-name-saved').hidden = true), 1500);
  });
  $('settings-invites').textContent =
    'Calling a contact sends them an invite over Nostr, through their relays and this gateway\'s relays.';
  const ice = settings.iceServers || { stun: false, turn: false };
  const iceLine = $('settings-ice');
  if (ice.turn) {
    iceLine.textContent = 'A TURN server relays calls between browsers that cannot reach each other directly.';
  } else {
    iceLine.className = 'warning small';
    iceLine.textContent = ice.stun
      ? 'No TURN server is configured: a call between two networks whose routers do not let browsers reach each other shows "No connection". Set CROW_TURN_URLS and CROW_TURN_SECRET to relay such calls.'
      : 'No STUN or TURN server is configured: calls connect only between browsers that can reach each other directly (on one network or one tailnet). For calls across the internet, set CROW_STUN_URLS, and CROW_TURN_URLS with CROW_TURN_SECRET.';
  }
  $('settings-bell').textContent = `Open pages check for incoming calls instantly over a live stream, and every ${settings.bellPollSeconds} s as a fallback.`;
}

// MARK: - Public address

/** Instead of a link that would open only on this computer: what to set, with a way there. */
function showAddressNeeded(area, text) {
  const line = el('p', { class: 'error', role: 'alert', text });
  const go = el('button', { type: 'button', text: 'Set the public address', onclick: () => {
    $('public-address-title').scrollIntoView();
    $('public-address').focus();
  } });
  area.replaceChildren(line, go);
  area.hidden = false;
}

async function loadAddress() {
  showAddress(await api('/api/settings/address'));
}

function showAddress(answer) {
  publicAddress = answer;
  $('address-warning').hidden = Boolean(answer.address);
  const current = $('address-current');
  if (answer.source === 'configured') {
    current.textContent = `Links use ${answer.address}, set by CROW_GATEWAY_URL (it wins over the address saved here).`;
  } else if (answer.address) {
    current.textContent = `Links use ${answer.address}.`;
  } else {
    current.textContent = 'Not set: calls to contacts and guest links are off until it is.';
  }
  $('address-suggestions').replaceChildren(...answer.suggestions.map((url) => el('option', { value: url })));
  const input = $('public-address');
  if (document.activeElement !== input) input.value = answer.saved || (answer.address ? '' : answer.suggestions[0] || '');
}

async function saveAddress(event) {
  event.preventDefault();
  const error = $('address-error');
  error.hidden = true;
  try {
    showAddress(await api('/api/settings/address', { method: 'PUT', body: { address: $('public-address').value.trim() } }));
    $('address-saved-note').hidden = false;
    setTimeout(() => ($('address-saved-note').hidden = true), 1500);
  } catch (failure) {
    if (failure instanceof ApiError && failure.code === 'unauthorized') return problem(failure);
    error.textContent = failure.message;
    error.hidden = false;
  }
}

// MARK: - Relays

async function loadRelays() {
  showRelays(await api('/api/nostr/relays'));
}

function showRelays(answer) {
  const rows = answer.relays.map((relay) => el('li', { 'data-relay': relay.url },
    el('code', { class: 'grow', text: relay.url }),
    el('span', { class: `muted small status-${relay.status}`, text: relay.status === 'subscribed' ? 'Listening' : 'Connecting…' }),
    el('span', { class: 'muted small', text: relay.source === 'configured' ? 'from the configuration' : 'saved here' })));
  $('relays-list').replaceChildren(...rows);
  if (rows.length === 0) $('relays-list').replaceChildren(el('li', { class: 'muted small', text: 'No relays: invites go only to the contacts\' own relays.' }));
  const input = $('relays-saved');
  if (document.activeElement !== input) input.value = answer.saved.join('\n');
}

async function saveRelays(event) {
  event.preventDefault();
  const error = $('relays-error');
  error.hidden = true;
  try {
    showRelays(await api('/api/nostr/relays', { method: 'PUT', body: { relays: lines($('relays-saved').value) } }));
    $('relays-saved-note').hidden = false;
    setTimeout(() => ($('relays-saved-note').hidden = true), 1500);
    // New relays connect within a moment: show their state once they did.
    setTimeout(() => loadRelays().catch(problem), 2000);
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  }
}

// MARK: - Web Push

/** The applicationServerKey for pushManager.subscribe: the VAPID key's bytes. */
function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/**
 * The service worker's registration, once its worker is active (push needs an active worker). The
 * panel itself (/calls) is outside the worker's scope (/calls/), so `navigator.serviceWorker.ready`
 * would never settle here: this waits on the worker's own state instead, for at most 10 s.
 */
async function pushRegistration() {
  const registration = await navigator.serviceWorker.register('/calls/sw.js', { scope: '/calls/' });
  const worker = registration.installing || registration.waiting;
  if (!registration.active && worker) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the service worker did not start')), 10000);
      worker.addEventListener('statechange', () => {
        if (worker.state === 'activated') { clearTimeout(timer); resolve(); }
        if (worker.state === 'redundant') { clearTimeout(timer); reject(new Error('the service worker could not be installed')); }
      });
    });
  }
  return registration;
}

async function showPushState() {
  const toggle = $('push-toggle');
  const status = $('push-status');
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !window.isSecureContext) {
    toggle.disabled = true;
    status.textContent = window.isSecureContext
      ? 'This browser cannot receive push notifications.'
      : 'Push notifications need HTTPS (or this machine\'s own address).';
    return;
  }
  const registration = await navigator.serviceWorker.getRegistration('/calls/');
  const subscription = registration ? await registration.pushManager.getSubscription() : null;
  toggle.textContent = subscription ? 'Turn off notifications' : 'Turn on notifications';
  toggle.dataset.on = subscription ? '1' : '';
  $('push-test').hidden = !subscription;
  if (!status.textContent || status.dataset.auto) {
    status.dataset.auto = '1';
    status.textContent = subscription ? 'This device shows incoming calls.' : (Notification.permission === 'denied'
      ? 'Notifications are blocked for this site in the browser\'s settings.' : 'This device does not show calls when no page is open.');
  }
}

async function togglePush() {
  const status = $('push-status');
  const toggle = $('push-toggle');
  delete status.dataset.auto;
  toggle.disabled = true;
  try {
    const registration = await pushRegistration();
    const current = await registration.pushManager.getSubscription();
    if (current) {
      await api('/api/push/subscriptions', { method: 'DELETE', body: { endpoint: current.endpoint } }).catch(() => {});
      await current.unsubscribe();
      status.textContent = 'Notifications are off on this device.';
    } else {
      if ((await Notification.requestPermission()) !== 'granted') {
        status.textContent = 'Notifications were not allowed. Allow them for this site in the browser to turn them on.';
        return;
      }
      const { publicKey } = await api('/api/push/vapid-key');
      // The browser's push service (its vendor's) may be out of reach: give up after 15 s.
      const subscription = await Promise.race([
        registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('the browser\'s push service did not answer')), 15000)),
      ]);
      await api('/api/push/subscriptions', { method: 'POST', body: subscription.toJSON() });
      status.textContent = 'This device shows incoming calls.';
    }
  } catch (failure) {
    status.textContent = `Could not change notifications: ${failure.message || failure}`;
  } finally {
    toggle.disabled = false;
    await showPushState().catch(() => {});
  }
}

async function testPush() {
  const status = $('push-status');
  delete status.dataset.auto;
  status.textContent = 'Sending…';
  try {
    const answer = await api('/api/push/test', { method: 'POST' });
    const delivered = answer.webPush.filter((r) => r.result === 'delivered').length;
    const parts = [`Web Push: ${delivered} of ${answer.webPush.length} device${answer.webPush.length === 1 ? '' : 's'}`];
    if (answer.ntfy !== 'off') parts.push(`ntfy: ${answer.ntfy}`);
    status.textContent = `Test sent. ${parts.join('; ')}.`;
  } catch (failure) {
    status.textContent = `The test failed: ${failure.message || failure}`;
  }
}

async function start() {
  settings = await api('/calls/client.json').catch(() => settings);
  setupSettings();
  api('/api/owner')
    .then((owner) => ($('identity-npub').textContent = owner.npub || ''))
    .catch(problem);
  $('new-call').addEventListener('click', newCall);
  $('contact-form').addEventListener('submit', addContact);
  $('relays-form').addEventListener('submit', saveRelays);
  $('address-form').addEventListener('submit', saveAddress);
  $('push-toggle').addEventListener('click', togglePush);
  $('push-test').addEventListener('click', testPush);
  showPushState().catch(problem);
  $('history-more').addEventListener('click', () => loadHistory({ more: true }).catch(problem));
  await Promise.all([loadAddress(), loadIncoming(), loadRooms(), loadContacts(), loadHistory(), loadRelays()]).catch(problem);
  // The toast script relays every change of the incoming calls (stream or bell).
  let pending = null;
  window.addEventListener('crow-calls:change', (event) => {
    if (event.detail.type === 'bell' && pending) return;
    clearTimeout(pending);
    pending = setTimeout(() => {
      pending = null;
      loadIncoming().catch(problem);
      if (event.detail.type !== 'bell') loadHistory().catch(problem);
    }, 100);
  });
  // Rooms and "missed" (a call ringing out writes no event) are refreshed while the panel is visible.
  setInterval(() => {
    if (document.visibilityState !== 'visible') return;
    loadRooms().catch(problem);
    loadIncoming().catch(problem);
  }, 10000);
}

start().catch(problem);
