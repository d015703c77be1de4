// One conversation with an agent from this browser, without any UI: mints a talk token over the API (the key
// stays in this tab), opens the talk socket (/v1/talk) on the API's origin, sends the microphone as 16 kHz PCM16
// frames from an AudioWorklet, plays the agent's audio gaplessly, stops it at once on `clear`, and echoes each
// `mark` once the audio before it has played. The server's wire format is in the README ("Talking to an agent
// from a browser").
import { api } from "../api";
import { CAPTURE_WORKLET } from "./capture-worklet";

const RATE = 16000;

export interface Line {
  speaker: "agent" | "customer";
  text: string;
  final: boolean;
}

export type TalkState = "idle" | "starting" | "live" | "ended" | "failed";

export interface TalkEvents {
  state(state: TalkState, detail?: string): void;
  level(dbfs: number): void;
  transcript(lines: Line[]): void;
  accepted(callId: string): void;
}

interface Scheduled {
  source: AudioBufferSourceNode;
  end: number;
}

export class TalkSession {
  private ws?: WebSocket;
  private ctx?: AudioContext;
  private mic?: MediaStream;
  private node?: AudioWorkletNode;
  private playing: Scheduled[] = [];
  private marks: { name: string; at: number }[] = [];
  private playhead = 0;
  private timer?: number;
  private lines: Line[] = [];
  private partial?: Line;
  private done = false;
  callId = "";

  constructor(private readonly agentId: string, private readonly on: TalkEvents) {}

  async start(): Promise<void> {
    this.on.state("starting");
    try {
      const token = await api.calls.createTalkToken({ agentId: this.agentId });
      this.mic = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
      });
      this.ctx = new AudioContext();
      await this.ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([CAPTURE_WORKLET], { type: "text/javascript" })));
      this.node = new AudioWorkletNode(this.ctx, "talk-capture");
      this.ctx.createMediaStreamSource(this.mic).connect(this.node);
      this.playhead = this.ctx.currentTime;
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(`${scheme}//${window.location.host}${token.path}?token=${encodeURIComponent(token.token)}`);
      ws.binaryType = "arraybuffer";
      this.ws = ws;
      ws.onmessage = (m) => this.received(m.data);
      ws.onclose = (c) => this.closed(c.code, c.reason);
      let frames = 0;
      this.node.port.onmessage = (m: MessageEvent<{ pcm: ArrayBuffer; level: number }>) => {
        if (++frames % 5 === 0) this.on.level(m.data.level); // the meter moves 10 times a second, not 50
        if (ws.readyState === WebSocket.OPEN && this.callId) ws.send(m.data.pcm);
      };
      this.timer = window.setInterval(() => this.echoMarks(), 20);
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /** Hangs up: the server ends the call and answers `ended`. */
  hangUp(): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: "end" }));
    else this.release();
  }

  private received(data: string | ArrayBuffer) {
    if (typeof data !== "string") {
      this.play(new Int16Array(data));
      return;
    }
    const m = JSON.parse(data);
    switch (m.type) {
      case "accepted":
        this.callId = m.call_id;
        this.on.accepted(m.call_id);
        this.on.state("live");
        break;
      case "mark":
        this.marks.push({ name: m.name, at: Math.max(this.playhead, this.ctx!.currentTime) });
        break;
      case "clear":
        this.clear();
        break;
      case "transcript":
        this.transcript(m);
        break;
      case "ended":
        this.done = true;
        this.on.state("ended", m.reason);
        break;
      case "error":
        this.done = true;
        this.on.state("failed", `${m.code}: ${m.message}`);
        break;
    }
  }

  /** Agent audio, scheduled right after what is already queued. */
  private play(pcm: Int16Array) {
    const ctx = this.ctx!;
    const buffer = ctx.createBuffer(1, pcm.length, RATE);
    const samples = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 0x8000;
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(ctx.destination);
    const at = Math.max(this.playhead, ctx.currentTime);
    source.start(at);
    this.playhead = at + buffer.duration;
    const item = { source, end: this.playhead };
    this.playing.push(item);
    source.onended = () => (this.playing = this.playing.filter((p) => p !== item));
  }

  /** Barge-in: everything queued stops now, and its marks are never echoed. */
  private clear() {
    for (const p of this.playing) {
      try {
        p.source.stop();
      } catch {
        // not started yet
      }
    }
    this.playing = [];
    this.marks = [];
    this.playhead = this.ctx ? this.ctx.currentTime : 0;
  }

  private echoMarks() {
    const now = this.ctx?.currentTime ?? 0;
    while (this.marks.length && this.marks[0].at <= now) {
      const mark = this.marks.shift()!;
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: "mark", name: mark.name }));
    }
  }

  private transcript(m: { speaker: string; text: string; final: boolean }) {
    const speaker = m.speaker === "agent" ? "agent" : "customer";
    if (m.final) {
      this.partial = undefined;
      if (m.text.trim()) this.lines = [...this.lines, { speaker, text: m.text, final: true }];
    } else {
      this.partial = m.text.trim() ? { speaker, text: m.text, final: false } : undefined;
    }
    this.on.transcript(this.partial ? [...this.lines, this.partial] : this.lines);
  }

  private closed(code: number, reason: string) {
    if (!this.done) {
      this.done = true;
      if (code === 1000) this.on.state("ended", reason);
      else this.fail(`the talk socket closed (${code}${reason ? ": " + reason : ""})`);
    }
    this.release();
  }

  private fail(why: string) {
    this.done = true;
    this.on.state("failed", why);
    this.release();
  }

  /** Lets go of the microphone and the audio context; the agent's last words may still be playing. */
  private release() {
    if (this.timer !== undefined) window.clearInterval(this.timer);
    this.timer = undefined;
    this.mic?.getTracks().forEach((t) => t.stop());
    this.node?.disconnect();
    const ctx = this.ctx;
    if (ctx && ctx.state !== "closed") {
      const left = Math.max(0, this.playhead - ctx.currentTime);
      window.setTimeout(() => ctx.state !== "closed" && ctx.close(), left * 1000 + 200);
    }
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
  }
}
