// A small extra call mode that ships with the gateway to prove the mode hook end to end: it sends an
// animated canvas as this participant's video. Switch it on with CROW_CALLS_MODES=test-canvas.
//
// A mode is an ES module whose default export has a `label` (the button's text) and a `start(options)`
// that returns `{ stream, stop }`: a MediaStream whose first video track is sent as this participant's
// video while the mode is on, and a function that releases what the mode holds. See docs/WEB.md.
export default {
  label: 'Test pattern',
  start({ width = 640, height = 360 } = {}) {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    let frame = 0;
    const timer = setInterval(() => {
      frame += 1;
      const hue = (frame * 3) % 360;
      context.fillStyle = `hsl(${hue} 70% 45%)`;
      context.fillRect(0, 0, width, height);
      context.fillStyle = '#fff';
      const x = (Math.sin(frame / 15) * 0.4 + 0.5) * width;
      context.beginPath();
      context.arc(x, height / 2, height / 6, 0, Math.PI * 2);
      context.fill();
      context.font = `${Math.round(height / 12)}px system-ui, sans-serif`;
      context.fillText(`Crow Calls test pattern · ${frame}`, 16, height - 20);
    }, 1000 / 30);
    const stream = canvas.captureStream(30);
    return {
      stream,
      stop() {
        clearInterval(timer);
        for (const track of stream.getTracks()) track.stop();
      },
    };
  },
};
