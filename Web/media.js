// This participant's own media: the microphone (with a level meter), the camera, a shared screen, and
// the video of an extra call mode. At most one video source is sent at a time; `videoTrack` is it.

/** Why a device could not be opened, as a sentence for the page. */
export function describeMediaError(error, what) {
  const name = error && error.name;
  if (!window.isSecureContext || !navigator.mediaDevices) {
    return `This page is not a secure context, so the browser will not give it a ${what}. Open the call over HTTPS (or on localhost).`;
  }
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return `Access to the ${what} was denied. Allow it in the browser's site settings, then reload the page.`;
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

  /** Opens the microphone (once). Throws the browser's error, which `describeMediaError` explains. */
  async openMicrophone() {
    if (this.audioTrack && this.audioTrack.readyState === 'live') return this.audioTrack;
    return this.once('audio', () => userMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    }, 'audio'), ({ track }) => {
      if (this.audioTrack && this.audioTrack !== track) this.audioTrack.stop();
      this.audioTrack = track;
      this.audioTrack.enabled = this.audioEnabled;
      this.changed();
      return track;
    });
  }

  setAudioEnabled(enabled) {
    this.audioEnabled = enabled;
    if (this.audioTrack) this.audioTrack.enabled = enabled;
    this.changed();
  }

  async startCamera() {
    if (this.cameraTrack) return this.cameraTrack;
    return this.once('camera', () => userMedia({
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
    }, 'video'), ({ track }) => {
      this.cameraTrack = track;
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

async function userMedia(constraints, kind) {
  return tracksOf(await navigator.mediaDevices.getUserMedia(constraints), kind);
}
