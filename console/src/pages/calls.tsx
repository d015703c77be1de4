import { useEffect, useState } from "preact/hooks";
import { api, problem, type Problem } from "../api";
import { Call_State, OpenCall_Direction, type Call, type TranscriptEvent, type TurnLatency } from "../gen/switchboard/v1/calls_pb";
import { PARTS, ms, percentile, turnsOf, type Turn } from "../turns";
import { Badge, Card, Empty, ErrorBanner, Field, Loading, Page, Pager, Stat, clock, durationMs, enumLabel, navigate, shortId, tsDate, useAction, useInterval, useLoad, when } from "../ui";

function query(): URLSearchParams {
  return new URLSearchParams(window.location.hash.split("?")[1] ?? "");
}

export function callState(s: Call_State) {
  const name = Call_State[s] ?? "UNSPECIFIED";
  return <Badge kind={"call-" + name.toLowerCase()}>{name === "ACTIVE" ? "live" : enumLabel(name, "")}</Badge>;
}

export function CallsPage() {
  const q = query();
  const [filters, setFilters] = useState({ campaignId: q.get("campaign") ?? "", agentId: q.get("agent") ?? "", state: Number(q.get("state") ?? 0) as Call_State });
  const agents = useLoad(() => api.agents.listAgents({ pageSize: 200 }), []);
  const campaigns = useLoad(() => api.campaigns.listCampaigns({ pageSize: 200 }), []);
  const [extra, setExtra] = useState<Call[]>([]);
  const [token, setToken] = useState("");
  const first = useLoad(async () => {
    const r = await api.calls.listCalls({ pageSize: 50, ...filters });
    setExtra([]);
    setToken(r.nextPageToken);
    return r;
  }, [filters.campaignId, filters.agentId, filters.state]);
  const more = useAction();
  const calls = [...(first.data?.calls ?? []), ...extra];
  useInterval(first.reload, 5000, calls.some((c) => c.state === Call_State.ACTIVE));
  const agentName = (id: string) => agents.data?.agents.find((a) => a.id === id)?.name ?? shortId(id);
  const campaignName = (id: string) => (id ? campaigns.data?.campaigns.find((c) => c.id === id)?.name ?? shortId(id) : "—");
  return (
    <Page title="Calls" subtitle="Live and finished calls in the order they started; open one for its recording, transcript and summary."
      actions={<button class="secondary" onClick={first.reload}>Refresh</button>}>
      <div class="filters card">
        <Field label="Campaign">
          <select name="campaign" value={filters.campaignId} onChange={(e) => setFilters({ ...filters, campaignId: e.currentTarget.value })}>
            <option value="">Any</option>
            {campaigns.data?.campaigns.map((c) => <option value={c.id}>{c.name}</option>)}
          </select>
        </Field>
        <Field label="Agent">
          <select name="agent" value={filters.agentId} onChange={(e) => setFilters({ ...filters, agentId: e.currentTarget.value })}>
            <option value="">Any</option>
            {agents.data?.agents.map((a) => <option value={a.id}>{a.name}</option>)}
          </select>
        </Field>
        <Field label="State">
          <select name="state" value={filters.state} onChange={(e) => setFilters({ ...filters, state: Number(e.currentTarget.value) })}>
            <option value={Call_State.UNSPECIFIED}>Any</option>
            <option value={Call_State.ACTIVE}>Live</option>
            <option value={Call_State.ENDED}>Ended</option>
            <option value={Call_State.FAILED}>Failed</option>
          </select>
        </Field>
      </div>
      <ErrorBanner error={first.error ?? more.error} />
      {!first.data ? <Loading /> : calls.length === 0 ? <Empty>No calls match.</Empty> : (
        <table class="table" data-testid="calls-table">
          <thead><tr><th>Started</th><th>State</th><th>Direction</th><th>From → to</th><th>Agent</th><th>Campaign</th><th>Duration</th></tr></thead>
          <tbody>
            {calls.map((c) => (
              <tr class="clickable" onClick={() => navigate("calls/" + c.id)} data-call-id={c.id}>
                <td><a href={"#/calls/" + c.id}>{when(c.startTime)}</a></td>
                <td>{callState(c.state)}</td>
                <td>{enumLabel(OpenCall_Direction[c.direction], "")}</td>
                <td class="mono">{c.fromNumber || "—"} → {c.toNumber || "—"}</td>
                <td>{agentName(c.agentId)}</td>
                <td>{campaignName(c.campaignId)}</td>
                <td>{c.state === Call_State.ACTIVE ? <span class="muted">live</span> : clock(durationMs(c.audioDuration))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager token={token} busy={more.busy} onMore={async () => {
        const r = await more.run(() => api.calls.listCalls({ pageSize: 50, pageToken: token, ...filters }));
        if (r) { setExtra([...extra, ...r.calls]); setToken(r.nextPageToken); }
      }} />
    </Page>
  );
}

const unfinished = (c?: Call) => !!c && (c.state === Call_State.ACTIVE || c.stages.some((s) => s.state === "pending" || s.state === "running") || c.stages.length === 0);

export function CallPage({ id }: { id: string }) {
  const [call, setCall] = useState<Call | undefined>();
  const [error, setError] = useState<Problem | undefined>();
  const [live, setLive] = useState<{ finals: TranscriptEvent[]; partial: Map<number, TranscriptEvent> }>({ finals: [], partial: new Map() });
  const [watching, setWatching] = useState(false);
  const load = () => api.calls.getCall({ id }).then(setCall, (e) => setError(problem(e)));
  useEffect(() => { load(); }, [id]);
  // Poll while the call runs or its pipeline (recording, transcript, summary) is still working.
  useInterval(load, 2000, unfinished(call) && !watching);

  // Live transcript: follow the call's events while it runs (WatchCall, server streaming over grpc-web).
  const active = call?.state === Call_State.ACTIVE;
  useEffect(() => {
    if (!active) return;
    const abort = new AbortController();
    setWatching(true);
    (async () => {
      try {
        for await (const ev of api.calls.watchCall({ id }, { signal: abort.signal })) {
          if (ev.payload.case === "transcript") {
            const t = ev.payload.value;
            setLive((l) => {
              const partial = new Map(l.partial);
              if (t.isFinal) {
                partial.delete(t.channel);
                return { finals: [...l.finals, t], partial };
              }
              partial.set(t.channel, t);
              return { finals: l.finals, partial };
            });
          } else if (ev.payload.case === "ended") {
            setCall(ev.payload.value);
          }
        }
      } catch (e) {
        if (!abort.signal.aborted) setError(problem(e));
      } finally {
        if (!abort.signal.aborted) {
          setWatching(false);
          load();
        }
      }
    })();
    return () => abort.abort();
  }, [active, id]);

  if (!call) return <Page title="Call">{error ? <ErrorBanner error={error} /> : <Loading />}</Page>;
  const transcript = call.transcript.length > 0 ? call.transcript : live.finals;
  return (
    <Page title={`Call ${shortId(call.id)}`} subtitle={<>{callState(call.state)} <span class="mono">{call.id}</span></>}
      actions={<a class="button secondary" href="#/calls">All calls</a>}>
      <ErrorBanner error={error} />
      <div class="call-grid">
        <div class="grow">
          <Recording call={call} />
          <Card title={<>Conversation {active && <span class="pulse" title="live" />}</>}>
            <Conversation events={transcript} latencies={call.turnLatencies} partials={active ? [...live.partial.values()] : []}
              values={call.summary?.variables ?? {}} />
          </Card>
        </div>
        <div class="side">
          <LatencyCard latencies={call.turnLatencies} />
          <SummaryCard call={call} />
          <FollowUpsCard call={call} />
          <DetailsCard call={call} />
        </div>
      </div>
    </Page>
  );
}

function Recording({ call }: { call: Call }) {
  const [url, setUrl] = useState<string | undefined>();
  const [error, setError] = useState<Problem | undefined>();
  const ready = !!call.recording && call.recording.sizeBytes > 0n;
  const fetchUrl = () => api.calls.getRecordingUrl({ id: call.id }).then((r) => setUrl(r.url), (e) => setError(problem(e)));
  useEffect(() => { if (ready && !url) fetchUrl(); }, [ready]);
  return (
    <Card title="Recording" class="recording">
      {call.state === Call_State.ACTIVE ? <div class="muted">The call is live; its recording is assembled after it ends.</div>
        : !ready ? <div class="muted">{error ? "" : "The recording is being assembled…"}</div>
        : !url ? (error ? null : <Loading what="recording" />) : (
          <>
            <audio id="recording" controls preload="metadata" src={url} data-testid="recording" onError={() => { setUrl(undefined); setError(undefined); }} />
            <div class="muted small">{call.recording!.contentType} · {(Number(call.recording!.sizeBytes) / 1024).toFixed(0)} KiB · sha256 <span class="mono">{call.recording!.sha256.slice(0, 16)}…</span></div>
          </>
        )}
      <ErrorBanner error={error} title="No recording" />
    </Card>
  );
}

const SPEAKERS: Record<string, string> = { agent: "Agent", customer: "Caller", unknown: "Speaker" };

/**
 * The recording's playback position (ms; -1 before it plays), from the page's one <audio id="recording">. Media events
 * do not bubble, so they are caught on the document in the capture phase: the player may appear after this mounts.
 */
function usePlayhead(): number {
  const [now, setNow] = useState(-1);
  useEffect(() => {
    const on = (e: Event) => {
      const a = e.target as HTMLAudioElement;
      if (a.id === "recording") setNow(a.paused && a.currentTime === 0 ? -1 : a.currentTime * 1000);
    };
    for (const type of ["timeupdate", "seeked", "play"]) document.addEventListener(type, on, true);
    return () => {
      for (const type of ["timeupdate", "seeked", "play"]) document.removeEventListener(type, on, true);
    };
  }, []);
  return now;
}

function seek(ms: number) {
  const audio = document.getElementById("recording") as HTMLAudioElement | null;
  if (audio) {
    audio.currentTime = ms / 1000;
    void audio.play().catch(() => undefined);
  }
}

/** A reply's latency as one bar of its parts, widths in proportion to {@code scale} ms. */
function LatencyBar({ l, scale }: { l: TurnLatency; scale: number }) {
  const total = durationMs(l.total);
  return (
    <div class="latency" data-testid="turn-latency" title={PARTS.map((p) => `${p.label} ${ms(durationMs(l[p.key]))}`).join(" · ")}>
      <span class="latency-bar" style={{ width: `${Math.max(6, Math.round((160 * total) / Math.max(1, scale)))}px` }}>
        {PARTS.map((p) => {
          const v = durationMs(l[p.key]);
          return v > 0 ? <i style={{ flexGrow: v, background: p.color }} /> : null;
        })}
      </span>
      <span class="latency-total">{ms(total)}</span>
      <span class="latency-parts muted">
        {PARTS.filter((p) => p.key !== "machineDetection" || durationMs(l[p.key]) > 0)
          .map((p) => `${p.label.split(" ")[0]} ${durationMs(l[p.key])}`)
          .join(" · ")}
      </span>
    </div>
  );
}

function Conversation({ events, latencies, partials, values }: { events: TranscriptEvent[]; latencies: TurnLatency[]; partials: TranscriptEvent[]; values: Record<string, string> }) {
  const now = usePlayhead();
  const turns = turnsOf(events, latencies);
  if (turns.length === 0 && partials.length === 0) return <Empty>No speech recognised yet.</Empty>;
  const scale = Math.max(0, ...latencies.map((l) => durationMs(l.total)));
  // the playing turn: the last one begun by the playhead (a seek may land a few ms before the turn's start)
  const playing = now < 0 ? -1 : turns.reduce((k, t, i) => (t.startMs <= now + 250 ? i : k), -1);
  return (
    <ol class="turns" data-testid="transcript">
      {turns.map((t, i) => {
        const current = i === playing;
        return (
          <li class={"turn speaker-" + t.speaker + (current ? " current" : "")} data-testid="transcript-line" data-start-ms={t.startMs}
            onClick={() => seek(t.startMs)} title="Play from here">
            <div class="turn-head">
              <span class="who">{SPEAKERS[t.speaker] ?? t.speaker}</span>
              <span class="at mono">{clock(t.startMs, true)}</span>
              {t.latency && <LatencyBar l={t.latency} scale={scale} />}
            </div>
            <div class="turn-text text">
              {t.sentences.map((s) => (
                <span class={s.interrupted ? "cut" : ""}>
                  {s.text}
                  {s.interrupted && <span class="cut-mark" data-testid="interrupted" title="The caller interrupted here: playout stopped">✂ interrupted</span>}{" "}
                </span>
              ))}
            </div>
            {t.filled.length > 0 && (
              <div class="filled" data-testid="turn-filled">
                {t.filled.map((v) => <Badge kind="filled">{v} = {values[v] ?? "?"}</Badge>)}
              </div>
            )}
          </li>
        );
      })}
      {partials.map((t) => (
        <li class={"turn partial speaker-" + t.speaker} data-testid="transcript-partial">
          <div class="turn-head"><span class="who">{SPEAKERS[t.speaker] ?? t.speaker}</span><span class="at mono">{clock(durationMs(t.startOffset), true)}</span></div>
          <div class="turn-text">{t.text}…</div>
        </li>
      ))}
    </ol>
  );
}

function LatencyCard({ latencies }: { latencies: TurnLatency[] }) {
  if (latencies.length === 0) return null;
  const totals = latencies.map((l) => durationMs(l.total));
  const row = (label: string, values: number[], color?: string) => (
    <tr>
      <td>{color && <i class="swatch" style={{ background: color }} />}{label}</td>
      <td class="num">{ms(percentile(values, 0.5))}</td>
      <td class="num">{ms(percentile(values, 0.95))}</td>
    </tr>
  );
  return (
    <Card title="Reply latency" class="latency-card">
      <div class="stats">
        <Stat label="replies" value={latencies.length} />
        <Stat label="p50" value={ms(percentile(totals, 0.5))} testid="latency-p50" />
        <Stat label="p95" value={ms(percentile(totals, 0.95))} testid="latency-p95" />
      </div>
      <table class="table compact" data-testid="latency-parts">
        <thead><tr><th title="From the caller's last word to the agent's first audio">Where the time went</th><th class="num">p50</th><th class="num">p95</th></tr></thead>
        <tbody>
          {PARTS.map((p) => row(p.label, latencies.map((l) => durationMs(l[p.key])), p.color))}
          {row("total", totals)}
        </tbody>
      </table>
    </Card>
  );
}

function SummaryCard({ call }: { call: Call }) {
  const s = call.summary;
  // the caller turn that filled each variable the conversation captured live; others came from the summariser
  const fillers = new Map<string, Turn>();
  for (const t of turnsOf(call.transcript, call.turnLatencies)) t.filled.forEach((v) => fillers.set(v, t));
  const stage = call.stages.find((x) => x.name === "summarize");
  return (
    <Card title="Summary" class="summary">
      {!s || (!s.text && Object.keys(s.variables).length === 0) ? (
        <div class="muted">{stage?.state === "failed" ? "The summariser failed: " + stage.detail : call.state === Call_State.ACTIVE ? "Made after the call ends." : "Being written…"}</div>
      ) : (
        <>
          <p class="summary-text" data-testid="summary">{s.text}</p>
          <dl class="facts">
            <dt>Disposition</dt><dd data-testid="disposition">{s.disposition ? <Badge>{s.disposition}</Badge> : <span class="muted">none chosen</span>}</dd>
            <dt>Summariser</dt><dd>{s.provider}</dd>
          </dl>
          <h3>Captured variables</h3>
          {Object.keys(s.variables).length === 0 ? <div class="muted">none</div> : (
            <table class="table compact" data-testid="variables">
              <tbody>{Object.entries(s.variables).map(([k, v]) => {
                const by = fillers.get(k);
                return (
                  <tr>
                    <td class="mono">{k}</td><td>{v}</td>
                    <td class="muted small">{by ? <button class="link" title="Play the caller's answer" data-testid="filled-by" onClick={() => seek(by.startMs)}>turn at {clock(by.startMs, true)}</button> : "after the call"}</td>
                  </tr>
                );
              })}</tbody>
            </table>
          )}
          {Object.keys(s.notProduced).length > 0 && (
            <details class="not-produced">
              <summary>Not produced ({Object.keys(s.notProduced).length})</summary>
              <ul>{Object.entries(s.notProduced).map(([k, v]) => <li><code>{k}</code>: {v}</li>)}</ul>
            </details>
          )}
        </>
      )}
    </Card>
  );
}

/** The texts the call triggered: sent by the agent during the call, or by a follow-up rule after it. */
function FollowUpsCard({ call }: { call: Call }) {
  if (call.followUps.length === 0) return null;
  return (
    <Card title="Follow-up texts" class="follow-ups">
      <table class="table compact" data-testid="follow-ups">
        <tbody>{call.followUps.map((f) => (
          <tr>
            <td>{f.trigger === "during_call" ? <>during the call{f.nodeId && <> (node <code>{f.nodeId}</code>)</>}</> : "after the call"}</td>
            <td>{f.messageId ? <Badge>queued</Badge> : <span title={f.detail}><Badge>{f.refusal || "refused"}</Badge></span>}</td>
            <td class="muted small">{f.detail}</td>
          </tr>
        ))}</tbody>
      </table>
    </Card>
  );
}

function DetailsCard({ call }: { call: Call }) {
  const started = tsDate(call.startTime);
  return (
    <Card title="Details">
      <dl class="facts">
        <dt>Direction</dt><dd>{enumLabel(OpenCall_Direction[call.direction], "")}</dd>
        <dt>From</dt><dd class="mono">{call.fromNumber || "—"}</dd>
        <dt>To</dt><dd class="mono">{call.toNumber || "—"}</dd>
        <dt>Agent</dt><dd><a href={"#/agents/" + call.agentId}>{shortId(call.agentId)}</a> v{call.agentVersion}</dd>
        {call.campaignId && <><dt>Campaign</dt><dd><a href={"#/campaigns/" + call.campaignId}>{shortId(call.campaignId)}</a></dd></>}
        <dt>Started</dt><dd>{started ? when(call.startTime) : "—"}</dd>
        <dt>Ended</dt><dd>{when(call.endTime)}</dd>
        <dt>Audio</dt><dd>{call.state === Call_State.ACTIVE ? "streaming" : clock(durationMs(call.audioDuration))}{call.format ? ` · ${enumLabel(["", "μ-law", "PCM16"][call.format.encoding] || "", "")} ${call.format.sampleRate} Hz × ${call.format.channels}` : ""}</dd>
        {call.endReason && <><dt>End reason</dt><dd>{call.endReason}</dd></>}
      </dl>
      <h3>Pipeline</h3>
      <ul class="stages" data-testid="stages">
        {call.stages.map((s) => (
          <li><Badge kind={"stage-" + s.state}>{s.state}</Badge> <b>{s.name}</b> <span class="muted small">{s.detail}</span></li>
        ))}
        {call.stages.length === 0 && <li class="muted">{call.state === Call_State.ACTIVE ? "starts when the call ends" : "queued"}</li>}
      </ul>
    </Card>
  );
}
