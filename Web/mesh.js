// The call's connections: one WebSocket to the gateway for signaling, and one RTCPeerConnection to each
// other participant (a full mesh). Media goes browser to browser; the gateway only relays descriptions
// and candidates.
//
// Negotiation is "perfect negotiation": either side may make an offer at any time, and when two offers
// cross, the polite side (the one with the smaller peer id) rolls its own back and answers. The side
// that sets up a connection first (the newcomer, or whoever reloaded) adds one audio and one video
// transceiver; the other side answers on them. Camera, screen and mode video are swapped on the video
// sender with replaceTrack, so toggling them never renegotiates. A connection that fails gets an ICE
// restart.
//
// Signals must survive a dropped socket. While the socket is down, signals wait in a queue and go out
// after the next `welcome`. An offer that gets no answer (lost on the way, or sent to someone in their
// resume grace) is rolled back and made again, with an ICE restart when the connection is not up, so a
// connection never stays in `have-local-offer` for good. Each offer carries a number and each answer
// the number of the offer it answers, so an answer to an offer that was rolled back is ignored.

import { SAMPLE_MS, assess, measure, sample } from './quality.js';

const SESSION = crypto.getRandomValues(new Uint32Array(2)).join('-');
/** How long a connection may go without a path before the page says so (it keeps trying). */
export const NO_PATH_MS = 15000;
/** How long an offer may wait for its answer before it is rolled back and made again (the first wait;
 *  later ones grow to OFFER_RETRY_MAX_MS). */
export const OFFER_RETRY_MS = 5000;
export const OFFER_RETRY_MAX_MS = 15000;
/** How long opening the signaling socket may take before it counts as failed. */
export const CONNECT_TIMEOUT_MS = 10000;
/** At most this many signals wait per person while the socket is down; older ones go first. */
const QUEUE_LIMIT = 256;

/**
 * What each connection may send as video, by how many others are in the call. In a mesh everyone
 * encodes once per other person, so a home uplink (about 2.5 Mb/s) is shared among them, and a smaller
 * picture goes with a smaller budget. A shared screen keeps its full size, since its text must stay
 * readable, and trades frame rate instead (its track says `contentHint = "detail"`).
 */
export function videoLimits(others, screen) {
  if (others <= 1) return { maxBitrate: 1_500_000, scaleResolutionDownBy: 1 };
  if (others === 2) return { maxBitrate: 900_000, scaleResolutionDownBy: screen ? 1 : 1.5 };
  return { maxBitrate: 600_000, scaleResolutionDownBy: screen ? 1 : 2 };
}

/** One other participant: their RTCPeerConnection and the MediaStream we receive from them. */
export class PeerLink extends EventTarget {
  constructor({ peerId, selfId, iceServers, media, send, initiator, others = () => 1 }) {
    super();
    this.peerId = peerId;
    /** How many other people are in the call now (for the video limits). */
    this.others = others;
    this.polite = selfId < peerId;
    this.media = media;
    this.send = send;
    this.remoteSession = null;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.queue = Promise.resolve();
    this.stream = new MediaStream();
    this.restartTimer = null;
    this.closed = false;
    /** True once the connection has gone NO_PATH_MS without being connected: no route between the two
     * browsers (for now). Cleared when it connects. */
    this.noPath = false;
    this.pathTimer = null;
    /** The number of our latest offer, and how many times in a row an offer went unanswered. */
    this.offerSeq = 0;
    this.offerRetries = 0;
    this.offerTimer = null;
    /** The last quality figures (see quality.js), null while not connected. */
    this.quality = null;
    this.lastSample = null;
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.pc.addEventListener('negotiationneeded', () => this.offer());
    this.pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON(), session: SESSION });
    });
    this.pc.addEventListener('track', ({ track }) => {
      for (const old of this.stream.getTracks()) if (old.kind === track.kind && old !== track) this.stream.removeTrack(old);
      if (!this.stream.getTracks().includes(track)) this.stream.addTrack(track);
      this.dispatchEvent(new Event('media'));
    });
    this.pc.addEventListener('connectionstatechange', () => this.watchConnection());
    this.watchPath();
    if (initiator) {
      this.pc.addTransceiver('audio', { direction: 'sendrecv' });
      this.pc.addTransceiver('video', { direction: 'sendrecv' });
      this.applyTracks();
    }
  }

  get state() {
    return this.pc.connectionState;
  }

  /** The first negotiated transceiver of a kind: both sides agree on it, even after crossed offers. */
  primary(kind) {
    const all = this.pc.getTransceivers().filter((t) => t.receiver.track && t.receiver.track.kind === kind && !t.stopped);
    return all.find((t) => t.mid !== null) || all[0] || null;
  }

  /** Puts this participant's current microphone and video on the senders. */
  applyTracks() {
    if (this.closed) return;
    for (const kind of ['audio', 'video']) {
      const transceiver = this.primary(kind);
      if (!transceiver) continue;
      if (transceiver.direction !== 'sendrecv' && transceiver.direction !== 'stopped') transceiver.direction = 'sendrecv';
      const track = kind === 'audio' ? this.media.audioTrack : this.media.videoTrack;
      if (transceiver.sender.track !== track) {
        transceiver.sender.replaceTrack(track || null).catch((error) => this.problem(kind === 'audio' ? 'microphone' : 'video', error));
      }
    }
    this.applyLimits();
  }

  /** Something about this connection failed; the page says so (`Mesh` names the person). */
  problem(what, error) {
    this.dispatchEvent(new CustomEvent('problem', { detail: { what, error } }));
  }

  /** Puts the video limits for the current number of people on the video sender (see `videoLimits`). */
  async applyLimits() {
    const transceiver = this.closed ? null : this.primary('video');
    if (!transceiver) return;
    const sender = transceiver.sender;
    const parameters = sender.getParameters();
    // Before negotiation there are no encodings to limit; the connection applies them once connected.
    if (!parameters.encodings || parameters.encodings.length === 0) return;
    const limits = videoLimits(this.others(), Boolean(this.media.screenTrack));
    const encoding = parameters.encodings[0];
    if (encoding.maxBitrate === limits.maxBitrate && encoding.scaleResolutionDownBy === limits.scaleResolutionDownBy) return;
    Object.assign(encoding, limits);
    try {
      await sender.setParameters(parameters);
    } catch (error) {
      this.problem('limits', error);
    }
  }

  /** Makes and sends an offer, unless one is being made or is waiting for its answer. */
  async offer() {
    if (this.closed || this.makingOffer || this.pc.signalingState !== 'stable') return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      if (this.pc.signalingState !== 'have-local-offer') return;
      this.offerSeq += 1;
      this.send({ description: this.pc.localDescription.toJSON(), offer: this.offerSeq, session: SESSION });
      this.watchOffer();
    } catch (error) {
      this.problem('offer', error);
    } finally {
      this.makingOffer = false;
    }
  }

  /** Gives the offer just sent a deadline: unanswered by then, it is rolled back and made again. */
  watchOffer() {
    clearTimeout(this.offerTimer);
    const seq = this.offerSeq;
    const wait = Math.min(OFFER_RETRY_MAX_MS, OFFER_RETRY_MS * 2 ** this.offerRetries);
    this.offerTimer = setTimeout(() => {
      if (this.closed || this.offerSeq !== seq || this.pc.signalingState !== 'have-local-offer') return;
      this.offerRetries += 1;
      this.recover();
    }, wait);
  }

  /**
   * Gets a stuck negotiation going again: rolls back an offer still waiting for its answer, and offers
   * anew, with an ICE restart when the connection is not up. Used after a resume and when an offer went
   * unanswered. Runs in the same queue as incoming signals, so it never interleaves with one.
   */
  recover() {
    this.queue = this.queue
      .then(async () => {
        if (this.closed) return;
        if (this.pc.signalingState === 'have-local-offer') await this.pc.setLocalDescription({ type: 'rollback' });
        // An offer from the peer is being answered: that negotiation goes on by itself.
        if (this.pc.signalingState !== 'stable') return;
        if (this.pc.connectionState !== 'connected') this.pc.restartIce();
        await this.offer();
      })
      .catch((error) => this.problem('offer', error));
    return this.queue;
  }

  /** Handles a description or candidate from this peer, one at a time in arrival order. */
  receive(data) {
    this.queue = this.queue.then(() => this.handle(data)).catch((error) => this.problem('signal', error));
    return this.queue;
  }

  async handle({ description, candidate, offer, answers }) {
    if (this.closed) return;
    if (description) {
      if (description.type === 'answer') {
        // An answer to an offer that was rolled back since, or that comes when no offer waits, is stale.
        if (this.pc.signalingState !== 'have-local-offer') return;
        if (answers !== undefined && answers !== this.offerSeq) return;
        clearTimeout(this.offerTimer);
        this.offerRetries = 0;
        await this.pc.setRemoteDescription(description);
        this.applyTracks();
        return;
      }
      const collision = description.type === 'offer' && (this.makingOffer || this.pc.signalingState !== 'stable');
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      if (collision) clearTimeout(this.offerTimer); // our own offer is rolled back by this one
      await this.pc.setRemoteDescription(description);
      if (description.type === 'offer') {
        this.applyTracks();
        await this.pc.setLocalDescription();
        const reply = { description: this.pc.localDescription.toJSON(), session: SESSION };
        if (offer !== undefined) reply.answers = offer;
        this.send(reply);
      } else {
        this.applyTracks();
      }
    } else if (candidate) {
      try {
        await this.pc.addIceCandidate(candidate);
      } catch (error) {
        if (!this.ignoreOffer) throw error;
      }
    }
  }

  /** A failed connection gets an ICE restart at once; a disconnected one after 4 s without recovery. */
  watchConnection() {
    this.watchPath();
    if (this.pc.connectionState === 'connected') this.applyLimits();
    this.dispatchEvent(new Event('statechange'));
    clearTimeout(this.restartTimer);
    if (this.closed) return;
    if (this.pc.connectionState === 'failed') this.pc.restartIce();
    else if (this.pc.connectionState === 'disconnected') {
      this.restartTimer = setTimeout(() => {
        if (!this.closed && this.pc.connectionState === 'disconnected') this.pc.restartIce();
      }, 4000);
    }
  }

  /** Samples the connection's stats and updates `quality`; tells the page when the figures change. */
  async sampleQuality() {
    if (this.closed) return;
    if (this.pc.connectionState !== 'connected') {
      this.lastSample = null;
      if (this.quality) {
        this.quality = null;
        this.dispatchEvent(new Event('statechange'));
      }
      return;
    }
    const current = sample(await this.pc.getStats(), performance.now());
    const previous = this.lastSample;
    this.lastSample = current;
    if (!previous || this.closed) return;
    const figures = measure(previous, current);
    this.quality = { ...figures, level: assess(figures) };
    this.dispatchEvent(new Event('statechange'));
  }

  /** Starts the no-path clock while not connected; stops it (and clears `noPath`) once connected. */
  watchPath() {
    if (this.closed) return;
    if (this.pc.connectionState === 'connected') {
      clearTimeout(this.pathTimer);
      this.pathTimer = null;
      this.noPath = false;
      return;
    }
    if (this.pathTimer || this.noPath) return;
    this.pathTimer = setTimeout(() => {
      this.pathTimer = null;
      if (this.closed || this.pc.connectionState === 'connected') return;
      this.noPath = true;
      this.dispatchEvent(new Event('statechange'));
    }, NO_PATH_MS);
  }

  close() {
    this.closed = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.pathTimer);
    clearTimeout(this.offerTimer);
    this.pc.close();
  }
}

/** A refusal or loss of the signaling socket, explained by code (docs/SIGNALING.md). */
export class SignalingClosed extends Error {
  constructor(code, reason) {
    super(reason || `closed with ${code}`);
    this.code = code;
  }
}

/**
 * The call: signaling socket plus mesh. Events: `welcome`, `peers` (someone came, went or changed),
 * `media` (a remote stream changed), `reconnecting`, `ended` (detail: {reason}).
 */
export class Mesh extends EventTarget {
  /** `grace`: how long (ms) the gateway keeps a seat for a resume; reconnecting stops after it. */
  constructor({ room, media, grace = 20000 }) {
    super();
    this.room = room;
    this.media = media;
    this.grace = grace;
    /** Signals waiting for the socket, by person. */
    this.pending = new Map();
    /** When the socket was lost (ms), while reconnecting. */
    this.lostAt = null;
    this.qualityTimer = setInterval(() => {
      for (const link of this.links.values()) link.sampleQuality().catch(() => {});
    }, SAMPLE_MS);
    this.links = new Map();
    this.peers = new Map();
    this.selfId = null;
    this.resume = null;
    this.iceServers = [];
    this.socket = null;
    this.leaving = false;
    this.ended = false;
    this.retries = 0;
    this.retryTimer = null;
    this.media.addEventListener('change', () => {
      for (const link of this.links.values()) link.applyTracks();
      this.sendState();
    });
  }

  /** Opens the socket. Resolves on the first `welcome`; rejects with SignalingClosed when the gateway
   *  refuses the join (the browser does not show why: the caller asks `/calls/link`). */
  connect({ token, resume, name }) {
    const params = new URLSearchParams({ room: this.room });
    if (token) {
      params.set('token', token);
      if (name) params.set('name', name);
    } else params.set('resume', resume);
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/calls/ws?${params}`);
    this.socket = socket;
    return new Promise((resolve, reject) => {
      let welcomed = false;
      let timedOut = false;
      // A socket stuck while connecting (a proxy that never answers, a network that swallows packets)
      // would leave the page at "Joining…": give up on it after a while.
      const timer = setTimeout(() => {
        if (welcomed) return;
        timedOut = true;
        socket.close();
        reject(new SignalingClosed(4408, 'the call server did not answer'));
      }, CONNECT_TIMEOUT_MS);
      socket.addEventListener('message', (event) => {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        if (message.type === 'welcome' && !welcomed && !timedOut) {
          welcomed = true;
          clearTimeout(timer);
          this.onWelcome(message);
          resolve(message);
        } else if (welcomed) this.onMessage(message);
      });
      socket.addEventListener('close', (event) => {
        clearTimeout(timer);
        if (this.socket !== socket || timedOut) return;
        if (!welcomed) reject(new SignalingClosed(event.code, event.reason));
        else this.onClose(event);
      });
    });
  }

  onWelcome(message) {
    const reload = this.selfId === null;
    this.selfId = message.peerId;
    this.resume = message.resume;
    this.iceServers = message.iceServers || [];
    this.retries = 0;
    this.lostAt = null;
    const present = new Set(message.peers.map((peer) => peer.peerId));
    for (const peerId of [...this.links.keys()]) if (!present.has(peerId)) this.drop(peerId);
    const kept = reload ? [] : [...this.links.values()];
    for (const peer of message.peers) {
      this.peers.set(peer.peerId, peer);
      // A first welcome (a join or a page reload) sets up every connection; a resume after a dropped
      // socket keeps the ones that are still carrying media.
      if (reload || !this.links.has(peer.peerId)) this.link(peer.peerId, true);
    }
    this.sendState();
    if (!reload) this.afterResume(kept);
    this.dispatchEvent(new CustomEvent('welcome', { detail: message }));
    this.dispatchEvent(new Event('peers'));
  }

  /**
   * Back on the socket after a drop. Signals queued meanwhile go out, except to a connection whose own
   * offer is still waiting: that offer may never have arrived, so it is rolled back and made again.
   * Every connection that is not up restarts ICE (the network may have changed under it).
   */
  afterResume(links) {
    const queued = this.pending;
    this.pending = new Map();
    for (const link of links) {
      if (link.closed) continue;
      if (link.pc.signalingState === 'have-local-offer') {
        link.recover();
        continue;
      }
      for (const message of queued.get(link.peerId) || []) this.send(message);
      if (link.state !== 'connected') link.recover();
    }
  }

  onMessage(message) {
    switch (message.type) {
      case 'peer-joined':
        this.peers.set(message.peerId, message);
        this.link(message.peerId, false);
        this.dispatchEvent(new Event('peers'));
        break;
      case 'peer-left':
        this.drop(message.peerId);
        this.dispatchEvent(new Event('peers'));
        break;
      case 'state': {
        const peer = this.peers.get(message.from);
        if (peer) {
          Object.assign(peer, { audio: message.audio, video: message.video, screen: message.screen, name: message.name });
          this.dispatchEvent(new Event('peers'));
        }
        break;
      }
      case 'signal': {
        const data = message.data || {};
        let link = this.links.get(message.from);
        // A new session id means the peer reloaded its page: its old connection is gone for good.
        if (link && data.session && link.remoteSession && link.remoteSession !== data.session) {
          this.drop(message.from, { keepPeer: true });
          link = null;
        }
        if (!link) link = this.link(message.from, false);
        if (data.session) link.remoteSession = data.session;
        link.receive(data);
        break;
      }
      case 'room-closed':
        this.finish(message.reason === 'expired' ? 'expired' : 'closed');
        break;
      case 'error':
        this.signalingError(message.code);
        break;
    }
  }

  /** Tells the page, in a sentence, about a problem it should not have to find in the console. */
  problem(text) {
    this.dispatchEvent(new CustomEvent('problem', { detail: text }));
  }

  /** An `error` message from the gateway (docs/SIGNALING.md), as a sentence; the socket stays open. */
  signalingError(code) {
    switch (code) {
      case 'peer_not_found':
      case 'room_ended':
        return; // someone left, or the room is closing: the page shows that anyway
      case 'peer_unavailable':
        return this.problem('Someone in the call is reconnecting. Your connection to them picks up again when they are back.');
      case 'rate_limited':
        return this.problem('This page sent the call server too many messages at once, and some were dropped. If a picture or sound is stuck, leave and join again.');
      default:
        return this.problem(`The call server refused a message from this page (${code}). If something stops working, reload the page.`);
    }
  }

  linkProblem(peerId, { what, error }) {
    const name = (this.peers.get(peerId) || {}).name || 'someone';
    const reason = error && error.message ? ` (${error.message})` : '';
    const texts = {
      offer: `Setting up the connection to ${name} failed${reason}. It is tried again when the connection changes.`,
      signal: `A message from ${name}'s browser could not be used${reason}.`,
      microphone: `Your microphone could not be switched on the connection to ${name}${reason}.`,
      video: `Your video could not be switched on the connection to ${name}${reason}.`,
      limits: `The video limits could not be set on the connection to ${name}${reason}.`,
    };
    this.problem(texts[what] || `Something failed on the connection to ${name}${reason}.`);
  }

  /** Whether the gateway handed out a TURN server (a relay for when browsers cannot reach each other). */
  get hasRelay() {
    return this.iceServers.some((server) => [].concat(server.urls || []).some((url) => /^turns?:/i.test(url)));
  }

  link(peerId, initiator) {
    const existing = this.links.get(peerId);
    if (existing) {
      if (!initiator) return existing;
      existing.close();
    }
    const link = new PeerLink({
      peerId,
      selfId: this.selfId,
      iceServers: this.iceServers,
      media: this.media,
      initiator,
      send: (data) => this.send({ type: 'signal', to: peerId, data }),
      others: () => this.links.size,
    });
    link.addEventListener('media', () => this.dispatchEvent(new Event('media')));
    link.addEventListener('statechange', () => this.dispatchEvent(new Event('peers')));
    link.addEventListener('problem', (event) => this.linkProblem(peerId, event.detail));
    this.links.set(peerId, link);
    this.applyLimits();
    this.dispatchEvent(new Event('media'));
    return link;
  }

  drop(peerId, { keepPeer = false } = {}) {
    const link = this.links.get(peerId);
    if (link) link.close();
    this.links.delete(peerId);
    if (!keepPeer) this.peers.delete(peerId);
    this.applyLimits();
    this.dispatchEvent(new Event('media'));
  }

  /** Someone came or went: every connection's video budget changes with the count. */
  applyLimits() {
    for (const link of this.links.values()) link.applyLimits();
  }

  /** Sends at once when the socket is open; a signal waits for the next `welcome` otherwise. */
  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return;
    }
    if (message.type !== 'signal' || this.leaving || this.ended) return;
    const queue = this.pending.get(message.to) || [];
    queue.push(message);
    if (queue.length > QUEUE_LIMIT) queue.shift();
    this.pending.set(message.to, queue);
  }

  sendState() {
    this.send({ type: 'state', ...this.media.state });
  }

  /**
   * The socket dropped: resume with the secret, as long as the gateway still keeps the seat (its
   * grace). After that a resume can only be refused, and each refusal counts against this network's
   * failed joins, so the page stops and offers a way back in instead.
   */
  onClose(event) {
    if (this.leaving || this.ended) return;
    if (event.code === 4000) return this.finish('closed');
    if (event.code === 4410) return this.finish('ended');
    if (event.code === 4409) return this.finish('elsewhere');
    if (this.lostAt === null) this.lostAt = Date.now();
    this.dispatchEvent(new Event('reconnecting'));
    const delay = Math.min(4000, 250 * 2 ** this.retries);
    if (Date.now() + delay - this.lostAt > this.grace) return this.finish('lost');
    this.retries += 1;
    this.retryTimer = setTimeout(() => this.reconnect(), delay);
  }

  async reconnect() {
    if (this.leaving || this.ended) return;
    try {
      await this.connect({ resume: this.resume });
      this.dispatchEvent(new Event('reconnected'));
    } catch (error) {
      // Closed without a welcome: the gateway is unreachable, or it refused the secret.
      this.onClose({ code: error.code || 1006 });
    }
  }

  /**
   * The page is going away (`pagehide`): closed, navigated away from, or reloaded. The gateway then
   * keeps the seat only briefly, long enough for a reload to resume it, so the others do not watch a
   * frozen tile for the whole grace when the tab was closed.
   */
  away() {
    // `send` writes it only while the socket is open (it is not a signal, so it is never queued).
    if (!this.leaving && !this.ended) this.send({ type: 'away' });
  }

  /** Hang up: tell the gateway (it records `peer.left(hangup)`), then close everything. */
  leave() {
    this.leaving = true;
    this.send({ type: 'leave' });
    this.teardown();
  }

  finish(reason) {
    if (this.ended) return;
    this.ended = true;
    this.teardown();
    this.dispatchEvent(new CustomEvent('ended', { detail: { reason } }));
  }

  teardown() {
    clearTimeout(this.retryTimer);
    clearInterval(this.qualityTimer);
    for (const link of this.links.values()) link.close();
    this.links.clear();
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) {
      // Close after the leave has been written; a closing socket still flushes what it queued.
      this.socket.close(1000, 'left');
    }
  }
}
