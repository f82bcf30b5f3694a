// The toast banner for incoming calls. Any page of this gateway can include it with one tag:
//     <script src="/calls/toast.js" defer></script>
// It shows "<Caller> is calling… [Accept] [Dismiss]" while a call rings. It learns about calls from the
// live stream (/api/calls/stream, within a second) and from the bell (/api/notifications/poll, every
// 60 s by default), so it still works where a proxy blocks the stream. For anyone who is not the
// signed-in owner the bell answers 401 and the banner stays silent.
//
// Only one tab of the browser holds the stream (a Web Lock elects it); it passes every change to the
// other tabs over a BroadcastChannel, so many open tabs do not use up the browser's connections. The
// same channel clears a toast in every tab when one tab accepts or dismisses it.
//
// Pages can listen for `crow-calls:change` on window (detail: {type, data}) to refresh their own views.
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
    document.body.append(stack);
    return stack;
  }

  function safeURL(text) {
    try {
      const url = new URL(text, location.href);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch {
      return null;
    }
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
    const caller = typeof call.caller === 'string' && call.caller.trim() ? call.caller : 'Someone';
    const text = document.createElement('p');
    text.className = 'crow-toast-text';
    const name = document.createElement('strong');
    name.textContent = caller; // untrusted: text only, never markup
    text.append(name, document.createTextNode(' is calling…'));
    node.setAttribute('aria-label', `${caller} is calling`);
    const accept = document.createElement('button');
    accept.type = 'button';
    accept.className = 'crow-toast-accept';
    accept.textContent = 'Accept';
    const dismiss = document.createElement('button');
    dismiss.type = 'button';
    dismiss.className = 'crow-toast-dismiss';
    dismiss.textContent = 'Dismiss';
    const problem = document.createElement('p');
    problem.className = 'crow-toast-problem';
    problem.hidden = true;
    const buttons = document.createElement('div');
    buttons.className = 'crow-toast-buttons';
    buttons.append(accept, dismiss);
    node.append(text, buttons, problem);

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
    shown.set(call.id, { node, timer });
    ensureStack().prepend(node);
  }

  function remove(id) {
    const entry = shown.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.node.remove();
    shown.delete(id);
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

  window.crowToast = { poll, shown };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})();
