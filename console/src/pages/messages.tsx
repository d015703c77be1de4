// Texts: an inbox of threads (one per contact number, most recent first), a thread's messages both ways with the
// status of each outbound text, a composer (sender, free text or template, live segment count, the server's
// refusal reasons), templates, sender numbers, and the opted-out numbers with their consent evidence.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api, type Problem } from "../api";
import {
  MessageChannel, MessageDirection, MessageStatus, TemplateCategory,
  type ConsentEvent, type Message, type MessageTemplate, type MessageThread, type Sender,
} from "../gen/switchboard/v1/messaging_pb";
import { refusal, segmentLabel, segments } from "../messaging/segments";
import { Badge, Card, Empty, ErrorBanner, Field, Loading, Page, Pager, enumLabel, navigate, tsDate, useAction, useInterval, useLoad, when } from "../ui";
import type { Timestamp } from "@bufbuild/protobuf/wkt";

/** Today's times as "9:34 AM", older ones as "Dec 6", with the full time on hover. */
function Short({ t }: { t?: Timestamp }) {
  const d = tsDate(t);
  if (!d) return <>—</>;
  const today = d.toDateString() === new Date().toDateString();
  return <time title={when(t)}>{today ? d.toLocaleTimeString(undefined, { timeStyle: "short" }) : d.toLocaleDateString(undefined, { month: "short", day: "numeric" })}</time>;
}

const ENCODINGS: Record<string, string> = { gsm7: "GSM-7", ucs2: "UCS-2" };

const TABS: [string, string][] = [["", "Inbox"], ["templates", "Templates"], ["senders", "Senders"], ["opt-outs", "Opt-outs"], ["settings", "Settings"]];

/**
 * Route: #/messages, #/messages/thread/<number>, #/messages/templates, #/messages/senders, #/messages/opt-outs,
 * #/messages/settings.
 */
export function MessagesPage({ parts }: { parts: string[] }) {
  const [tab, arg] = parts;
  const current = tab === "thread" ? "" : tab ?? "";
  return (
    <Page title="Messages" subtitle="Texts (SMS and WhatsApp) between your sender numbers and your contacts. Every send is checked for opt-outs, do-not-call, consent and the recipient's local time before it reaches the carrier.">
      <nav class="tabs" data-testid="message-tabs">
        {TABS.map(([path, label]) => (
          <a href={"#/messages" + (path ? "/" + path : "")} class={current === path ? "active" : ""}>{label}</a>
        ))}
      </nav>
      {tab === "templates" ? <TemplatesTab /> : tab === "senders" ? <SendersTab /> : tab === "opt-outs" ? <OptOutsTab /> : tab === "settings" ? <SettingsTab /> : (
        <Inbox selected={tab === "thread" && arg ? decodeURIComponent(arg) : undefined} />
      )}
    </Page>
  );
}

// ---------------------------------------------------------------- inbox

function threadPath(phone: string) {
  return "messages/thread/" + encodeURIComponent(phone);
}

function Inbox({ selected }: { selected?: string }) {
  const [extra, setExtra] = useState<MessageThread[]>([]);
  const [token, setToken] = useState("");
  const first = useLoad(async () => {
    const r = await api.messaging.listThreads({ pageSize: 50 });
    setExtra([]);
    setToken(r.nextPageToken);
    return r;
  }, []);
  const more = useAction();
  useInterval(first.reload, 5000);
  const threads = [...(first.data?.threads ?? []), ...extra];
  const thread = threads.find((t) => t.contactPhone === selected);
  return (
    <div class="inbox">
      <aside class="card threads">
        <div class="card-header">
          <h2>Threads</h2>
          <div class="actions"><a class="button secondary small" href="#/messages/thread/new" data-testid="new-text">New text</a></div>
        </div>
        <ErrorBanner error={first.error ?? more.error} />
        {!first.data ? <Loading /> : threads.length === 0 ? <Empty>No texts yet.</Empty> : (
          <ul class="listnav threadnav" data-testid="threads">
            {threads.map((t) => (
              <li>
                <a href={"#/" + threadPath(t.contactPhone)} class={t.contactPhone === selected ? "active" : ""} data-phone={t.contactPhone}>
                  <span>
                    <span class="mono">{t.contactPhone}</span>
                    <span class="thread-meta">
                      {t.lastChannel === MessageChannel.WHATSAPP ? "WhatsApp" : "SMS"} · {t.lastDirection === MessageDirection.INBOUND ? "received" : "sent"} <Short t={t.lastMessageTime} />
                    </span>
                  </span>
                  <span class="thread-side">
                    {t.optedOut && <Badge kind="opted-out">opted out</Badge>}
                    <span class="count">{t.messages.toString()}</span>
                  </span>
                </a>
              </li>
            ))}
          </ul>
        )}
        <Pager token={token} busy={more.busy} onMore={async () => {
          const r = await more.run(() => api.messaging.listThreads({ pageSize: 50, pageToken: token }));
          if (r) { setExtra([...extra, ...r.threads]); setToken(r.nextPageToken); }
        }} />
      </aside>
      <div class="grow">
        {selected === "new" ? <NewText onSent={(m) => { first.reload(); navigate(threadPath(m.contactPhone || m.to)); }} /> :
          selected ? <ThreadView phone={selected} thread={thread} key={selected} onSent={first.reload} /> :
            <Empty>Pick a thread, or start a new text.</Empty>}
      </div>
    </div>
  );
}

function NewText({ onSent }: { onSent: (m: Message) => void }) {
  const [to, setTo] = useState("");
  return (
    <Card title="New text">
      <Field label="To" hint="E.164 (+14155550123), or whatsapp:+14155550123 for WhatsApp">
        <input name="to" placeholder="+14155550123" value={to} onInput={(e) => setTo(e.currentTarget.value.trim())} />
      </Field>
      <Composer to={to} onSent={onSent} />
    </Card>
  );
}

const PENDING = new Set([MessageStatus.SCHEDULED, MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT]);

function ThreadView({ phone, thread, onSent }: { phone: string; thread?: MessageThread; onSent: () => void }) {
  const [older, setOlder] = useState<Message[]>([]);
  const [token, setToken] = useState("");
  const first = useLoad(async () => {
    const r = await api.messaging.listMessages({ contactPhone: phone, pageSize: 50 });
    if (!older.length) setToken(r.nextPageToken);
    return r;
  }, [phone]);
  const more = useAction();
  const latest = first.data?.messages ?? [];
  const seen = new Set(latest.map((m) => m.id));
  const newestFirst = [...latest, ...older.filter((m) => !seen.has(m.id))];
  const pending = newestFirst.some((m) => m.direction === MessageDirection.OUTBOUND && PENDING.has(m.status));
  useInterval(first.reload, pending ? 1000 : 5000);
  const whatsapp = thread?.lastChannel === MessageChannel.WHATSAPP || newestFirst[0]?.channel === MessageChannel.WHATSAPP;
  const to = whatsapp ? "whatsapp:" + phone : phone;
  return (
    <Card title={<><span class="mono">{phone}</span> {whatsapp && <Badge>WhatsApp</Badge>} {thread?.optedOut && <Badge kind="opted-out">opted out</Badge>}</>}
      actions={thread?.contactId ? <ContactName id={thread.contactId} /> : <span class="muted small">not a contact</span>}>
      <ErrorBanner error={first.error ?? more.error} />
      <Pager token={token} busy={more.busy} onMore={async () => {
        const r = await more.run(() => api.messaging.listMessages({ contactPhone: phone, pageSize: 50, pageToken: token }));
        if (r) { setOlder([...older, ...r.messages]); setToken(r.nextPageToken); }
      }} />
      {!first.data ? <Loading what="messages" /> : newestFirst.length === 0 ? <Empty>No messages with this number yet.</Empty> : (
        <ol class="bubbles" data-testid="messages">
          {[...newestFirst].reverse().map((m) => <Bubble m={m} />)}
        </ol>
      )}
      <Composer to={to} onSent={() => { first.reload(); onSent(); }} />
    </Card>
  );
}

function ContactName({ id }: { id: string }) {
  const c = useLoad(() => api.contacts.getContact({ id }), [id]);
  const name = c.data && [c.data.firstName, c.data.lastName].filter(Boolean).join(" ");
  return <span class="muted small" data-testid="thread-contact" title={id}>{c.data ? name || "contact without a name" : "contact"}{c.data?.timeZone ? " · " + c.data.timeZone : ""}</span>;
}

function Bubble({ m }: { m: Message }) {
  const out = m.direction === MessageDirection.OUTBOUND;
  const status = MessageStatus[m.status] ?? "UNSPECIFIED";
  return (
    <li class={"bubble " + (out ? "out" : "in")} data-testid="message" data-status={status.toLowerCase()} data-direction={out ? "outbound" : "inbound"}>
      <div class="bubble-body">{m.body || <span class="muted">(template {m.templateId.slice(0, 8)})</span>}</div>
      <div class="bubble-meta">
        <span>{out ? `from ${m.from}` : `to ${m.to}`}</span> · <span>{when(m.createTime)}</span>
        {m.segments > 0 && <> · <span>{m.segments} {m.segments === 1 ? "segment" : "segments"} {ENCODINGS[m.encoding] ?? m.encoding}</span></>}
        {out && <> · <Badge kind={"msg-" + status.toLowerCase()}>{enumLabel(status, "")}</Badge></>}
        {m.status === MessageStatus.SCHEDULED && m.sendAfter && <> · goes out {when(m.sendAfter)}</>}
      </div>
      {(m.errorCode || m.errorMessage) && (
        <div class="bubble-error" data-testid="message-error">error {m.errorCode}{m.errorMessage ? ": " + m.errorMessage : ""}</div>
      )}
    </li>
  );
}

// ---------------------------------------------------------------- composer

/** What each refusal of SendMessage means, in the words of the proto's contract. */
const REFUSALS: Record<string, string> = {
  OPTED_OUT: "This number texted STOP (or similar) and has not texted START since. Nothing was sent.",
  DO_NOT_CALL: "This number is on the organisation's do-not-call list, which applies to texts too.",
  NO_MARKETING_CONSENT: "A marketing template needs the contact's recorded marketing consent.",
  OUTSIDE_WHATSAPP_WINDOW: "The contact's last WhatsApp message is more than 24 hours old: only an approved template (content SID) can be sent now.",
  NO_TIME_ZONE: "The recipient's local time is unknown: give the contact a time zone.",
  OUTSIDE_CALLING_WINDOW: "The recipient's calling window does not open again for this send.",
};

function Refusal({ error }: { error?: Problem }) {
  if (!error) return null;
  const reason = error.reason ?? "";
  const explained = error.code === "FAILED_PRECONDITION" && REFUSALS[reason];
  if (!explained) return <ErrorBanner error={error} title="Not sent" />;
  return (
    <div class="error refusal" role="alert" data-testid="refusal" data-reason={reason}>
      <strong>Not sent: </strong><code class="status">{reason}</code>
      <div class="error-message">{explained}</div>
      <div class="muted small">{error.message}</div>
    </div>
  );
}

const BUILT_IN = /^(first_name|last_name|phone|email|metadata\..+|call\..+)$/;

/** The {{NAME}} variables of a template body that the send request must fill (the server fills the contact's own). */
function templateVariables(body: string): string[] {
  const names = [...body.matchAll(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g)].map((m) => m[1]);
  return [...new Set(names)].filter((n) => !BUILT_IN.test(n));
}

function Composer({ to, onSent }: { to: string; onSent: (m: Message) => void }) {
  const whatsapp = to.startsWith("whatsapp:");
  const senders = useLoad(() => api.messaging.listSenders({ pageSize: 200 }), []);
  const templates = useLoad(() => api.messaging.listMessageTemplates({ pageSize: 200 }), []);
  const usable = (senders.data?.senders ?? []).filter((s) => (s.channel === MessageChannel.WHATSAPP) === whatsapp);
  const [from, setFrom] = useState("");
  const [mode, setMode] = useState<"text" | "template">("text");
  const [body, setBody] = useState("");
  const [templateId, setTemplateId] = useState("");
  const [vars, setVars] = useState<Record<string, string>>({});
  const send = useAction();
  const sender = from || usable[0]?.address || "";
  const template = templates.data?.templates.find((t) => t.id === templateId);
  const text = mode === "text" ? body : template?.body ?? "";
  const seg = segments(text);
  const local = mode === "text" && body ? refusal(body) : undefined;
  const submit = async (e: Event) => {
    e.preventDefault();
    const m = await send.run(() => api.messaging.sendMessage(mode === "text"
      ? { to, from: sender, body }
      : { to, from: sender, templateId, variables: vars }));
    if (m) {
      setBody("");
      setVars({});
      onSent(m);
    }
  };
  return (
    <form class="composer" onSubmit={submit} data-testid="composer">
      <div class="composer-row">
        <Field label="From" field="from" error={send.error}>
          {usable.length === 0 ? (
            <span class="muted small" data-testid="no-senders">No {whatsapp ? "WhatsApp" : "SMS"} sender number: <a href="#/messages/senders">add one</a>.</span>
          ) : (
            <select name="from" value={sender} onChange={(e) => setFrom(e.currentTarget.value)}>
              {usable.map((s) => <option value={s.address}>{s.address}</option>)}
            </select>
          )}
        </Field>
        <Field label="Compose">
          <select name="mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as "text" | "template")}>
            <option value="text">Free text</option>
            <option value="template">Template</option>
          </select>
        </Field>
        {mode === "template" && (
          <Field label="Template" field="template_id" error={send.error}>
            <select name="templateId" value={templateId} onChange={(e) => { setTemplateId(e.currentTarget.value); setVars({}); }}>
              <option value="">— pick one —</option>
              {templates.data?.templates.map((t) => (
                <option value={t.id}>{t.name}{t.category === TemplateCategory.MARKETING ? " (marketing)" : ""}</option>
              ))}
            </select>
          </Field>
        )}
      </div>
      {mode === "text" ? (
        <Field label="Message" field="body" error={send.error} wide>
          <textarea name="body" rows={3} value={body} placeholder="Type a text…" onInput={(e) => setBody(e.currentTarget.value)} />
        </Field>
      ) : template && (
        <div class="template-preview">
          <div class="bubble-body">{template.body}</div>
          {templateVariables(template.body).map((n) => (
            <Field label={n} field={"variables." + n} error={send.error}>
              <input name={"var-" + n} value={vars[n] ?? ""} onInput={(e) => setVars({ ...vars, [n]: e.currentTarget.value })} />
            </Field>
          ))}
        </div>
      )}
      <div class="form-actions">
        <button type="submit" disabled={send.busy || !to || !sender || (mode === "text" ? !body || !!local : !templateId)}>
          {send.busy ? "Sending…" : "Send"}
        </button>
        <span class={"segments" + (seg.count > 1 ? " warn" : "") + (local ? " bad" : "")} data-testid="segments">
          {seg.characters} {seg.characters === 1 ? "character" : "characters"} · {segmentLabel(seg)}
          {mode === "template" && template ? " (before variables)" : ""}
          {local ? ` · the message ${local}` : ""}
        </span>
      </div>
      <Refusal error={send.error} />
    </form>
  );
}

// ---------------------------------------------------------------- templates

function TemplatesTab() {
  const list = useLoad(() => api.messaging.listMessageTemplates({ pageSize: 200 }), []);
  const [editing, setEditing] = useState<MessageTemplate | undefined>();
  return (
    <div class="grid2 top">
      <Card title="Templates" actions={<button class="secondary" onClick={() => setEditing(undefined)}>New template</button>}>
        <ErrorBanner error={list.error} />
        {!list.data ? <Loading /> : list.data.templates.length === 0 ? <Empty>No templates yet.</Empty> : (
          <table class="table" data-testid="templates-table">
            <thead><tr><th>Name</th><th>Channel</th><th>Category</th><th>Body</th><th>Updated</th></tr></thead>
            <tbody>
              {list.data.templates.map((t) => (
                <tr class="clickable" onClick={() => setEditing(t)} data-template={t.name}>
                  <td class="mono">{t.name}</td>
                  <td>{t.channel === MessageChannel.WHATSAPP ? "WhatsApp" : "SMS"}</td>
                  <td>{t.category === TemplateCategory.MARKETING ? <Badge kind="marketing">marketing</Badge> : "transactional"}</td>
                  <td class="clip">{t.body}</td>
                  <td class="nowrap"><Short t={t.updateTime} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <TemplateForm template={editing} key={editing?.id ?? "new"} onSaved={(t) => { setEditing(t); list.reload(); }}
        onDeleted={() => { setEditing(undefined); list.reload(); }} />
    </div>
  );
}

function Form({ inline, onSubmit, testid, children }: { inline?: boolean; onSubmit: (e: Event) => void; testid: string; children: ComponentChildren }) {
  // Enter in a field saves this block, not the form around it
  const enter = (e: KeyboardEvent) => {
    if (e.key === "Enter" && (e.target as HTMLElement).tagName === "INPUT") {
      e.preventDefault();
      onSubmit(e);
    }
  };
  return inline ? <div class="form" data-testid={testid} onKeyDown={enter}>{children}</div>
    : <form class="form" onSubmit={onSubmit} data-testid={testid}>{children}</form>;
}

/**
 * Creates or edits one of the organisation's templates. {@code inline} inside another form (the agent page's), where
 * a nested form would submit the outer one: then a plain block whose button saves, and {@code onClose} to cancel.
 */
export function TemplateForm({ template, onSaved, onDeleted, inline, onClose }: {
  template?: MessageTemplate; onSaved: (t: MessageTemplate) => void; onDeleted?: () => void; inline?: boolean; onClose?: () => void;
}) {
  const [name, setName] = useState(template?.name ?? "");
  const [channel, setChannel] = useState(template?.channel ?? MessageChannel.SMS);
  const [marketing, setMarketing] = useState(template?.category === TemplateCategory.MARKETING);
  const [body, setBody] = useState(template?.body ?? "");
  const [contentSid, setContentSid] = useState(template?.contentSid ?? "");
  const save = useAction();
  const del = useAction();
  const seg = segments(body);
  const submit = async (e: Event) => {
    e.preventDefault();
    e.stopPropagation();
    const t = {
      id: template?.id ?? "", name, channel, body, contentSid,
      category: marketing ? TemplateCategory.MARKETING : TemplateCategory.TRANSACTIONAL,
    };
    const saved = await save.run(() => template
      ? api.messaging.updateMessageTemplate({ template: t })
      : api.messaging.createMessageTemplate({ template: t }));
    if (saved) onSaved(saved);
  };
  return (
    <Card title={template ? <>Edit <span class="mono">{template.name}</span></> : "New template"}>
      <Form inline={inline} onSubmit={submit} testid="template-form">
        <div class="grid2">
          <Field label="Name" field="template.name" error={save.error} hint="lower case letters, digits, _ . -">
            <input name="templateName" value={name} disabled={!!template} onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
          <Field label="Channel" field="template.channel" error={save.error}>
            <select name="channel" value={String(channel)} disabled={!!template} onChange={(e) => setChannel(Number(e.currentTarget.value))}>
              <option value={String(MessageChannel.SMS)}>SMS</option>
              <option value={String(MessageChannel.WHATSAPP)}>WhatsApp</option>
            </select>
          </Field>
          <Field label="Body" field="template.body" error={save.error} wide
            hint={`${segmentLabel(seg)} before variables · {{first_name}}, {{metadata.KEY}}, {{call.variables.NAME}} or your own {{NAME}}`}>
            <textarea name="templateBody" rows={4} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
          </Field>
          {channel === MessageChannel.WHATSAPP && (
            <Field label="Approved content SID" field="template.content_sid" error={save.error} hint="HX + 32 hex: the only thing sendable outside the 24-hour window">
              <input name="contentSid" value={contentSid} onInput={(e) => setContentSid(e.currentTarget.value)} />
            </Field>
          )}
          <label class="check wide">
            <input type="checkbox" name="marketing" checked={marketing} onChange={(e) => setMarketing(e.currentTarget.checked)} />
            Marketing (sent only to contacts with recorded marketing consent)
          </label>
        </div>
        <div class="form-actions">
          <button type={inline ? "button" : "submit"} onClick={inline ? submit : undefined} disabled={save.busy}>
            {template ? "Save" : "Create template"}
          </button>
          {template && onDeleted && (
            <button type="button" class="secondary danger" disabled={del.busy} onClick={async () => {
              if (await del.run(() => api.messaging.deleteMessageTemplate({ id: template.id })) !== undefined) onDeleted();
            }}>Delete</button>
          )}
          {onClose && <button type="button" class="secondary" onClick={onClose}>Cancel</button>}
        </div>
      </Form>
      <ErrorBanner error={save.error ?? del.error} title="Template not saved" />
    </Card>
  );
}

// ---------------------------------------------------------------- senders

function SendersTab() {
  const list = useLoad(() => api.messaging.listSenders({ pageSize: 200 }), []);
  const [address, setAddress] = useState("");
  const add = useAction();
  const remove = useAction();
  return (
    <Card title="Sender numbers">
      <ErrorBanner error={list.error ?? remove.error} />
      {!list.data ? <Loading /> : list.data.senders.length === 0 ? <Empty>No sender numbers yet.</Empty> : (
        <table class="table" data-testid="senders-table">
          <thead><tr><th>Address</th><th>Channel</th><th>Added</th><th /></tr></thead>
          <tbody>
            {list.data.senders.map((s: Sender) => (
              <tr>
                <td class="mono">{s.address}</td>
                <td>{s.channel === MessageChannel.WHATSAPP ? "WhatsApp" : "SMS"}</td>
                <td>{when(s.createTime)}</td>
                <td><button class="link" disabled={remove.busy} onClick={async () => {
                  if (await remove.run(() => api.messaging.removeSender({ id: s.id })) !== undefined) list.reload();
                }}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="inline-form" data-testid="sender-form" onSubmit={async (e) => {
        e.preventDefault();
        if (await add.run(() => api.messaging.addSender({ address }))) { setAddress(""); list.reload(); }
      }}>
        <Field label="Add a number you own at the carrier" field="address" error={add.error}>
          <input name="senderAddress" placeholder="+14155550100 or whatsapp:+14155550100" value={address} onInput={(e) => setAddress(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={add.busy || !address.trim()}>Add sender</button>
      </form>
      <ErrorBanner error={add.error} title="Sender not added" />
    </Card>
  );
}

// ---------------------------------------------------------------- opt-outs

function OptOutsTab() {
  const [extra, setExtra] = useState<ConsentEvent[]>([]);
  const [token, setToken] = useState("");
  const first = useLoad(async () => {
    const r = await api.messaging.listOptOuts({ pageSize: 100 });
    setExtra([]);
    setToken(r.nextPageToken);
    return r;
  }, []);
  const more = useAction();
  const [open, setOpen] = useState("");
  const optOuts = [...(first.data?.optOuts ?? []), ...extra];
  return (
    <div>
      <Card title="Opted-out numbers">
        <ErrorBanner error={first.error ?? more.error} />
        {!first.data ? <Loading /> : optOuts.length === 0 ? <Empty>Nobody has opted out.</Empty> : (
          <table class="table" data-testid="opt-outs-table">
            <thead><tr><th>Number</th><th>Said</th><th>Source</th><th>When</th></tr></thead>
            <tbody>
              {optOuts.map((e) => (
                <tr class={"clickable" + (open === e.phoneNumber ? " selected" : "")} onClick={() => setOpen(e.phoneNumber)} data-phone={e.phoneNumber}>
                  <td class="mono">{e.phoneNumber}</td>
                  <td class="mono">{e.words}</td>
                  <td>{e.source.replace(/_/g, " ")}</td>
                  <td class="nowrap"><Short t={e.occurTime} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager token={token} busy={more.busy} onMore={async () => {
          const r = await more.run(() => api.messaging.listOptOuts({ pageSize: 100, pageToken: token }));
          if (r) { setExtra([...extra, ...r.optOuts]); setToken(r.nextPageToken); }
        }} />
      </Card>
      {open ? <ConsentEvents phone={open} key={open} /> : <Card title="Consent events"><Empty>Pick a number to see every opt-out and opt-in it made.</Empty></Card>}
    </div>
  );
}

function ConsentEvents({ phone }: { phone: string }) {
  const events = useLoad(() => api.messaging.listConsentEvents({ phoneNumber: phone }), [phone]);
  return (
    <Card title={<>Consent events of <span class="mono">{phone}</span></>} actions={<a href={"#/" + threadPath(phone)}>Open thread</a>}>
      <ErrorBanner error={events.error} />
      {!events.data ? <Loading /> : (
        <table class="table compact" data-testid="consent-events">
          <thead><tr><th>When</th><th>Event</th><th>Said</th><th>Source</th><th>Channel</th><th>Sender</th></tr></thead>
          <tbody>
            {events.data.events.map((e) => (
              <tr>
                <td class="nowrap">{when(e.occurTime)}</td>
                <td><Badge kind={e.kind === "opt_out" ? "opted-out" : "opted-in"}>{e.kind.replace("_", " ")}</Badge></td>
                <td class="mono">{e.words}</td>
                <td>{e.source.replace(/_/g, " ")}</td>
                <td>{e.channel === MessageChannel.WHATSAPP ? "WhatsApp" : "SMS"}</td>
                <td class="mono">{e.senderAddress || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

// ---------------------------------------------------------------- settings

/** The organisation's own answer to HELP (Organization.messaging_help_text): at most this many characters. */
const MAX_HELP_TEXT = 320;

/**
 * The organisation's messaging settings (admin or owner; others see them and get the server's refusal on save):
 * its answer to HELP/INFO texts and whether a STOP gets the platform's confirmation text.
 */
function SettingsTab() {
  const org = useLoad(() => api.organizations.getOrganization({}), []);
  const [helpText, setHelpText] = useState<string | undefined>();
  const [confirm, setConfirm] = useState<boolean | undefined>();
  const [saved, setSaved] = useState("");
  const save = useAction();
  if (!org.data) return org.error ? <ErrorBanner error={org.error} /> : <Loading />;
  const o = org.data;
  const text = helpText ?? o.messagingHelpText;
  const confirmOptOut = confirm ?? o.confirmOptOut;
  const answer = text.trim().replaceAll("{organization}", o.name);
  const seg = segments(answer);
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaved("");
    // emptied, the organisation's own answer is unset (the platform's default again); never set, it stays unset
    const paths = [...(text.trim() || o.messagingHelpText ? ["messaging_help_text"] : []), "confirm_opt_out"];
    const after = await save.run(() => api.organizations.updateOrganization({
      organization: { messagingHelpText: text, confirmOptOut }, updateMask: { paths },
    }));
    if (!after) return;
    setHelpText(undefined);
    setConfirm(undefined);
    org.reload();
    setSaved("Saved.");
  };
  return (
    <Card title="Messaging settings">
      <form class="form" onSubmit={submit} data-testid="messaging-settings">
        <Field label="Answer to HELP and INFO" field="organization.messaging_help_text" error={save.error} wide
          hint={`{organization} stands for “${o.name}”. At most ${MAX_HELP_TEXT} characters. Empty: the platform's default answer.`}>
          <textarea name="helpText" rows={3} value={text} placeholder="Empty: HELP gets the platform's default answer."
            onInput={(e) => { setHelpText(e.currentTarget.value); setSaved(""); }} />
        </Field>
        {answer && (
          <div class="template-preview" data-testid="help-preview">
            <div class="bubble-body">{answer}</div>
            <span class={"segments" + (seg.count > 1 ? " warn" : "") + (text.trim().length > MAX_HELP_TEXT ? " bad" : "")} data-testid="help-segments">
              {text.trim().length} / {MAX_HELP_TEXT} characters · as sent: {segmentLabel(seg)}
            </span>
          </div>
        )}
        <label class="check wide">
          <input type="checkbox" name="confirmOptOut" checked={confirmOptOut}
            onChange={(e) => { setConfirm(e.currentTarget.checked); setSaved(""); }} />
          Confirm a STOP with one text of our own
        </label>
        <p class="hint">
          Turn this off when your carrier confirms opt-outs itself (Twilio Advanced Opt-Out): it then refuses our confirmation
          with error 21610. Either way the opt-out is recorded at once and nothing more is sent to that number.
        </p>
        <div class="form-actions">
          <button type="submit" disabled={save.busy}>Save settings</button>
          {saved && <span class="ok" data-testid="settings-saved">{saved}</span>}
        </div>
      </form>
      <ErrorBanner error={save.error} title="Settings not saved" />
    </Card>
  );
}
