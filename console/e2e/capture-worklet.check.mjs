// The talk page's microphone worklet (src/talk/capture-worklet.ts) run in Node without a browser: tones at 48 kHz
// go in, 16 kHz PCM16 frames come out. Speech must pass, and what lies above 8 kHz (the new Nyquist) must not
// fold back onto it: an unfiltered 12 kHz tone comes out as a 4 kHz one, and the recogniser mishears the speech.
// Started by devtools' TalkCaptureWorkletTest; prints one line per tone, exits 1 when a tone is wrong.
import { readFileSync } from "node:fs";

const src = readFileSync(new URL("../src/talk/capture-worklet.ts", import.meta.url), "utf8");
const body = src.slice(src.indexOf("`") + 1, src.lastIndexOf("`"));
const RATE = 48000;
let Capture;
const frames = [];
class Processor {
  constructor() {
    this.port = { postMessage: (m) => frames.push(new Int16Array(m.pcm)) };
  }
}
new Function("AudioWorkletProcessor", "registerProcessor", "sampleRate", body)(Processor, (_, c) => (Capture = c), RATE);

// gain in dB of a half-scale tone of hz through the worklet (one second of it, the filter's start skipped)
const gain = (hz) => {
  frames.length = 0;
  const p = new Capture();
  for (let b = 0; b < RATE / 128; b++) {
    const x = new Float32Array(128);
    for (let i = 0; i < 128; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * hz * (b * 128 + i)) / RATE);
    p.process([[x]]);
  }
  let sum = 0;
  let n = 0;
  for (const f of frames.slice(5)) for (const v of f) (sum += (v / 32768) ** 2), n++;
  if (frames.some((f) => f.length !== 320)) throw new Error("frames are not 20 ms at 16 kHz");
  return n === 0 || sum === 0 ? -Infinity : 10 * Math.log10(sum / n / 0.125);
};

let failed = false;
for (const [hz, ok] of [[300, (g) => g > -1], [1000, (g) => g > -1], [4000, (g) => g > -1], [9000, (g) => g < -40],
  [12000, (g) => g < -40], [20000, (g) => g < -40]]) {
  const g = gain(hz);
  const pass = ok(g);
  failed ||= !pass;
  console.log(`${pass ? "ok" : "WRONG"} ${hz} Hz: ${g.toFixed(1)} dB`);
}
process.exit(failed ? 1 : 0);
