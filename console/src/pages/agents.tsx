import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { create } from "@bufbuild/protobuf";
import { CaptureVariable_Type, FlowSchema, type Agent, type Flow } from "../gen/switchboard/v1/agents_pb";
import { FlowEditor, TimingCard, VoicePicker, cleanFlow, timingFields, timingOf, type TimingDraft } from "./flow";
import { Badge, Card, Empty, ErrorBanner, Field, Loading, Page, navigate, shortId, useAction, useLoad, when } from "../ui";
import { TalkPanel } from "../talk/TalkPanel";
import { SmsTemplatesCard } from "./agent-texts";

export function AgentsPage() {
  const agents = useLoad(() => api.agents.listAgents({ pageSize: 200 }), []);
  return (
    <Page title="Agents" actions={<a class="button" href="#/agents/new">New agent</a>}
      subtitle="Voice agents and the variables each call should capture. Every change makes a new version; calls keep the version they ran with.">
      <ErrorBanner error={agents.error} />
      {!agents.data ? (
        <Loading />
      ) : agents.data.agents.length === 0 ? (
        <Empty>No agents yet. <a href="#/agents/new">Create the first one</a>.</Empty>
      ) : (
        <table class="table" data-testid="agents-table">
          <thead>
            <tr><th>Name</th><th>Language</th><th>Captured variables</th><th>Version</th><th>Updated</th></tr>
          </thead>
          <tbody>
            {agents.data.agents.map((a) => (
              <tr class="clickable" onClick={() => navigate("agents/" + a.id)}>
                <td><a href={"#/agents/" + a.id}>{a.name}</a><div class="muted mono">{shortId(a.id)}</div></td>
                <td>{a.language}</td>
                <td>{a.variables.map((v) => <Badge>{v.name}</Badge>)}</td>
                <td>v{a.version}</td>
                <td>{when(a.updateTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

interface VariableDraft {
  name: string;
  type: CaptureVariable_Type;
  description: string;
  enumValues: string;
  required: boolean;
}

interface AgentDraft {
  name: string;
  language: string;
  systemPrompt: string;
  firstMessage: string;
  voice: string;
  summaryInstructions: string;
  variables: VariableDraft[];
  voicemailMessage: string;
  transferNumber: string;
  flow: Flow;
  timing: TimingDraft;
  smsTemplates: string[];
}

const EMPTY: AgentDraft = {
  name: "", language: "en-US", systemPrompt: "", firstMessage: "", voice: "", summaryInstructions: "", variables: [],
  voicemailMessage: "", transferNumber: "", flow: create(FlowSchema), timing: timingOf(), smsTemplates: [],
};
const PATHS = ["name", "language", "system_prompt", "first_message", "voice", "summary_instructions", "variables",
  "flow", "voicemail_message", "transfer_number", "endpointing", "interruption", "silence", "sms_templates"];
const TYPES: [CaptureVariable_Type, string][] = [
  [CaptureVariable_Type.STRING, "text"],
  [CaptureVariable_Type.NUMBER, "number"],
  [CaptureVariable_Type.BOOLEAN, "yes / no"],
  [CaptureVariable_Type.DATE, "date"],
  [CaptureVariable_Type.ENUM, "one of…"],
];

function draftOf(a: Agent): AgentDraft {
  return {
    name: a.name, language: a.language, systemPrompt: a.systemPrompt, firstMessage: a.firstMessage, voice: a.voice,
    summaryInstructions: a.summaryInstructions,
    variables: a.variables.map((v) => ({ name: v.name, type: v.type, description: v.description, enumValues: v.enumValues.join(", "), required: v.required })),
    voicemailMessage: a.voicemailMessage, transferNumber: a.transferNumber, flow: a.flow ?? create(FlowSchema), timing: timingOf(a),
    smsTemplates: [...a.smsTemplates],
  };
}

function agentOf(d: AgentDraft, id = "") {
  return {
    id, name: d.name, language: d.language, systemPrompt: d.systemPrompt, firstMessage: d.firstMessage, voice: d.voice,
    summaryInstructions: d.summaryInstructions,
    variables: d.variables.map((v) => ({
      name: v.name.trim(), type: v.type, description: v.description, required: v.required,
      enumValues: v.type === CaptureVariable_Type.ENUM ? v.enumValues.split(",").map((s) => s.trim()).filter(Boolean) : [],
    })),
    voicemailMessage: d.voicemailMessage, transferNumber: d.transferNumber, flow: cleanFlow(d.flow), ...timingFields(d.timing),
    smsTemplates: d.smsTemplates.map((t) => t.trim()),
  };
}

export function AgentEditPage({ id }: { id?: string }) {
  const existing = useLoad(() => (id ? api.agents.getAgent({ id }) : Promise.resolve(undefined)), [id]);
  const versions = useLoad(() => (id ? api.agents.listAgentVersions({ id, pageSize: 20 }) : Promise.resolve(undefined)), [id]);
  // what send_sms nodes and the LLM's texts may name (any role may read them)
  const templates = useLoad(() => api.messaging.listMessageTemplates({ pageSize: 200 }), []);
  const senders = useLoad(() => api.messaging.listSenders({ pageSize: 200 }), []);
  const [draft, setDraft] = useState<AgentDraft>(EMPTY);
  const [saved, setSaved] = useState("");
  const action = useAction();
  useEffect(() => {
    if (existing.data) setDraft(draftOf(existing.data));
  }, [existing.data]);

  const set = (patch: Partial<AgentDraft>) => setDraft({ ...draft, ...patch });
  const setVar = (i: number, patch: Partial<VariableDraft>) =>
    set({ variables: draft.variables.map((v, j) => (j === i ? { ...v, ...patch } : v)) });

  const save = async (e: Event) => {
    e.preventDefault();
    setSaved("");
    const agent = await action.run(() =>
      id
        ? api.agents.updateAgent({ agent: agentOf(draft, id), updateMask: { paths: PATHS }, expectedVersion: existing.data?.version ?? 0 })
        : api.agents.createAgent({ agent: agentOf(draft) }),
    );
    if (!agent) return;
    setSaved(`Saved as version ${agent.version}.`);
    if (!id) navigate("agents/" + agent.id);
    else {
      existing.reload();
      versions.reload();
    }
  };

  if (id && !existing.data) return <Page title="Agent">{existing.error ? <ErrorBanner error={existing.error} /> : <Loading />}</Page>;
  const f = (name: string) => "agent." + name;
  return (
    <Page title={id ? existing.data!.name : "New agent"} subtitle={id ? <span class="mono">{id} · version {existing.data!.version}</span> : undefined}
      actions={<a class="button secondary" href="#/agents">All agents</a>}>
      <form class="form" onSubmit={save} data-testid="agent-form">
        <Card title="Agent">
          <div class="grid2">
            <Field label="Name" field={f("name")} error={action.error}>
              <input name="name" value={draft.name} onInput={(e) => set({ name: e.currentTarget.value })} />
            </Field>
            <Field label="Language" field={f("language")} error={action.error} hint="BCP 47, e.g. en-US">
              <input name="language" value={draft.language} onInput={(e) => set({ language: e.currentTarget.value })} />
            </Field>
            <Field label="System prompt" field={f("system_prompt")} error={action.error} wide>
              <textarea name="systemPrompt" rows={4} value={draft.systemPrompt} onInput={(e) => set({ systemPrompt: e.currentTarget.value })} />
            </Field>
            <Field label="First message" field={f("first_message")} error={action.error} wide>
              <input name="firstMessage" value={draft.firstMessage} onInput={(e) => set({ firstMessage: e.currentTarget.value })} />
            </Field>
            <Field label="Summary instructions" field={f("summary_instructions")} error={action.error}>
              <input name="summaryInstructions" value={draft.summaryInstructions} onInput={(e) => set({ summaryInstructions: e.currentTarget.value })} />
            </Field>
            <Field label="Transfer number" field={f("transfer_number")} error={action.error} hint="where “a real person” goes; E.164">
              <input name="transferNumber" value={draft.transferNumber} onInput={(e) => set({ transferNumber: e.currentTarget.value })} />
            </Field>
            <Field label="Voicemail message" field={f("voicemail_message")} error={action.error} wide hint="said after an answering machine's beep; empty to hang up">
              <input name="voicemailMessage" value={draft.voicemailMessage} onInput={(e) => set({ voicemailMessage: e.currentTarget.value })} />
            </Field>
            <VoicePicker value={draft.voice} onChange={(voice) => set({ voice })} error={action.error} />
          </div>
        </Card>
        <Card title="Captured variables" actions={
          <button type="button" class="secondary" data-testid="add-variable"
            onClick={() => set({ variables: [...draft.variables, { name: "", type: CaptureVariable_Type.STRING, description: "", enumValues: "", required: false }] })}>
            Add variable
          </button>}>
          {draft.variables.length === 0 ? (
            <Empty>No variables: calls get a summary only. Add one to have each call fill it in (with an LLM summariser).</Empty>
          ) : (
            <table class="table vars">
              <thead><tr><th>Name</th><th>Type</th><th>Allowed values</th><th>Description</th><th>Required</th><th /></tr></thead>
              <tbody>
                {draft.variables.map((v, i) => (
                  <tr data-testid="variable-row">
                    <td>
                      <Field label="" field={f(`variables[${i}].name`)} error={action.error}>
                        <input name={`var-name-${i}`} placeholder="snake_case" value={v.name} onInput={(e) => setVar(i, { name: e.currentTarget.value })} />
                      </Field>
                    </td>
                    <td>
                      <select name={`var-type-${i}`} value={v.type} onChange={(e) => setVar(i, { type: Number(e.currentTarget.value) })}>
                        {TYPES.map(([t, label]) => <option value={t}>{label}</option>)}
                      </select>
                    </td>
                    <td>
                      <Field label="" field={f(`variables[${i}].enum_values`)} error={action.error}>
                        <input name={`var-enum-${i}`} disabled={v.type !== CaptureVariable_Type.ENUM} placeholder={v.type === CaptureVariable_Type.ENUM ? "yes, no, maybe" : ""}
                          value={v.enumValues} onInput={(e) => setVar(i, { enumValues: e.currentTarget.value })} />
                      </Field>
                    </td>
                    <td><input name={`var-desc-${i}`} value={v.description} onInput={(e) => setVar(i, { description: e.currentTarget.value })} /></td>
                    <td class="center"><input type="checkbox" checked={v.required} onChange={(e) => setVar(i, { required: e.currentTarget.checked })} /></td>
                    <td><button type="button" class="link danger" onClick={() => set({ variables: draft.variables.filter((_, j) => j !== i) })}>Remove</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <SmsTemplatesCard value={draft.smsTemplates} onChange={(smsTemplates) => set({ smsTemplates })} error={action.error}
          templates={templates.data?.templates} templatesError={templates.error} onTemplatesChanged={templates.reload} />
        <FlowEditor flow={draft.flow} error={action.error} onChange={(flow) => set({ flow })}
          texting={templates.data && senders.data ? { templates: templates.data.templates, senders: senders.data.senders, agentTemplates: draft.smsTemplates } : undefined}
          variables={draft.variables.map((v) => ({ name: v.name.trim(), enumValues: v.type === CaptureVariable_Type.ENUM ? v.enumValues.split(",").map((x) => x.trim()).filter(Boolean) : [] }))} />
        <TimingCard t={draft.timing} onChange={(timing) => set({ timing })} error={action.error} />
        <ErrorBanner error={action.error} title="Not saved" />
        <div class="form-actions">
          <button type="submit" disabled={action.busy}>{id ? "Save new version" : "Create agent"}</button>
          {saved && <span class="ok" data-testid="saved">{saved}</span>}
        </div>
      </form>
      {id && <TalkPanel agentId={id} key={id} />}
      {id && versions.data && versions.data.versions.length > 1 && (
        <Card title="Versions">
          <table class="table">
            <thead><tr><th>Version</th><th>Saved</th><th>Variables</th></tr></thead>
            <tbody>
              {versions.data.versions.map((v) => (
                <tr><td>v{v.version}</td><td>{when(v.updateTime)}</td><td>{v.variables.map((x) => x.name).join(", ") || "—"}</td></tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
    </Page>
  );
}
