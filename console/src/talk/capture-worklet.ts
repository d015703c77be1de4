// The microphone's side of a talk, run in the audio rendering thread: takes the context's input at whatever
// rate the device runs (48 kHz usually), low-passes it below 8 kHz (a windowed-sinc FIR: what lies above the
// new Nyquist would fold back onto the speech and the recogniser mishears fricatives and plosives), resamples it to 16 kHz, and posts 20 ms frames of
// PCM16LE with their level (RMS, dBFS) to the page, which sends them up the talk socket as they come.
// Kept as source text: the page loads it as a module from a Blob URL, so no separate build entry is needed.
export const CAPTURE_WORKLET = `
const OUT_RATE = 16000;
const FRAME = 320; // 20 ms at 16 kHz
const TAPS = 127;  // about 2 kHz of transition band at 48 kHz
const CUTOFF = 7000;

// a Blackman-windowed sinc low-pass at cutoff (Hz) for rate (Hz), unity gain at DC
function lowPass(cutoff, rate, n) {
  const fc = cutoff / rate;
  const h = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const m = i - (n - 1) / 2;
    const sinc = m === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * m) / (Math.PI * m);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (n - 1));
    h[i] = sinc * w;
    sum += h[i];
  }
  for (let i = 0; i < n; i++) h[i] /= sum;
  return h;
}

class TalkCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / OUT_RATE; // input samples per output sample
    this.pos = 0;                      // where the next output sample falls, in input samples from prev
    this.prev = 0;
    this.taps = lowPass(Math.min(CUTOFF, sampleRate * 0.45), sampleRate, TAPS); // anti-aliasing before decimation
    this.hist = new Float32Array(TAPS); // the last TAPS input samples, a ring
    this.at = 0;
    this.frame = new Int16Array(FRAME);
    this.n = 0;
    this.sum = 0;
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    for (let i = 0; i < input.length; i++) {
      const x = this.step > 1 ? this.filter(input[i]) : input[i];
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

  filter(x) {
    const hist = this.hist;
    hist[this.at] = x;
    let acc = 0;
    let j = this.at;
    for (let k = 0; k < TAPS; k++) {
      acc += this.taps[k] * hist[j];
      j = j === 0 ? TAPS - 1 : j - 1;
    }
    this.at = this.at === TAPS - 1 ? 0 : this.at + 1;
    return acc;
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
