// The microphone's side of a talk, run in the audio rendering thread: takes the context's input at whatever
// rate the device runs (48 kHz usually), low-passes and resamples it to 16 kHz, and posts 20 ms frames of
// PCM16LE with their level (RMS, dBFS) to the page, which sends them up the talk socket as they come.
// Kept as source text: the page loads it as a module from a Blob URL, so no separate build entry is needed.
export const CAPTURE_WORKLET = `
const OUT_RATE = 16000;
const FRAME = 320; // 20 ms at 16 kHz

class TalkCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / OUT_RATE; // input samples per output sample
    this.pos = 0;                      // where the next output sample falls, in input samples from prev
    this.prev = 0;
    this.lp = 0;                       // one-pole low-pass state (anti-aliasing before decimation)
    this.alpha = Math.min(1, (2 * Math.PI * 7000) / sampleRate);
    this.frame = new Int16Array(FRAME);
    this.n = 0;
    this.sum = 0;
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    for (let i = 0; i < input.length; i++) {
      const x = this.step > 1 ? (this.lp += this.alpha * (input[i] - this.lp)) : input[i];
      // linear interpolation between the previous input sample and this one
      while (this.pos <= 1) {
        const y = this.prev + (x - this.prev) * this.pos;
        this.push(y);
        this.pos += this.step;
      }
      this.pos -= 1;
      this.prev = x;
    }
    return true;
  }

  push(y) {
    const s = Math.max(-1, Math.min(1, y));
    this.frame[this.n++] = s < 0 ? s * 0x8000 : s * 0x7fff;
    this.sum += s * s;
    if (this.n === FRAME) {
      const rms = Math.sqrt(this.sum / FRAME);
      const out = this.frame.buffer;
      this.port.postMessage({ pcm: out, level: rms > 0 ? 20 * Math.log10(rms) : -100 }, [out]);
      this.frame = new Int16Array(FRAME);
      this.n = 0;
      this.sum = 0;
    }
  }
}

registerProcessor("talk-capture", TalkCapture);
`;
