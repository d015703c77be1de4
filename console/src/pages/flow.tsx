// The agent page's editors for what an agent says and how it listens: the flow (nodes, the variable each ask fills,
// branches with variable rules and intents by example phrases, global intents), the voice with a spoken preview
// synthesised by the server, and the endpointing, interruption and silence settings. Every control names the API
// field path its violations come back under (agent.flow.nodes[2].ask.variable…), so the server's refusal shows on
// the node and field it names.
import { useEffect, useRef, useState } from "preact/hooks";
import { clone, create } from "@bufbuild/protobuf";
import type { Duration } from "@bufbuild/protobuf/wkt";
import { api, problem, type Problem } from "../api";
import {
  AskNodeSchema, BranchNodeSchema, BranchRuleSchema, ChoiceSchema, EndNodeSchema, EndpointingSchema, FlowNodeSchema, FlowSchema, GlobalIntentSchema,
  SayNodeSchema, SendSmsNodeSchema, TransferNodeSchema, VariableCondition_Op, type Agent, type BranchRule, type Flow, type FlowNode, type GlobalIntent,
} from "../gen/switchboard/v1/agents_pb";
import { MessageChannel, type MessageTemplate } from "../gen/switchboard/v1/messaging_pb";
import { segmentLabel, segments } from "../messaging/segments";
import { findTemplate, type Texting } from "../messaging/templates";
import { Card, Empty, ErrorBanner, Field, durationMs } from "../ui";

// ------------------------------------------------------------------ timing

export interface TimingDraft {
  minSilence: string;
  maxSilence: string;
  minSpeech: string;
  repromptAfter: string;
  maxReprompts: string;
  reprompt: string;
  goodbye: string;
}

const msText = (d?: Duration) => (d ? String(durationMs(d)) : "");

export function timingOf(a?: Agent): TimingDraft {
  return {
    minSilence: msText(a?.endpointing?.minSilence), maxSilence: msText(a?.endpointing?.maxSilence),
    minSpeech: msText(a?.interruption?.minSpeech), repromptAfter: msText(a?.silence?.repromptAfter),
    maxReprompts: a?.silence?.maxReprompts === undefined ? "" : String(a.silence.maxReprompts),
    reprompt: a?.silence?.reprompt ?? "", goodbye: a?.silence?.goodbye ?? "",
  };
}

/** "" -> unset (the server's default); otherwise milliseconds as a Duration. */
export function duration(ms: string) {
  if (ms.trim() === "") return undefined;
  const n = Math.round(Number(ms));
  return { seconds: BigInt(Math.floor(n / 1000)), nanos: (((n % 1000) + 1000) % 1000) * 1_000_000 };
}

export function timingFields(t: TimingDraft) {
  return {
    endpointing: { minSilence: duration(t.minSilence), maxSilence: duration(t.maxSilence) },
    interruption: { minSpeech: duration(t.minSpeech) },
    silence: {
      repromptAfter: duration(t.repromptAfter), maxReprompts: t.maxReprompts.trim() === "" ? undefined : Number(t.maxReprompts),
      reprompt: t.reprompt, goodbye: t.goodbye,
    },
  };
}

function MsInput(props: { name: string; value: string; placeholder: string; onInput: (v: string) => void }) {
  return (
    <span class="unit-input">
      <input name={props.name} type="number" min="0" step="50" value={props.value} placeholder={props.placeholder}
        onInput={(e) => props.onInput(e.currentTarget.value)} />
      <span class="unit">ms</span>
    </span>
  );
}

export function TimingCard({ t, onChange, error }: { t: TimingDraft; onChange: (t: TimingDraft) => void; error?: Problem }) {
  const set = (patch: Partial<TimingDraft>) => onChange({ ...t, ...patch });
  const f = (p: string) => "agent." + p;
  return (
    <Card title="Turn-taking and silence" class="timing" actions={<span class="muted small">Empty fields take the defaults shown.</span>}>
      <div class="grid3 timing-grid" data-testid="timing">
        <Field label="End of turn after silence" field={f("endpointing.min_silence")} error={error} hint="default 500 ms; 100 ms – 5 s">
          <MsInput name="minSilence" value={t.minSilence} placeholder="500" onInput={(v) => set({ minSilence: v })} />
        </Field>
        <Field label="…up to, mid-phrase" field={f("endpointing.max_silence")} error={error} hint="default 2000 ms; not below the above">
          <MsInput name="maxSilence" value={t.maxSilence} placeholder="2000" onInput={(v) => set({ maxSilence: v })} />
        </Field>
        <Field label="Caller speech that interrupts" field={f("interruption.min_speech")} error={error} hint="default 250 ms; 50 ms – 2 s">
          <MsInput name="minSpeech" value={t.minSpeech} placeholder="250" onInput={(v) => set({ minSpeech: v })} />
        </Field>
        <Field label="Reprompt after silence of" field={f("silence.reprompt_after")} error={error} hint="default 8000 ms; 1 – 60 s">
          <MsInput name="repromptAfter" value={t.repromptAfter} placeholder="8000" onInput={(v) => set({ repromptAfter: v })} />
        </Field>
        <Field label="Reprompts before hanging up" field={f("silence.max_reprompts")} error={error} hint="default 2; 0 – 5">
          <input name="maxReprompts" type="number" min="0" max="5" value={t.maxReprompts} placeholder="2" onInput={(e) => set({ maxReprompts: e.currentTarget.value })} />
        </Field>
      </div>
      <div class="grid2" style={{ marginTop: "14px" }}>
        <Field label="Reprompt" field={f("silence.reprompt")} error={error}>
          <input name="reprompt" value={t.reprompt} placeholder="Are you still there?" onInput={(e) => set({ reprompt: e.currentTarget.value })} />
        </Field>
        <Field label="Goodbye to a silent caller" field={f("silence.goodbye")} error={error}>
          <input name="goodbye" value={t.goodbye} placeholder="I'll let you go now. Goodbye." onInput={(e) => set({ goodbye: e.currentTarget.value })} />
        </Field>
      </div>
    </Card>
  );
}

// ------------------------------------------------------------------ voice

export function VoicePicker({ value, onChange, error }: { value: string; onChange: (v: string) => void; error?: Problem }) {
  const [voices, setVoices] = useState<{ id: string; label: string; engine: string }[]>([]);
  const [fallback, setFallback] = useState("");
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<Problem | undefined>();
  const [url, setUrl] = useState("");
  const audio = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    api.agents.listVoices({}).then((r) => {
      setFallback(r.defaultVoice);
      setVoices(r.voices.map((v) => ({ id: v.id, engine: v.engine, label: `${v.name} · ${v.language}${v.gender === 1 ? " · female" : v.gender === 2 ? " · male" : ""}` })));
    }, (e) => setFailed(problem(e)));
  }, []);
  useEffect(() => () => { if (url) URL.revokeObjectURL(url); }, [url]);
  const engines = [...new Set(voices.map((v) => v.engine))];
  const preview = async () => {
    setBusy(true);
    setFailed(undefined);
    try {
      const r = await api.agents.previewVoice({ voice: value, text });
      setUrl(URL.createObjectURL(new Blob([r.wav as BlobPart], { type: "audio/wav" })));
      setTimeout(() => void audio.current?.play().catch(() => undefined), 0);
    } catch (e) {
      setFailed(problem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="voice-picker field wide" data-testid="voice-picker">
      <div class="grid2">
        <Field label="Voice" field="agent.voice" error={error}>
          <select name="voice" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
            <option value="">Deployment default{fallback ? ` (${fallback})` : ""}</option>
            {value && !voices.some((v) => v.id === value) && <option value={value}>{value} (not in this deployment)</option>}
            {engines.map((engine) => (
              <optgroup label={engine}>
                {voices.filter((v) => v.engine === engine).map((v) => <option value={v.id}>{v.label}</option>)}
              </optgroup>
            ))}
          </select>
        </Field>
        <Field label="Hear it say" field="text" error={failed} hint="up to 300 characters; synthesised by the server">
          <span class="preview-row">
            <input name="previewText" maxLength={400} value={text} placeholder="Hello! This is how I sound on a call." onInput={(e) => setText(e.currentTarget.value)} />
            <button type="button" class="secondary" data-testid="voice-preview" disabled={busy} onClick={preview}>{busy ? "Synthesising…" : "▶ Preview"}</button>
          </span>
        </Field>
      </div>
      {url && <audio ref={audio} controls src={url} data-testid="voice-preview-audio" />}
      {failed && !failed.fields.some((f) => f.field === "text") && <ErrorBanner error={failed} title="No preview" />}
    </div>
  );
}

// ------------------------------------------------------------------ flow

export interface VariableRef {
  name: string;
  enumValues: string[];
}

type Kind = NonNullable<FlowNode["kind"]["case"]>;
const KINDS: [Kind, string][] = [["say", "say"], ["ask", "ask (fills a variable)"], ["branch", "branch"], ["end", "end the call"], ["transfer", "transfer"], ["sendSms", "send a text"]];
const OPS: [VariableCondition_Op, string][] = [
  [VariableCondition_Op.EQUALS, "="], [VariableCondition_Op.NOT_EQUALS, "≠"], [VariableCondition_Op.LESS_THAN, "<"],
  [VariableCondition_Op.GREATER_THAN, ">"], [VariableCondition_Op.IS_SET, "is set"], [VariableCondition_Op.IS_NOT_SET, "is not set"],
];

function kindOf(kind: Kind): FlowNode["kind"] {
  switch (kind) {
    case "say": return { case: "say", value: create(SayNodeSchema) };
    case "ask": return { case: "ask", value: create(AskNodeSchema) };
    case "branch": return { case: "branch", value: create(BranchNodeSchema) };
    case "end": return { case: "end", value: create(EndNodeSchema) };
    case "transfer": return { case: "transfer", value: create(TransferNodeSchema) };
    case "sendSms": return { case: "sendSms", value: create(SendSmsNodeSchema) };
  }
}

/** The flow as saved: phrase lists without blank lines (the editor keeps them while typing), no empty choices. */
export function cleanFlow(flow: Flow): Flow {
  const c = clone(FlowSchema, flow);
  const phrases = (xs: string[]) => xs.map((x) => x.trim()).filter(Boolean);
  for (const n of c.nodes) {
    if (n.kind.case === "ask") {
      // a value whose phrases were all cleared has none: the value alone (and its meaning) is heard
      n.kind.value.choices.forEach((ch) => (ch.synonyms = phrases(ch.synonyms)));
      n.kind.value.choices = n.kind.value.choices.filter((ch) => ch.synonyms.length > 0);
    }
    if (n.kind.case === "branch") n.kind.value.rules.forEach((r) => { if (r.condition.case === "intent") r.condition.value.examples = phrases(r.condition.value.examples); });
  }
  c.globalIntents.forEach((g) => (g.examples = phrases(g.examples)));
  return c;
}

/** Violations of {@code prefix} itself or below it. */
function under(error: Problem | undefined, prefix: string) {
  return error?.fields.filter((f) => f.field === prefix || f.field.startsWith(prefix + ".") || f.field.startsWith(prefix + "[")) ?? [];
}

/** The violations under {@code prefix} that no control on the page shows (those in {@code shown} have their own). */
function Problems({ error, prefix, shown = [] }: { error?: Problem; prefix: string; shown?: string[] }) {
  const list = under(error, prefix).filter((v) => !shown.includes(v.field));
  if (list.length === 0) return null;
  return (
    <ul class="node-problems" data-testid="node-problems">
      {list.map((v) => {
        const rest = v.field.slice(prefix.length).replace(/^\./, "");
        return <li>{rest && <code>{rest}</code>} {v.description}</li>;
      })}
    </ul>
  );
}

function Phrases(props: { name: string; value: string[]; onChange: (v: string[]) => void; placeholder: string; rows?: number }) {
  return (
    <textarea name={props.name} rows={props.rows ?? 3} placeholder={props.placeholder} value={props.value.join("\n")}
      onInput={(e) => props.onChange(e.currentTarget.value.split("\n"))} />
  );
}

function NextSelect(props: { name: string; value: string; ids: string[]; onChange: (v: string) => void; none?: string }) {
  return (
    <select name={props.name} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
      <option value="">{props.none ?? "— choose —"}</option>
      {props.value && !props.ids.includes(props.value) && <option value={props.value}>{props.value} (missing)</option>}
      {props.ids.map((id) => <option value={id}>{id}</option>)}
    </select>
  );
}

/** {@code texting}: the organisation's templates and senders for send_sms nodes; undefined, the node takes typed names. */
export function FlowEditor({ flow, variables, error, onChange, texting }: { flow: Flow; variables: VariableRef[]; error?: Problem; onChange: (f: Flow) => void; texting?: Texting }) {
  const edit = (fn: (f: Flow) => void) => {
    const c = clone(FlowSchema, flow);
    fn(c);
    onChange(c);
  };
  const ids = flow.nodes.map((n) => n.id).filter(Boolean);
  const p = "agent.flow";
  const addNode = (kind: Kind) => edit((f) => {
    let n = f.nodes.length + 1;
    while (f.nodes.some((x) => x.id === `${kind}_${n}`)) n++;
    f.nodes.push(create(FlowNodeSchema, { id: `${kind}_${n}`, kind: kindOf(kind) }));
    if (!f.startNode) f.startNode = `${kind}_${n}`;
  });
  return (
    <Card title="Conversation flow" class="flow" actions={
      <span class="add-node">
        {KINDS.map(([k]) => <button type="button" class="secondary" data-testid={`add-node-${k}`} onClick={() => addNode(k)}>+ {k}</button>)}
      </span>}>
      <p class="muted small flow-intro">
        What the agent says and listens for when no LLM decides: nodes walked from the start node. <b>ask</b> nodes fill one captured
        variable; <b>branch</b> nodes go on by a variable's value or by what the caller meant (intents by example phrases). The built-in
        intents (“take me off your list”, “a real person”, “who is this?”) are heard on every listening node.
      </p>
      <div class="grid2">
        <Field label="Start node" field={p + ".start_node"} error={error}>
          <NextSelect name="startNode" value={flow.startNode} ids={ids} onChange={(v) => edit((f) => (f.startNode = v))} none={flow.nodes.length ? "— choose —" : "no flow"} />
        </Field>
        <Field label="Answer to “who is this?”" field={p + ".identity"} error={error}>
          <input name="identity" value={flow.identity} placeholder="This is {{agent.name}}, an automated assistant." onInput={(e) => edit((f) => (f.identity = e.currentTarget.value))} />
        </Field>
      </div>
      {flow.nodes.length === 0 ? (
        <Empty>No flow: the agent only greets (or an LLM decides, when one is configured). Add a node to script the call.</Empty>
      ) : (
        <ol class="nodes" data-testid="flow-nodes">
          {flow.nodes.map((node, i) => (
            <NodeCard key={i} node={node} i={i} ids={ids} variables={variables} error={error} start={node.id === flow.startNode} texting={texting}
              edit={(fn) => edit((f) => fn(f.nodes[i]))}
              move={(d) => edit((f) => { const [n] = f.nodes.splice(i, 1); f.nodes.splice(Math.max(0, Math.min(f.nodes.length, i + d)), 0, n); })}
              remove={() => edit((f) => f.nodes.splice(i, 1))} />
          ))}
        </ol>
      )}
      <h3>Global intents</h3>
      <p class="muted small">Heard on every listening node beside the built-in ones: the agent replies, then goes to a node or asks its current question again.</p>
      <Problems error={error} prefix={p + ".global_intents"}
        shown={flow.globalIntents.flatMap((_, i) => ["name", "examples", "reply", "next"].map((x) => `${p}.global_intents[${i}].${x}`))} />
      {flow.globalIntents.map((g, i) => (
        <GlobalIntentRow g={g} i={i} ids={ids} error={error} edit={(fn) => edit((f) => fn(f.globalIntents[i]))} remove={() => edit((f) => f.globalIntents.splice(i, 1))} />
      ))}
      <button type="button" class="secondary" data-testid="add-global-intent" onClick={() => edit((f) => f.globalIntents.push(create(GlobalIntentSchema)))}>+ global intent</button>
    </Card>
  );
}

function NodeCard(props: {
  node: FlowNode; i: number; ids: string[]; variables: VariableRef[]; error?: Problem; start: boolean; texting?: Texting;
  edit: (fn: (n: FlowNode) => void) => void; move: (d: number) => void; remove: () => void;
}) {
  const { node, i, ids, variables, error, edit } = props;
  const p = `agent.flow.nodes[${i}]`;
  const k = node.kind;
  const others = ids.filter((id) => id !== node.id);
  const invalid = under(error, p).length > 0;
  const listens = k.case === "ask" || (k.case === "branch" && k.value.rules.some((r) => r.condition.case === "intent"));
  return (
    <li class={"node card kind-" + (k.case ?? "none") + (invalid ? " invalid" : "")} data-testid="flow-node" data-node-id={node.id}>
      <div class="node-head">
        <span class="node-index">{i + 1}</span>
        <Field label="Node id" field={p + ".id"} error={error}>
          <input name={`node-id-${i}`} value={node.id} onInput={(e) => edit((n) => (n.id = e.currentTarget.value))} />
        </Field>
        <Field label="Kind">
          <select name={`node-kind-${i}`} value={k.case ?? ""} onChange={(e) => edit((n) => (n.kind = kindOf(e.currentTarget.value as Kind)))}>
            {!k.case && <option value="">—</option>}
            {KINDS.map(([kind, label]) => <option value={kind}>{label}</option>)}
          </select>
        </Field>
        {props.start && <span class="badge start">start</span>}
        {listens && <span class="badge listens" title="waits for the caller">listens</span>}
        <span class="node-actions">
          <button type="button" class="link" title="Move up" onClick={() => props.move(-1)} disabled={i === 0}>↑</button>
          <button type="button" class="link" title="Move down" onClick={() => props.move(1)}>↓</button>
          <button type="button" class="link danger" onClick={props.remove}>Remove</button>
        </span>
      </div>
      {k.case === "say" && (
        <div class="grid2">
          <Field label="Says" field={p + ".say.text"} error={error} wide>
            <textarea name={`node-say-${i}`} rows={2} value={k.value.text} onInput={(e) => edit((n) => { if (n.kind.case === "say") n.kind.value.text = e.currentTarget.value; })} />
          </Field>
          <Field label="Then" field={p + ".say.next"} error={error}>
            <NextSelect name={`node-next-${i}`} value={k.value.next} ids={others} onChange={(v) => edit((n) => { if (n.kind.case === "say") n.kind.value.next = v; })} />
          </Field>
        </div>
      )}
      {k.case === "ask" && <AskFields i={i} p={p + ".ask"} ask={k.value} others={others} variables={variables} error={error} edit={edit} />}
      {k.case === "branch" && <BranchFields i={i} p={p + ".branch"} branch={k.value} others={others} variables={variables} error={error} edit={edit} />}
      {k.case === "end" && (
        <div class="grid2">
          <Field label="Goodbye (heard in full before hang-up)" field={p + ".end.text"} error={error} wide>
            <input name={`node-end-text-${i}`} value={k.value.text} onInput={(e) => edit((n) => { if (n.kind.case === "end") n.kind.value.text = e.currentTarget.value; })} />
          </Field>
          <Field label="Disposition" field={p + ".end.disposition"} error={error} hint="lower_snake_case, e.g. interested">
            <input name={`node-disposition-${i}`} value={k.value.disposition} onInput={(e) => edit((n) => { if (n.kind.case === "end") n.kind.value.disposition = e.currentTarget.value; })} />
          </Field>
        </div>
      )}
      {k.case === "transfer" && (
        <div class="grid2">
          <Field label="Says" field={p + ".transfer.text"} error={error}>
            <input name={`node-transfer-text-${i}`} value={k.value.text} onInput={(e) => edit((n) => { if (n.kind.case === "transfer") n.kind.value.text = e.currentTarget.value; })} />
          </Field>
          <Field label="Transfers to" field={p + ".transfer.phone_number"} error={error} hint="E.164, e.g. +14155550123">
            <input name={`node-transfer-number-${i}`} value={k.value.phoneNumber} onInput={(e) => edit((n) => { if (n.kind.case === "transfer") n.kind.value.phoneNumber = e.currentTarget.value; })} />
          </Field>
        </div>
      )}
      {k.case === "sendSms" && <SendSmsFields i={i} p={p + ".send_sms"} sms={k.value} others={others} texting={props.texting} error={error} edit={edit} />}
      {listens && (
        <details class="node-endpointing" open={!!node.endpointing}>
          <summary class="muted small">Listening on this node {node.endpointing ? "(overridden)" : "(agent's endpointing)"}</summary>
          <div class="grid2">
            <Field label="End of turn after silence" field={p + ".endpointing.min_silence"} error={error} hint="empty: the agent's">
              <MsInput name={`node-min-silence-${i}`} value={msText(node.endpointing?.minSilence)} placeholder="agent's"
                onInput={(v) => edit((n) => setNodeEndpointing(n, "minSilence", v))} />
            </Field>
            <Field label="…up to, mid-phrase" field={p + ".endpointing.max_silence"} error={error} hint="longer for a number read out">
              <MsInput name={`node-max-silence-${i}`} value={msText(node.endpointing?.maxSilence)} placeholder="agent's"
                onInput={(v) => edit((n) => setNodeEndpointing(n, "maxSilence", v))} />
            </Field>
          </div>
        </details>
      )}
      <Problems error={error} prefix={p} shown={shownFields(node, p, variables)} />
    </li>
  );
}

/** The field paths a node's controls display their violations under. */
function shownFields(node: FlowNode, p: string, variables: VariableRef[]): string[] {
  const k = node.kind;
  const f = [p + ".id", p + ".endpointing.min_silence", p + ".endpointing.max_silence"];
  switch (k.case) {
    case "say": return [...f, p + ".say.text", p + ".say.next"];
    case "end": return [...f, p + ".end.text", p + ".end.disposition"];
    case "transfer": return [...f, p + ".transfer.text", p + ".transfer.phone_number"];
    case "sendSms": return [...f, p + ".send_sms.template", p + ".send_sms.from", p + ".send_sms.next", p + ".send_sms.on_refused"];
    case "ask": {
      const q = p + ".ask";
      const values = variables.find((v) => v.name === k.value.variable)?.enumValues ?? [];
      return [...f, q + ".variable", q + ".prompt", q + ".reprompt", q + ".next",
        ...k.value.choices.map((c, i) => (values.includes(c.value) ? `${q}.choices[${i}].synonyms` : "")).filter(Boolean)];
    }
    case "branch": {
      const q = p + ".branch";
      return [...f, q + ".prompt", q + ".default_next", ...k.value.rules.flatMap((r, j) => {
        const rq = `${q}.rules[${j}]`;
        const cond = r.condition.case === "variable" ? [".variable.variable", ".variable.op", ".variable.value"]
          : r.condition.case === "intent" ? [".intent.name", ".intent.examples"] : [];
        return [rq + ".next", ...cond.map((c) => rq + c)];
      })];
    }
    default: return f;
  }
}

/** A node's endpointing override; with neither bound set, none (the agent's applies). */
function setNodeEndpointing(n: FlowNode, key: "minSilence" | "maxSilence", ms: string) {
  const bounds = { minSilence: n.endpointing?.minSilence, maxSilence: n.endpointing?.maxSilence, [key]: duration(ms) };
  const e = create(EndpointingSchema, bounds);
  n.endpointing = e.minSilence || e.maxSilence ? e : undefined;
}

type AskNodeT = Extract<FlowNode["kind"], { case: "ask" }>["value"];
type SendSmsNodeT = Extract<FlowNode["kind"], { case: "sendSms" }>["value"];

/**
 * A send_sms node: the template picked from the organisation's (the agent's own texts first), its text and segment
 * count, the sender picked from the numbers on the template's channel.
 */
function SendSmsFields({ i, p, sms, others, texting, error, edit }: { i: number; p: string; sms: SendSmsNodeT; others: string[]; texting?: Texting; error?: Problem; edit: (fn: (n: FlowNode) => void) => void }) {
  const set = (fn: (s: SendSmsNodeT) => void) => edit((n) => { if (n.kind.case === "sendSms") fn(n.kind.value); });
  const t = texting && findTemplate(texting.templates, sms.template);
  const own = texting?.templates.filter((x) => texting.agentTemplates.some((ref) => findTemplate([x], ref))) ?? [];
  const rest = texting?.templates.filter((x) => !own.includes(x)) ?? [];
  const option = (x: MessageTemplate) => (
    <option value={x === t ? sms.template : x.name}>{x.name}{x.channel === MessageChannel.WHATSAPP ? " (WhatsApp)" : ""}</option>
  );
  const senders = texting?.senders.filter((s) => !t || s.channel === t.channel) ?? [];
  return (
    <div class="grid2">
      <Field label="Template" field={p + ".template"} error={error}
        hint={t ? `${segmentLabel(segments(t.body))} before variables` : texting ? "one of the organisation's message templates" : "the name or id of a message template"}>
        {texting ? (
          <select name={`node-sms-template-${i}`} value={sms.template} onChange={(e) => set((s) => (s.template = e.currentTarget.value))}>
            <option value="">— choose —</option>
            {sms.template && !t && <option value={sms.template}>{sms.template} (unknown)</option>}
            {own.length > 0 && <optgroup label="This agent's texts">{own.map(option)}</optgroup>}
            {rest.length > 0 && <optgroup label={own.length ? "Other templates" : "The organisation's templates"}>{rest.map(option)}</optgroup>}
          </select>
        ) : (
          <input name={`node-sms-template-${i}`} value={sms.template} onInput={(e) => set((s) => (s.template = e.currentTarget.value))} />
        )}
      </Field>
      <Field label="From" field={p + ".from"} error={error} hint={texting ? undefined : "empty: the oldest sender on the template's channel"}>
        {texting ? (
          <select name={`node-sms-from-${i}`} value={sms.from} onChange={(e) => set((s) => (s.from = e.currentTarget.value))}>
            <option value="">the oldest sender on the template's channel</option>
            {sms.from && !senders.some((s) => s.address === sms.from) && <option value={sms.from}>{sms.from} (not a sender of this channel)</option>}
            {senders.map((s) => <option value={s.address}>{s.address}</option>)}
          </select>
        ) : (
          <input name={`node-sms-from-${i}`} value={sms.from} onInput={(e) => set((s) => (s.from = e.currentTarget.value))} />
        )}
      </Field>
      {t && <div class="bubble-body template-body wide" data-testid="node-sms-body">{t.body || `(content template ${t.contentSid})`}</div>}
      <Field label="Then" field={p + ".next"} error={error}>
        <NextSelect name={`node-sms-next-${i}`} value={sms.next} ids={others} onChange={(v) => set((s) => (s.next = v))} />
      </Field>
      <Field label="If refused (opted out, outside the window…)" field={p + ".on_refused"} error={error} hint="empty: an apology, then the next node">
        <NextSelect name={`node-sms-refused-${i}`} value={sms.onRefused} ids={others} none="— apologise, then go on —" onChange={(v) => set((s) => (s.onRefused = v))} />
      </Field>
    </div>
  );
}

type BranchNodeT = Extract<FlowNode["kind"], { case: "branch" }>["value"];

function AskFields({ i, p, ask, others, variables, error, edit }: { i: number; p: string; ask: AskNodeT; others: string[]; variables: VariableRef[]; error?: Problem; edit: (fn: (n: FlowNode) => void) => void }) {
  const set = (fn: (a: AskNodeT) => void) => edit((n) => { if (n.kind.case === "ask") fn(n.kind.value); });
  const variable = variables.find((v) => v.name === ask.variable);
  return (
    <>
      <div class="grid2">
        <Field label="Asks" field={p + ".prompt"} error={error} wide>
          <input name={`node-prompt-${i}`} value={ask.prompt} onInput={(e) => set((a) => (a.prompt = e.currentTarget.value))} />
        </Field>
        <Field label="Fills variable" field={p + ".variable"} error={error} hint={variables.length ? undefined : "add captured variables below first"}>
          <select name={`node-variable-${i}`} value={ask.variable} onChange={(e) => set((a) => (a.variable = e.currentTarget.value))}>
            <option value="">— choose —</option>
            {ask.variable && !variable && <option value={ask.variable}>{ask.variable} (unknown)</option>}
            {variables.filter((v) => v.name).map((v) => <option value={v.name}>{v.name}</option>)}
          </select>
        </Field>
        <Field label="Then" field={p + ".next"} error={error}>
          <NextSelect name={`node-next-${i}`} value={ask.next} ids={others} onChange={(v) => set((a) => (a.next = v))} />
        </Field>
        <Field label="Reprompt when the answer fits nothing" field={p + ".reprompt"} error={error} wide>
          <input name={`node-reprompt-${i}`} value={ask.reprompt} placeholder="Sorry, I didn't catch that." onInput={(e) => set((a) => (a.reprompt = e.currentTarget.value))} />
        </Field>
      </div>
      {variable && variable.enumValues.length > 0 && (
        <div class="choices">
          <div class="label small">Phrases that mean each value (one per line)</div>
          <div class="grid3">
            {variable.enumValues.map((value) => {
              const at = ask.choices.findIndex((c) => c.value === value);
              return (
                <Field label={value} field={`${p}.choices[${at}].synonyms`} error={error}>
                  <Phrases name={`node-choice-${i}-${value}`} value={at >= 0 ? ask.choices[at].synonyms : []} placeholder={`e.g. phrases for ${value}`} rows={2}
                    onChange={(v) => set((a) => {
                      const c = a.choices.find((x) => x.value === value);
                      if (v.every((x) => !x.trim())) a.choices = a.choices.filter((x) => x.value !== value); // none: the value alone
                      else if (c) c.synonyms = v;
                      else a.choices.push(create(ChoiceSchema, { value, synonyms: v }));
                    })} />
                </Field>
              );
            })}
          </div>
        </div>
      )}
    </>
  );
}

function BranchFields({ i, p, branch, others, variables, error, edit }: { i: number; p: string; branch: BranchNodeT; others: string[]; variables: VariableRef[]; error?: Problem; edit: (fn: (n: FlowNode) => void) => void }) {
  const set = (fn: (b: BranchNodeT) => void) => edit((n) => { if (n.kind.case === "branch") fn(n.kind.value); });
  const rule = (j: number, fn: (r: BranchRule) => void) => set((b) => fn(b.rules[j]));
  return (
    <>
      <div class="grid2">
        <Field label="Asks first (branches with intents listen)" field={p + ".prompt"} error={error}>
          <input name={`node-branch-prompt-${i}`} value={branch.prompt} onInput={(e) => set((b) => (b.prompt = e.currentTarget.value))} />
        </Field>
        <Field label="Otherwise" field={p + ".default_next"} error={error}>
          <NextSelect name={`node-default-${i}`} value={branch.defaultNext} ids={others} onChange={(v) => set((b) => (b.defaultNext = v))} />
        </Field>
      </div>
      <table class="table compact rules" data-testid="branch-rules">
        <thead><tr><th>When</th><th /><th>Go to</th><th /></tr></thead>
        <tbody>
          {branch.rules.map((r, j) => {
            const q = `${p}.rules[${j}]`;
            const c = r.condition;
            return (
              <tr>
                <td>
                  {c.case === "variable" && (
                    <div class="rule-variable">
                      <Field label="" field={q + ".variable.variable"} error={error}>
                        <select name={`rule-var-${i}-${j}`} value={c.value.variable} onChange={(e) => rule(j, (x) => { if (x.condition.case === "variable") x.condition.value.variable = e.currentTarget.value; })}>
                          <option value="">variable…</option>
                          {variables.filter((v) => v.name).map((v) => <option value={v.name}>{v.name}</option>)}
                        </select>
                      </Field>
                      <Field label="" field={q + ".variable.op"} error={error}>
                        <select name={`rule-op-${i}-${j}`} value={c.value.op} onChange={(e) => rule(j, (x) => { if (x.condition.case === "variable") x.condition.value.op = Number(e.currentTarget.value); })}>
                          <option value={VariableCondition_Op.UNSPECIFIED}>op…</option>
                          {OPS.map(([op, label]) => <option value={op}>{label}</option>)}
                        </select>
                      </Field>
                      <Field label="" field={q + ".variable.value"} error={error}>
                        <input name={`rule-value-${i}-${j}`} value={c.value.value} disabled={c.value.op === VariableCondition_Op.IS_SET || c.value.op === VariableCondition_Op.IS_NOT_SET}
                          onInput={(e) => rule(j, (x) => { if (x.condition.case === "variable") x.condition.value.value = e.currentTarget.value; })} />
                      </Field>
                    </div>
                  )}
                  {c.case === "intent" && (
                    <div class="rule-intent">
                      <Field label="" field={q + ".intent.name"} error={error}>
                        <input name={`rule-intent-${i}-${j}`} placeholder="intent name (optional)" value={c.value.name} onInput={(e) => rule(j, (x) => { if (x.condition.case === "intent") x.condition.value.name = e.currentTarget.value; })} />
                      </Field>
                      <Field label="" field={q + ".intent.examples"} error={error}>
                        <Phrases name={`rule-examples-${i}-${j}`} value={c.value.examples} placeholder={"the caller says something like…\none phrase per line"} rows={2}
                          onChange={(v) => rule(j, (x) => { if (x.condition.case === "intent") x.condition.value.examples = v; })} />
                      </Field>
                    </div>
                  )}
                  {!c.case && <span class="field-error">needs a variable or an intent condition</span>}
                </td>
                <td class="muted">→</td>
                <td>
                  <Field label="" field={q + ".next"} error={error}>
                    <NextSelect name={`rule-next-${i}-${j}`} value={r.next} ids={others} onChange={(v) => rule(j, (x) => (x.next = v))} />
                  </Field>
                </td>
                <td><button type="button" class="link danger" onClick={() => set((b) => b.rules.splice(j, 1))}>Remove</button></td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div class="rule-actions">
        <button type="button" class="secondary" data-testid={`add-rule-variable-${i}`} onClick={() => set((b) => b.rules.push(create(BranchRuleSchema, { condition: { case: "variable", value: {} } })))}>+ rule on a variable</button>
        <button type="button" class="secondary" data-testid={`add-rule-intent-${i}`} onClick={() => set((b) => b.rules.push(create(BranchRuleSchema, { condition: { case: "intent", value: {} } })))}>+ rule on an intent</button>
      </div>
    </>
  );
}

function GlobalIntentRow({ g, i, ids, error, edit, remove }: { g: GlobalIntent; i: number; ids: string[]; error?: Problem; edit: (fn: (g: GlobalIntent) => void) => void; remove: () => void }) {
  const p = `agent.flow.global_intents[${i}]`;
  return (
    <div class="global-intent card" data-testid="global-intent">
      <div class="grid2">
        <Field label="Name" field={p + ".name"} error={error} hint="snake_case, e.g. pricing">
          <input name={`gi-name-${i}`} value={g.name} onInput={(e) => edit((x) => (x.name = e.currentTarget.value))} />
        </Field>
        <Field label="Then" field={p + ".next"} error={error}>
          <NextSelect name={`gi-next-${i}`} value={g.next} ids={ids} onChange={(v) => edit((x) => (x.next = v))} none="ask the current question again" />
        </Field>
        <Field label="Example phrases (one per line)" field={p + ".examples"} error={error}>
          <Phrases name={`gi-examples-${i}`} value={g.examples} placeholder={"how much does it cost\nwhat's the price"} onChange={(v) => edit((x) => (x.examples = v))} />
        </Field>
        <Field label="Reply" field={p + ".reply"} error={error}>
          <textarea name={`gi-reply-${i}`} rows={3} value={g.reply} onInput={(e) => edit((x) => (x.reply = e.currentTarget.value))} />
        </Field>
      </div>
      <button type="button" class="link danger" onClick={remove}>Remove intent</button>
    </div>
  );
}
