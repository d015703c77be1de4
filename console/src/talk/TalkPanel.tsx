// "Talk to this agent" on the agent page: a conversation through this computer's microphone and speakers, with
// a level meter, the live transcript of both sides, a hang-up button, and then a link to the stored call.
import { useEffect, useRef, useState } from "preact/hooks";
import { problem, type Problem } from "../api";
import { Card, ErrorBanner } from "../ui";
import { TalkSession, type Line, type TalkState } from "./session";
import "./talk.css";

export function TalkPanel({ agentId }: { agentId: string }) {
  const [state, setState] = useState<TalkState>("idle");
  const [detail, setDetail] = useState("");
  const [level, setLevel] = useState(-100);
  const [lines, setLines] = useState<Line[]>([]);
  const [callId, setCallId] = useState("");
  const [error, setError] = useState<Problem | undefined>();
  const session = useRef<TalkSession | undefined>(undefined);

  useEffect(() => () => session.current?.hangUp(), []);

  const start = async () => {
    setLines([]);
    setCallId("");
    setDetail("");
    setError(undefined);
    const s = new TalkSession(agentId, {
      state: (st, d) => {
        setState(st);
        setDetail(d ?? "");
      },
      level: setLevel,
      transcript: setLines,
      accepted: setCallId,
    });
    session.current = s;
    try {
      await s.start();
    } catch (e) {
      setError(problem(e));
    }
  };

  const live = state === "starting" || state === "live";
  // -60 dBFS (silence) to 0 dBFS (full scale) across the meter
  const meter = Math.max(0, Math.min(100, ((level + 60) / 60) * 100));
  return (
    <Card title="Talk to this agent" class="talk" actions={
      live ? (
        <button type="button" class="danger" data-testid="talk-hang-up" onClick={() => session.current?.hangUp()}>Hang up</button>
      ) : (
        <button type="button" data-testid="talk-start" onClick={start}>Talk to this agent</button>
      )}>
      <p class="muted">
        A call through this computer's microphone and speakers, as a caller would have it: the agent greets you,
        listens, and answers. Use headphones, or keep the volume low: echo cancellation is on, but the agent
        hears what your speakers play back.
      </p>
      <ErrorBanner error={error} title="Could not start" />
      <div class="talk-status" data-testid="talk-state" data-state={state}>
        {state === "starting" && "Connecting…"}
        {state === "live" && "Live: speak when the agent stops."}
        {state === "ended" && <>Call ended{detail && <> ({detail})</>}.</>}
        {state === "failed" && <span class="bad" data-testid="talk-error">{detail}</span>}
      </div>
      {live && (
        <div class="talk-meter" title={`microphone level ${level.toFixed(0)} dBFS`}>
          <div class="talk-meter-bar" data-testid="talk-level" style={{ width: meter + "%" }} />
        </div>
      )}
      {lines.length > 0 && (
        <ol class="talk-transcript" data-testid="talk-transcript">
          {lines.map((l) => (
            <li class={"talk-line " + l.speaker + (l.final ? "" : " partial")} data-speaker={l.speaker}>
              <span class="talk-speaker">{l.speaker === "agent" ? "Agent" : "You"}</span> {l.text}
            </li>
          ))}
        </ol>
      )}
      {callId && !live && (
        <p><a href={"#/calls/" + callId} data-testid="talk-call-link">Open the stored call</a> (its transcript,
          variables and recording appear as the pipeline finishes).</p>
      )}
    </Card>
  );
}
