// Shared helpers of the gateway's pages. Everything that shows text from the server goes through
// `el`, which only ever sets textContent: names and URLs from other machines are never parsed as HTML.

/** An answer of the JSON API that was not a success; `code` is the stable error code of docs/API.md. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Calls the gateway's JSON API with the page's own credentials. Throws ApiError on an error answer,
 *  and ApiError(0, 'unreachable') when the gateway cannot be reached at all. */
export async function api(path, { method = 'GET', body } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'unreachable', 'The gateway cannot be reached.');
  }
  if (response.status === 204) return null;
  let json = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = json && json.error ? json.error : {};
    const retry = Number(response.headers.get('Retry-After')) || undefined;
    throw new ApiError(response.status, error.code || 'http_' + response.status, error.message || response.statusText, retry);
  }
  return json;
}

/** Makes an element. `props`: `class`, `text`, `hidden`, `aria-*`, `data-*`, other attributes, and
 *  `on<event>` handlers. Children are nodes or strings (added as text). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.className = value;
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** "1:05" or "1:02:09". */
export function formatDuration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** A time of day for today, otherwise a short date and time, in the browser's locale. */
export function formatTime(ms) {
  const date = new Date(ms);
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Only http(s) URLs are ever opened or shown as links; anything else from another machine is refused
 *  (the rule is Web/safe-url.js, which every page loads first). */
export function safeURL(text) {
  return self.crowSafeURL(text, location.href);
}

/** Opens a tab at once (inside the click, so no popup blocker stops it) and points it at the URL the
 *  caller resolves later. Returns a function that takes the URL, or null to close the tab again. */
export function openTabSoon() {
  const tab = window.open('about:blank', '_blank');
  return (url) => {
    if (!tab) {
      if (url) location.assign(url);
      return;
    }
    if (url) {
      tab.opener = null;
      tab.location.href = url;
    } else {
      tab.close();
    }
  };
}

/** Copies text to the clipboard; false when the browser refuses (plain http off localhost, say). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
