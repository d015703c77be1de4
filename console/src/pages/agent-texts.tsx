// The agent page's editor of the texts the agent may send during a call (Agent.sms_templates: the templates the LLM
// brain's send_sms tool may text, by name): pick the organisation's templates, see each one's text and what it costs
// in segments, and create or change a template in place with the Messages page's own template form. Violations come
// back as agent.sms_templates[i] and show on that row.
import { useState } from "preact/hooks";
import type { Problem } from "../api";
import { MessageChannel, type MessageTemplate } from "../gen/switchboard/v1/messaging_pb";
import { segmentLabel, segments } from "../messaging/segments";
import { findTemplate } from "../messaging/templates";
import { Card, Empty, ErrorBanner, Field, Loading } from "../ui";
import { TemplateForm } from "./messages";

/** At most this many (FlowValidation.MAX_SMS_TEMPLATES). */
const MAX = 20;

export function SmsTemplatesCard(props: {
  value: string[];
  onChange: (v: string[]) => void;
  /** the organisation's templates; undefined while loading */
  templates?: MessageTemplate[];
  templatesError?: Problem;
  /** after a template was created or changed here */
  onTemplatesChanged: () => void;
  error?: Problem;
}) {
  const { value, onChange, templates, error } = props;
  const [editing, setEditing] = useState<MessageTemplate | "new" | undefined>();
  const listed = (t: MessageTemplate) => value.some((ref) => findTemplate([t], ref));
  const add = () => onChange([...value, templates?.find((t) => !listed(t))?.name ?? ""]);
  const whole = error?.fields.find((f) => f.field === "agent.sms_templates");
  return (
    <Card title="Texts the agent may send" class="sms-templates" actions={<>
      <button type="button" class="secondary" data-testid="add-sms-template" disabled={value.length >= MAX || !templates?.length} onClick={add}>
        Add template
      </button>
      <button type="button" class="secondary" data-testid="new-sms-template" onClick={() => setEditing("new")}>New template</button>
    </>}>
      <p class="muted small flow-intro">
        Message templates the LLM may text the caller during a call (its <b>send_sms</b> tool), e.g. when they ask “can you text me
        the link?” — only these, never words the model writes. None: the LLM cannot text. A flow's “send a text” nodes name their
        own. At most {MAX}.
      </p>
      <ErrorBanner error={props.templatesError} title="The organisation's templates did not load" />
      {whole && <div class="field-error" data-testid="sms-templates-error">{whole.description}</div>}
      {!templates ? <Loading what="templates" /> : value.length === 0 ? (
        <Empty>
          {templates.length === 0 ? <>The organisation has no message templates yet: create one with <b>New template</b>.</>
            : <>No texts: the LLM has no send_sms tool. <b>Add template</b> to let it text one.</>}
        </Empty>
      ) : (
        <table class="table vars" data-testid="sms-templates">
          <thead><tr><th>Template</th><th>Text</th><th>Cost</th><th /></tr></thead>
          <tbody>
            {value.map((ref, i) => {
              const t = findTemplate(templates, ref);
              return (
                <tr data-testid="sms-template-row" data-template={t?.name ?? ref}>
                  <td class="sms-template-name">
                    <Field label="" field={`agent.sms_templates[${i}]`} error={error}>
                      <select name={`sms-template-${i}`} value={ref}
                        onChange={(e) => onChange(value.map((x, j) => (j === i ? e.currentTarget.value : x)))}>
                        <option value="">— choose —</option>
                        {ref && !t && <option value={ref}>{ref} (unknown)</option>}
                        {templates.map((x) => (
                          <option value={x === t ? ref : x.name}>{x.name}{x.channel === MessageChannel.WHATSAPP ? " (WhatsApp)" : ""}</option>
                        ))}
                      </select>
                    </Field>
                  </td>
                  <td class="bubble-body">{t ? t.body || <span class="muted">(content template {t.contentSid})</span> : <span class="muted">—</span>}</td>
                  <td class="nowrap muted small" data-testid="sms-template-segments">{t ? segmentLabel(segments(t.body)) : ""}</td>
                  <td class="nowrap">
                    {t && <button type="button" class="link" onClick={() => setEditing(t)}>Edit</button>}{" "}
                    <button type="button" class="link danger" onClick={() => onChange(value.filter((_, j) => j !== i))}>Remove</button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {editing && (
        <div class="inline-template" data-testid="sms-template-editor">
          {editing !== "new" && <p class="hint">This changes the organisation's template wherever it is used, at once: not a new version of the agent.</p>}
          <TemplateForm inline template={editing === "new" ? undefined : editing} key={editing === "new" ? "new" : editing.id}
            onClose={() => setEditing(undefined)}
            onSaved={(t) => {
              if (editing === "new" && value.length < MAX) onChange([...value, t.name]);
              setEditing(undefined);
              props.onTemplatesChanged();
            }} />
        </div>
      )}
    </Card>
  );
}
