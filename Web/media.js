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

export class LocalMedia extends EventTarget {
  constructor() {
    super();
    this.audioTrack = null;
    this.cameraTrack = null;
    this.screenTrack = null;
    this.modeTrack = null;
    this.modeHandle = null;
    this.audioEnabled = true;
    this.meterContext = null;
    this.analyser = null;
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
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    this.audioTrack = stream.getAudioTracks()[0];
    this.audioTrack.enabled = this.audioEnabled;
    this.changed();
    return this.audioTrack;
  }

  setAudioEnabled(enabled) {
    this.audioEnabled = enabled;
    if (this.audioTrack) this.audioTrack.enabled = enabled;
    this.changed();
  }

  async startCamera() {
    if (this.cameraTrack) return this.cameraTrack;
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
    });
    this.cameraTrack = stream.getVideoTracks()[0];
    this.changed();
    return this.cameraTrack;
  }

  stopCamera() {
    if (!this.cameraTrack) return;
    this.cameraTrack.stop();
    this.cameraTrack = null;
    this.changed();
  }

  async startScreen() {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    this.screenTrack = stream.getVideoTracks()[0];
    // The browser's own "Stop sharing" ends the track; the call goes back to the camera (or nothing).
    this.screenTrack.addEventListener('ended', () => this.stopScreen());
    this.changed();
    return this.screenTrack;
  }

  stopScreen() {
    if (!this.screenTrack) return;
    this.screenTrack.stop();
    this.screenTrack = null;
    this.changed();
  }

  /** Runs an extra call mode; its MediaStream's video becomes this participant's video. */
  async startMode(mode) {
    this.stopMode();
    const handle = await mode.start({ width: 640, height: 360 });
    const track = handle && handle.stream && handle.stream.getVideoTracks()[0];
    if (!track) throw new Error(`The mode "${mode.label}" supplied no video.`);
    this.modeHandle = handle;
    this.modeTrack = track;
    this.changed();
  }

  stopMode() {
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
    if (this.audioTrack) this.audioTrack.stop();
    this.audioTrack = null;
    this.changed();
  }
}
