// A call's conversation as turns: consecutive transcript segments of one speaker make a turn; each agent reply's
// latency (Call.turn_latencies) is placed on the agent turn it started and its filled variables on the caller
// turn that said them. Pure functions, no I/O: the call page and the campaign page use them.
import type { TranscriptEvent, TurnLatency } from "./gen/switchboard/v1/calls_pb";
import { durationMs } from "./ui";

/** The mark StoredConversations appends to an agent sentence the caller cut (until segments carry a flag). */
const CUT = " —";

export interface Turn {
  speaker: string;
  startMs: number;
  endMs: number;
  sentences: { text: string; startMs: number; interrupted: boolean }[];
  /** The reply latency of an agent turn. */
  latency?: TurnLatency;
  /** The captured variables a caller turn filled. */
  filled: string[];
}

export function interrupted(t: TranscriptEvent): boolean {
  return (t as { interrupted?: boolean }).interrupted === true || t.text.endsWith(CUT);
}

export function turnsOf(events: TranscriptEvent[], latencies: TurnLatency[]): Turn[] {
  const sorted = [...events].sort((a, b) => durationMs(a.startOffset) - durationMs(b.startOffset));
  const turns: Turn[] = [];
  for (const e of sorted) {
    const cut = interrupted(e);
    const sentence = { text: cut && e.text.endsWith(CUT) ? e.text.slice(0, -CUT.length) : e.text, startMs: durationMs(e.startOffset), interrupted: cut };
    const last = turns[turns.length - 1];
    if (last && last.speaker === e.speaker && !last.sentences[last.sentences.length - 1].interrupted) {
      last.sentences.push(sentence);
      last.endMs = Math.max(last.endMs, durationMs(e.endOffset));
    } else {
      turns.push({ speaker: e.speaker, startMs: sentence.startMs, endMs: durationMs(e.endOffset), sentences: [sentence], filled: [] });
    }
  }
  for (const l of latencies) {
    const callerEnd = durationMs(l.callerEndOffset);
    // the reply: the first agent turn starting after the caller stopped (allowing for the recogniser's rounding)
    const reply = turns.find((t) => t.speaker === "agent" && t.startMs >= callerEnd - 150 && !t.latency);
    if (reply) reply.latency = l;
    // the caller's turn: the last one of theirs that began before they stopped
    const said = [...turns].reverse().find((t) => t.speaker !== "agent" && t.startMs <= callerEnd + 150);
    if (said) said.filled.push(...l.variables);
  }
  return turns;
}

/** Linear-interpolated percentile (as PostgreSQL's percentile_cont), of sorted or unsorted values; 0 when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const at = (s.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return Math.round(s[lo] + (s[hi] - s[lo]) * (at - lo));
}

export const PARTS: {
  key: "endpointing" | "recognizer" | "machineDetection" | "decision" | "firstAudio";
  label: string;
  color: string;
}[] = [
  { key: "endpointing", label: "endpointing", color: "#9aa7c7" },
  { key: "recognizer", label: "recogniser", color: "#2bb3a3" },
  { key: "machineDetection", label: "machine detection", color: "#b968c7" },
  { key: "decision", label: "decision / first token", color: "#4f6bed" },
  { key: "firstAudio", label: "first audio", color: "#e39b2f" },
];

export function ms(n: number): string {
  return n >= 10000 ? (n / 1000).toFixed(1) + " s" : n + " ms";
}
