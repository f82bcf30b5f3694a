// The toast banner for incoming calls. Any page of this gateway can include it with one tag:
//     <script src="/calls/toast.js" defer></script>
// While a call rings it shows "<Caller> is calling… [Accept] [Decline] [Dismiss]" in a banner that
// slides down at the top of the page, plays a short ring tone (generated with WebAudio, no audio file)
// and flashes the page's title with "Call from <Caller>". The banner's Mute ring button silences the
// tone in every tab of this browser, and the choice is remembered (localStorage `crow-calls:ring-muted`).
//
// It learns about calls from the live stream (/api/calls/stream, within a second) and from the bell
// (/api/notifications/poll, every 60 s by default), so it still works where a proxy blocks the stream.
// For anyone who is not the signed-in owner the bell answers 401 and the banner stays silent.
//
// Only one tab of the browser holds the stream (a Web Lock elects it); it passes every change to the
// other tabs over a BroadcastChannel, so many open tabs do not use up the browser's connections. The
// same channel clears a toast in every tab when one tab accepts or dismisses it. Only one tab rings
// (another Web Lock), so several open pages do not ring over each other.
//
// Pages can listen for `crow-calls:change` on window (detail: {type, data}) to refresh their own views.
// The banner shows what its ring does in `data-ring` on `.crow-toasts`: `playing`, `blocked` (the
// browser waits for a click or key press on the page before it plays sound), `muted`, `elsewhere`
// (another tab rings) or `off`.
(() => {
  'use strict';
  if (window.crowToast) return;
  const AUTO_DISMISS_MS = 60000;
  const shown = new Map(); // invite id -> { node, timer }
  const settled = new Set(); // ids this tab must not show again (acted on, or auto-dismissed)
  const channel = 'BroadcastChannel' in window ? new BroadcastChannel('crow-calls') : null;
  let cursor = '';
  let pollSeconds = 60;
  let pollTimer = null;
  let stopped = false;
  let stack = null;

  function announce(type, data) {
    window.dispatchEvent(new CustomEvent('crow-calls:change', { detail: { type, data } }));
  }

  // MARK: - The ring tone and the title

  // A double ring, as telephones do: 400 and 450 Hz together, 0.4 s on, 0.2 s off, 0.4 s on, then quiet
  // until the next ring 3 s after the last. Quiet enough not to startle, loud enough to hear across a room.
  const RING_PERIOD = 3;
  const RING_BURSTS = [[0, 0.4], [0.6, 0.4]]; // [offset, length] in seconds
  const RING_TONES = [400, 450];
  const RING_VOLUME = 0.12;
  const MUTE_KEY = 'crow-calls:ring-muted';
  const ring = { context: null, timer: null, next: 0, voices: new Set(), lock: null, gesture: false };
  const flash = { timer: null, original: '', last: '', text: '', on: false };
  let muted = storedMute();

  function storedMute() {
    try {
      return localStorage.getItem(MUTE_KEY) === '1';
    } catch {
      return false; // storage switched off: the ring plays, the choice lasts for this page
    }
  }

  function setMuted(value) {
    muted = Boolean(value);
    try {
      if (muted) localStorage.setItem(MUTE_KEY, '1');
      else localStorage.removeItem(MUTE_KEY);
    } catch {}
    updateRing();
  }

  /** Starts or stops the ring to match the toasts shown and the mute setting. Never throws. */
  function updateRing() {
    try {
      if (!shown.size || muted) {
        releaseRingLock();
        silence();
      } else if (navigator.locks) {
        requestRingLock();
      } else {
        play();
      }
    } catch {
      // No sound is better than a broken banner.
    }
    showRingState();
  }

  // One tab rings: the one holding the `crow-calls-ring` lock. The others wait in its queue and take
  // over if that tab closes while the call still rings.
  function requestRingLock() {
    const held = ring.lock;
    if (held) {
      if (held.release) play();
      return;
    }
    const lock = { abort: new AbortController(), release: null };
    ring.lock = lock;
    navigator.locks
      .request('crow-calls-ring', { signal: lock.abort.signal }, () => new Promise((release) => {
        if (ring.lock !== lock) return release();
        lock.release = release;
        updateRing();
      }))
      .catch(() => {}); // aborted: this tab stopped waiting
  }

  function releaseRingLock() {
    const lock = ring.lock;
    ring.lock = null;
    if (!lock) return;
    if (lock.release) lock.release();
    else lock.abort.abort();
  }

  function play() {
    if (!ring.context) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return; // no WebAudio here: the banner and the title still show the call
      ring.context = new Context();
      ring.context.addEventListener('statechange', () => {
        // A resume asked for earlier can come after the ring stopped: let the device go again.
        if (!ring.timer && ring.context.state === 'running') ring.context.suspend().catch(() => {});
        schedule();
        showRingState();
      });
    }
    if (!ring.gesture) {
      // Browsers keep a page's audio suspended until someone clicks or types on it: resume then.
      ring.gesture = true;
      for (const type of ['pointerdown', 'keydown', 'touchend']) {
        window.addEventListener(type, resumeAfterGesture, { capture: true, passive: true });
      }
    }
    if (!ring.timer) {
      ring.next = 0;
      ring.timer = setInterval(schedule, 500);
    }
    if (ring.context.state !== 'running') ring.context.resume().catch(() => {});
    schedule();
  }

  function resumeAfterGesture() {
    if (ring.timer && ring.context && ring.context.state !== 'running') ring.context.resume().catch(() => {});
  }

  /** Puts the rings of the next 1.5 s on the audio clock (timers in background tabs are late). */
  function schedule() {
    const context = ring.context;
    if (!ring.timer || !context || context.state !== 'running') return;
    try {
      const now = context.currentTime;
      if (ring.next < now) ring.next = now + 0.05;
      while (ring.next < now + 1.5) {
        ringOnce(context, ring.next);
        ring.next += RING_PERIOD;
      }
    } catch {}
  }

  function ringOnce(context, at) {
    const gain = context.createGain();
    gain.gain.setValueAtTime(0, at);
    let end = at;
    for (const [offset, length] of RING_BURSTS) {
      const start = at + offset;
      end = start + length;
      gain.gain.setValueAtTime(0, start);
      gain.gain.linearRampToValueAtTime(RING_VOLUME, start + 0.02);
      gain.gain.setValueAtTime(RING_VOLUME, end - 0.02);
      gain.gain.linearRampToValueAtTime(0, end);
    }
    gain.connect(context.destination);
    const voice = { gain, oscillators: [] };
    for (const frequency of RING_TONES) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start(at);
      oscillator.stop(end);
      voice.oscillators.push(oscillator);
    }
    voice.oscillators[0].addEventListener('ended', () => {
      gain.disconnect();
      ring.voices.delete(voice);
    });
    ring.voices.add(voice);
  }

  /** Stops the ring at once, also the parts already on the audio clock, and lets the audio device go. */
  function silence() {
    clearInterval(ring.timer);
    ring.timer = null;
    for (const voice of ring.voices) {
      voice.gain.disconnect();
      for (const oscillator of voice.oscillators) {
        try {
          oscillator.stop();
        } catch {}
      }
    }
    ring.voices.clear();
    if (ring.context && ring.context.state === 'running') ring.context.suspend().catch(() => {});
  }

  function ringState() {
    if (!shown.size) return 'off';
    if (muted) return 'muted';
    if (ring.lock && !ring.lock.release) return 'elsewhere';
    if (!ring.context) return 'off';
    return ring.timer && ring.context.state === 'running' ? 'playing' : 'blocked';
  }

  function showRingState() {
    if (!stack) return;
    stack.dataset.ring = ringState();
    for (const button of stack.querySelectorAll('.crow-toast-mute')) button.setAttribute('aria-pressed', String(muted));
  }

  /** While a call rings, the title alternates with "Call from <Caller>" (the newest call) every second. */
  function updateTitle() {
    const newest = [...shown.values()].pop();
    if (!newest) {
      if (!flash.timer) return;
      clearInterval(flash.timer);
      flash.timer = null;
      if (document.title === flash.last) document.title = flash.original;
      return;
    }
    flash.text = `Call from ${newest.caller}`;
    if (flash.timer) return;
    flash.original = document.title;
    flash.last = flash.original;
    flash.on = false;
    const tick = () => {
      // The page set a title of its own meanwhile: that one is the title to come back to.
      if (document.title !== flash.last) flash.original = document.title;
      flash.on = !flash.on;
      document.title = flash.on ? flash.text : flash.original;
      flash.last = document.title; // as the browser keeps it (white space collapsed)
    };
    tick();
    flash.timer = setInterval(tick, 1000);
  }

  window.addEventListener('storage', (event) => {
    if (event.key !== MUTE_KEY && event.key !== null) return;
    muted = storedMute(); // muted or unmuted in another tab
    updateRing();
  });

  function ensureStack() {
    if (stack) return stack;
    if (!document.querySelector('link[data-crow-toast]')) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = '/calls/assets/toast.css';
      link.dataset.crowToast = '';
      document.head.append(link);
    }
    stack = document.createElement('section');
    stack.className = 'crow-toasts';
    stack.setAttribute('aria-label', 'Incoming calls');
    stack.setAttribute('aria-live', 'assertive');
    stack.dataset.ring = 'off';
    document.body.append(stack);
    return stack;
  }

  /** The pages' one link rule (Web/safe-url.js, loaded before this script). */
  function safeURL(text) {
    return self.crowSafeURL(text, location.href);
  }

  async function post(id, action) {
    const response = await fetch(`/api/calls/incoming/${encodeURIComponent(id)}/${action}`, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (!response.ok) {
      let message = `The gateway answered ${response.status}.`;
      try {
        const body = await response.json();
        if (body && body.error && body.error.message) message = body.error.message;
      } catch {}
      throw new Error(message);
    }
  }

  /** Shows a toast for a ringing call, unless this tab shows or settled it already. */
  function show(call) {
    if (!call || typeof call.id !== 'string' || shown.has(call.id) || settled.has(call.id)) return;
    if (typeof call.expiresAt === 'number' && call.expiresAt <= Date.now()) return;
    const node = document.createElement('div');
    node.className = 'crow-toast';
    node.setAttribute('role', 'alertdialog');
    node.dataset.invite = call.id;
    const caller = typeof call.senderName === 'string' && call.senderName.trim() ? call.senderName : 'Someone';
    const text = document.createElement('p');
    text.className = 'crow-toast-text';
    const name = document.createElement('strong');
    name.textContent = caller; // untrusted: text only, never markup
    text.append(name, document.createTextNode(' is calling…'));
    node.setAttribute('aria-label', `${caller} is calling`);
    const accept = button('crow-toast-accept', 'Accept');
    const decline = button('crow-toast-decline', 'Decline');
    const dismiss = button('crow-toast-dismiss', 'Dismiss');
    const mute = button('crow-toast-mute', 'Mute ring');
    mute.setAttribute('aria-pressed', String(muted));
    mute.title = 'Mute the ring tone on this device';
    const problem = document.createElement('p');
    problem.className = 'crow-toast-problem';
    problem.hidden = true;
    const head = document.createElement('div');
    head.className = 'crow-toast-head';
    head.append(text, mute);
    const buttons = document.createElement('div');
    buttons.className = 'crow-toast-buttons';
    buttons.append(accept, decline, dismiss);
    node.append(head, buttons, problem);

    mute.addEventListener('click', () => setMuted(!muted));
    accept.addEventListener('click', async () => {
      const url = safeURL(call.joinUrl);
      // Opened inside the click so no popup blocker stops it; pointed at the call once accepted.
      const tab = url ? window.open('about:blank', '_blank') : null;
      try {
        await post(call.id, 'accept');
      } catch (error) {
        if (tab) tab.close();
        problem.textContent = error.message;
        problem.hidden = false;
        return;
      }
      settle(call.id, 'accepted');
      if (tab) {
        tab.opener = null;
        tab.location.href = url;
      } else if (url) {
        location.assign(url);
      }
    });
    decline.addEventListener('click', async () => {
      try {
        await post(call.id, 'decline');
      } catch (error) {
        // Not declined, so the caller was not told: say why and keep the toast.
        problem.textContent = error.message;
        problem.hidden = false;
        return;
      }
      settle(call.id, 'declined');
    });
    dismiss.addEventListener('click', async () => {
      try {
        await post(call.id, 'dismiss');
      } catch (error) {
        // Already settled elsewhere (rang out, accepted in another tab): the toast goes anyway.
      }
      settle(call.id, 'dismissed');
    });
    const timer = setTimeout(() => {
      // Auto-dismiss hides the toast only; the call stays in the panel's Incoming list.
      settled.add(call.id);
      remove(call.id);
    }, AUTO_DISMISS_MS);
    shown.set(call.id, { node, timer, caller });
    ensureStack().prepend(node);
    updateRing();
    updateTitle();
  }

  function button(className, label) {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = className;
    element.textContent = label;
    return element;
  }

  function remove(id) {
    const entry = shown.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.node.remove();
    shown.delete(id);
    updateRing();
    updateTitle();
  }

  /** This tab acted on a call: clear it here and in the owner's other tabs. */
  function settle(id, type) {
    settled.add(id);
    remove(id);
    if (channel) channel.postMessage({ kind: 'settled', id, type });
    announce(type, { id });
  }

  /** One change from the stream (held by this tab or relayed from the tab that holds it). */
  function onChange(type, data) {
    if (type === 'received') show(data);
    else if (data && typeof data.id === 'string') {
      settled.add(data.id);
      remove(data.id);
    }
    if (type === 'reset') poll();
    announce(type, data);
  }

  // MARK: - The bell

  async function poll() {
    if (stopped) return;
    clearTimeout(pollTimer);
    try {
      const query = cursor ? `?since=${encodeURIComponent(cursor)}` : '';
      const response = await fetch(`/api/notifications/poll${query}`, { credentials: 'same-origin', cache: 'no-store' });
      if (response.status === 401 || response.status === 404) {
        // Not the owner here (a guest on a call page), or calls switched off: nothing to show.
        stopped = true;
        return false;
      }
      if (response.status === 200) {
        const bell = await response.json();
        cursor = bell.cursor || '';
        const ringing = new Set();
        for (const call of bell.ringing || []) {
          ringing.add(call.id);
          show(call);
        }
        // A toast whose call no longer rings was settled somewhere (or rang out).
        for (const id of [...shown.keys()]) if (!ringing.has(id)) remove(id);
        announce('bell', bell);
      }
    } catch {
      // Offline for a moment: the next poll tries again.
    } finally {
      clearTimeout(pollTimer);
      if (!stopped) pollTimer = setTimeout(poll, pollSeconds * 1000);
    }
    return true;
  }

  // MARK: - The stream

  function openStream() {
    const source = new EventSource('/api/calls/stream');
    for (const type of ['received', 'accepted', 'dismissed', 'declined', 'missed', 'expired', 'reset']) {
      source.addEventListener(type, (event) => {
        let data = {};
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        onChange(type, data);
        if (channel) channel.postMessage({ kind: 'stream', type, data });
      });
    }
    // After a gap (this tab just became the holder, or the stream came back) the bell fills it in.
    source.addEventListener('open', () => poll());
    return source;
  }

  function startStream() {
    if (navigator.locks && channel) {
      navigator.locks.request('crow-calls-stream', () => {
        openStream();
        return new Promise(() => {}); // held for the life of this tab
      });
    } else {
      openStream();
    }
  }

  if (channel) {
    channel.addEventListener('message', ({ data: message }) => {
      if (!message || typeof message !== 'object') return;
      if (message.kind === 'stream') onChange(message.type, message.data);
      if (message.kind === 'settled' && typeof message.id === 'string') {
        settled.add(message.id);
        remove(message.id);
        announce(message.type, { id: message.id });
      }
    });
  }

  async function start() {
    try {
      const response = await fetch('/calls/client.json', { credentials: 'same-origin', cache: 'no-store' });
      if (response.ok) pollSeconds = Math.max(1, Number((await response.json()).bellPollSeconds) || 60);
    } catch {}
    const owner = await poll();
    if (owner) startStream();
  }

  window.crowToast = {
    poll,
    shown,
    /** The ring's mute setting of this browser (the toast's Mute ring button). */
    get muted() {
      return muted;
    },
    set muted(value) {
      setMuted(value);
    },
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})();
