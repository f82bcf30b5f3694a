// This participant's own media: the microphone (with a level meter), the camera, a shared screen, and
// the video of an extra call mode. At most one video source is sent at a time; `videoTrack` is it.
//
// Devices: the microphone, camera and speaker chosen are remembered in this browser (localStorage) and
// asked for by id, falling back to the browser's default when the device is gone. A device that stops
// (unplugged, taken by another program) ends its track: the track is dropped, `lost` is dispatched, and
// opening it again (the microphone or camera button) asks the browser afresh, so a denied or lost device
// can always be retried.

const CHOICES = 'crow-calls:devices';

/** Why a device could not be opened, as a sentence for the page. */
export function describeMediaError(error, what) {
  const name = error && error.name;
  if (!window.isSecureContext || !navigator.mediaDevices) {
    return `This page is not a secure context, so the browser will not give it a ${what}. Open the call over HTTPS (or on localhost).`;
  }
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return `Access to the ${what} was denied. Allow it in the browser's site settings, then try again.`;
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return `No ${what} was found. Connect one and reload the page.`;
  if (name === 'NotReadableError' || name === 'AbortError') return `The ${what} is in use by another program, or failed to start.`;
  return `The ${what} could not be started (${name || 'unknown error'}).`;
}

/** A device was closed (hang-up, camera off) while the browser was still opening it: not an error to show. */
export class DeviceClosed extends Error {
  constructor() {
    super('The device was closed while the browser was opening it.');
    this.name = 'DeviceClosed';
  }
}

export class LocalMedia extends EventTarget {
  constructor() {
    super();
    this.audioTrack = null;
    this.cameraTrack = null;
    this.screenTrack = null;
    this.modeTrack = null;
    this.modeHandle = null;
    this.audioEnabled = true;
    // A request to the browser for a device that has not answered yet, per kind: asking again while it
    // runs gets the same answer instead of a second track that would overwrite the first and stay live.
    this.pending = { audio: null, camera: null, screen: null, mode: null };
    // Bumped when a kind is stopped: a request that answers afterwards stops its track at once.
    this.generation = { audio: 0, camera: 0, screen: 0, mode: 0 };
    /** The chosen devices by kind (`audioinput`, `videoinput`, `audiooutput`); absent: the default. */
    this.choices = loadChoices();
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      navigator.mediaDevices.addEventListener('devicechange', () => this.dispatchEvent(new Event('devices')));
    }
  }

  /** The devices the browser lists, by kind, with their labels (empty until a device was allowed). */
  async listDevices() {
    const found = { audioinput: [], videoinput: [], audiooutput: [] };
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return found;
    for (const device of await navigator.mediaDevices.enumerateDevices()) {
      if (found[device.kind] && device.deviceId) found[device.kind].push({ id: device.deviceId, label: device.label });
    }
    return found;
  }

  /** Whether the page can choose where sound plays (`setSinkId`; Chromium has it, Firefox behind a pref). */
  get canChooseSpeaker() {
    return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
  }

  /**
   * Chooses a device of `kind` and remembers it. A microphone or camera in use is reopened on the new
   * device, and the old track is stopped only once the new one runs; the connections swap tracks with
   * `replaceTrack` when `change` fires. A speaker choice is applied by the page (`speaker`).
   */
  async choose(kind, id) {
    if (id) this.choices[kind] = id;
    else delete this.choices[kind];
    saveChoices(this.choices);
    if (kind === 'audioinput' && this.audioTrack) {
      await this.reopen('audio');
    } else if (kind === 'videoinput' && this.cameraTrack) {
      await this.reopen('camera');
    } else if (kind === 'audiooutput') {
      this.changed();
    }
  }

  /** The chosen speaker's id, or '' for the default. */
  get speaker() {
    return this.choices.audiooutput || '';
  }

  /** Opens the microphone or the camera again, on the device now chosen. */
  async reopen(kind) {
    const old = kind === 'audio' ? this.audioTrack : this.cameraTrack;
    if (kind === 'audio') await this.openMicrophone({ replace: true });
    else await this.startCamera({ replace: true });
    if (old && old !== (kind === 'audio' ? this.audioTrack : this.cameraTrack)) old.stop();
  }

  /** Watches a device's track: when it ends without this page stopping it, the device was lost. */
  watch(track, kind) {
    track.addEventListener('ended', () => {
      const current = kind === 'audio' ? this.audioTrack : this.cameraTrack;
      if (current !== track) return;
      if (kind === 'audio') this.audioTrack = null;
      else this.cameraTrack = null;
      this.changed();
      this.dispatchEvent(new CustomEvent('lost', { detail: { kind } }));
    });
  }

  /** Constraints for `kind` with the chosen device, when there is one. */
  constraints(kind, base) {
    const id = this.choices[kind === 'audio' ? 'audioinput' : 'videoinput'];
    return id ? { ...base, deviceId: { exact: id } } : base;
  }

  /**
   * getUserMedia for one kind on the chosen device; when that device is gone (unplugged since it was
   * chosen), the browser's default instead, and the choice is forgotten.
   */
  async open(kind, base) {
    const key = kind === 'audio' ? 'audioinput' : 'videoinput';
    const wanted = { [kind]: this.constraints(kind, base) };
    try {
      return await userMedia(wanted, kind);
    } catch (error) {
      if (!this.choices[key] || (error.name !== 'OverconstrainedError' && error.name !== 'NotFoundError')) throw error;
      delete this.choices[key];
      saveChoices(this.choices);
      return userMedia({ [kind]: base }, kind);
    }
  }

  /**
   * Runs `request` (which asks the browser for a track) unless one of this kind is already running,
   * and hands its track to `keep` unless the kind was stopped meanwhile; then the track is stopped and
   * the request fails with `DeviceClosed`.
   */
  once(kind, request, keep) {
    if (this.pending[kind]) return this.pending[kind];
    const generation = this.generation[kind];
    const run = (async () => {
      const result = await request();
      if (this.generation[kind] !== generation) {
        result.discard();
        throw new DeviceClosed();
      }
      return keep(result);
    })();
    this.pending[kind] = run;
    const clear = () => {
      if (this.pending[kind] === run) this.pending[kind] = null;
    };
    run.then(clear, clear);
    return run;
  }



  get canCapture() {
    return Boolean(window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  get canShareScreen() {
    return Boolean(this.canCapture && navigator.mediaDevices.getDisplayMedia) && !/Android|iPhone|iPad/i.test(navigator.userAgent);
  }

  /** The track to send as video: a shared screen first, then a mode's video, then the camera. */
  get videoTrack() {
    return this.screenTrack || this.modeTrack || this.cameraTrack;
  }

  get state() {
    return {
      audio: Boolean(this.audioTrack && this.audioEnabled),
      video: Boolean(this.cameraTrack || this.modeTrack),
      screen: Boolean(this.screenTrack),
    };
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }

  /** Opens the microphone (once). Throws the browser's error, which `describeMediaError` explains.
   *  With `replace`, opens it again on the chosen device; the caller stops the old track. */
  async openMicrophone({ replace = false } = {}) {
    if (!replace && this.audioTrack && this.audioTrack.readyState === 'live') return this.audioTrack;
    return this.once('audio', () => this.open('audio', { echoCancellation: true, noiseSuppression: true, autoGainControl: true }), ({ track }) => {
      if (!replace && this.audioTrack && this.audioTrack !== track) this.audioTrack.stop();
      this.audioTrack = track;
      this.audioTrack.enabled = this.audioEnabled;
      this.watch(track, 'audio');
      this.changed();
      return track;
    });
  }

  setAudioEnabled(enabled) {
    this.audioEnabled = enabled;
    if (this.audioTrack) this.audioTrack.enabled = enabled;
    this.changed();
  }

  async startCamera({ replace = false } = {}) {
    if (!replace && this.cameraTrack) return this.cameraTrack;
    return this.once('camera', () => this.open('video', { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } }), ({ track }) => {
      this.cameraTrack = track;
      this.watch(track, 'camera');
      this.changed();
      return track;
    });
  }

  stopCamera() {
    this.generation.camera += 1;
    if (!this.cameraTrack) return;
    this.cameraTrack.stop();
    this.cameraTrack = null;
    this.changed();
  }

  async startScreen() {
    if (this.screenTrack) return this.screenTrack;
    return this.once('screen', async () => {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      return tracksOf(stream, 'video');
    }, ({ track }) => {
      // Text and lines stay sharp; the encoder gives up frame rate first.
      if ('contentHint' in track) track.contentHint = 'detail';
      this.screenTrack = track;
      // The browser's own "Stop sharing" ends the track; the call goes back to the camera (or nothing).
      track.addEventListener('ended', () => {
        if (this.screenTrack === track) this.stopScreen();
      });
      this.changed();
      return track;
    });
  }

  stopScreen() {
    this.generation.screen += 1;
    if (!this.screenTrack) return;
    this.screenTrack.stop();
    this.screenTrack = null;
    this.changed();
  }

  /** Runs an extra call mode; its MediaStream's video becomes this participant's video. */
  async startMode(mode) {
    if (this.pending.mode) return this.pending.mode;
    this.stopMode();
    return this.once('mode', async () => {
      const handle = await mode.start({ width: 640, height: 360 });
      const track = handle && handle.stream && handle.stream.getVideoTracks()[0];
      const discard = () => {
        if (handle && typeof handle.stop === 'function') handle.stop();
        if (track) track.stop();
      };
      if (!track) {
        discard();
        throw new Error(`The mode "${mode.label}" supplied no video.`);
      }
      return { track, handle, discard };
    }, ({ track, handle }) => {
      this.modeHandle = handle;
      this.modeTrack = track;
      this.changed();
    });
  }

  stopMode() {
    this.generation.mode += 1;
    if (!this.modeHandle) return;
    try {
      if (typeof this.modeHandle.stop === 'function') this.modeHandle.stop();
    } finally {
      if (this.modeTrack) this.modeTrack.stop();
      this.modeHandle = null;
      this.modeTrack = null;
      this.changed();
    }
  }

  /** Calls `onLevel(0…1)` about 20 times a second with the microphone's loudness. Returns a stop function. */
  meter(onLevel) {
    if (!this.audioTrack) return () => {};
    const context = new AudioContext();
    const source = context.createMediaStreamSource(new MediaStream([this.audioTrack]));
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    // A suspended context (no user gesture yet) reads silence; resume it when the page gets one.
    const resume = () => context.resume().catch(() => {});
    resume();
    document.addEventListener('pointerdown', resume, { once: true });
    document.addEventListener('keydown', resume, { once: true });
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      const rms = Math.sqrt(sum / samples.length);
      onLevel(Math.min(1, rms * 4));
    }, 50);
    return () => {
      clearInterval(timer);
      source.disconnect();
      context.close().catch(() => {});
    };
  }

  stopAll() {
    this.stopMode();
    this.stopScreen();
    this.stopCamera();
    this.generation.audio += 1;
    if (this.audioTrack) this.audioTrack.stop();
    this.audioTrack = null;
    this.changed();
  }
}

/** The first track of `kind` of a stream, and a way to stop every track it brought. */
function tracksOf(stream, kind) {
  const track = kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
  return { track, discard: () => stream.getTracks().forEach((t) => t.stop()) };
}

function loadChoices() {
  try {
    const saved = JSON.parse(localStorage.getItem(CHOICES) || '{}');
    return saved && typeof saved === 'object' ? saved : {};
  } catch {
    return {};
  }
}

function saveChoices(choices) {
  try {
    localStorage.setItem(CHOICES, JSON.stringify(choices));
  } catch {
    // Storage may be off (private windows): the choice then lasts for this page only.
  }
}

async function userMedia(constraints, kind) {
  return tracksOf(await navigator.mediaDevices.getUserMedia(constraints), kind);
}
