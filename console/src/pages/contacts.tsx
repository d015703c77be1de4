import { useState } from "preact/hooks";
import { api, problem, type Problem } from "../api";
import type { Contact } from "../gen/switchboard/v1/contacts_pb";
import { importContacts, type ImportProgress } from "../importer";
import { Badge, Card, Empty, ErrorBanner, Field, Loading, Page, Pager, navigate, useAction, useLoad, when } from "../ui";

const SAMPLE = `external_id,phone_number,first_name,last_name,email,tags,time_zone
c-1001,(415) 555-0132,Ada,Lovelace,ada@example.com,vip;renewal,
c-1002,+1 212 555 0199,Alan,Turing,,renewal,`;

export function ContactsPage({ listId }: { listId?: string }) {
  const lists = useLoad(() => api.contacts.listContactLists({ pageSize: 200 }), []);
  const [name, setName] = useState("");
  const create = useAction();
  const [imports, setImports] = useState(0);
  const selected = listId ?? "";
  const newList = async (e: Event) => {
    e.preventDefault();
    const l = await create.run(() => api.contacts.createContactList({ contactList: { name } }));
    if (l) {
      setName("");
      lists.reload();
      navigate("contacts/" + l.id);
    }
  };
  return (
    <Page title="Contacts" subtitle="People to call, in lists that campaigns dial. Numbers are stored in E.164; the time zone comes from the number unless given.">
      <ErrorBanner error={lists.error} />
      <div class="split">
        <aside class="card lists">
          <div class="card-header"><h2>Lists</h2></div>
          <ul class="listnav" data-testid="contact-lists">
            <li><a href="#/contacts" class={selected === "" ? "active" : ""}>All contacts</a></li>
            {lists.data?.contactLists.map((l) => (
              <li><a href={"#/contacts/" + l.id} class={selected === l.id ? "active" : ""}>{l.name} <span class="count">{l.contactCount.toString()}</span></a></li>
            ))}
          </ul>
          <form class="inline-form" onSubmit={newList} data-testid="new-list-form">
            <Field label="New list" field="contact_list.name" error={create.error}>
              <input name="listName" placeholder="Q3 renewals" value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </Field>
            <button type="submit" disabled={create.busy}>Create list</button>
          </form>
          <ErrorBanner error={create.error} title="List not created" />
        </aside>
        <div class="grow">
          <ImportCard listId={selected} listName={lists.data?.contactLists.find((l) => l.id === selected)?.name} onDone={() => { lists.reload(); setImports(imports + 1); }} key={selected} />
          <ContactsTable listId={selected} key={`${selected}/${imports}`} />
        </div>
      </div>
    </Page>
  );
}

function ImportCard({ listId, listName, onDone }: { listId: string; listName?: string; onDone: () => void }) {
  const [csv, setCsv] = useState("");
  const [fileName, setFileName] = useState("");
  const [region, setRegion] = useState("US");
  const [progress, setProgress] = useState<ImportProgress | undefined>();
  const [error, setError] = useState<Problem | undefined>();
  const [running, setRunning] = useState(false);
  const start = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setRunning(true);
    try {
      await importContacts(csv, listId, region, setProgress);
      onDone();
    } catch (err) {
      setError(err instanceof Error && !("code" in err) ? { code: "INVALID_ARGUMENT", message: err.message, fields: [] } : problem(err));
    } finally {
      setRunning(false);
    }
  };
  const pct = progress && progress.total > 0 ? Math.round((progress.done / progress.total) * 100) : 0;
  return (
    <Card title={<>Import CSV {listName ? <span class="muted">into “{listName}”</span> : <span class="muted">(no list)</span>}</>}>
      <form class="form" onSubmit={start} data-testid="import-form">
        <p class="hint">
          Header row with <code>phone_number</code> (required) and any of <code>external_id</code>, <code>first_name</code>, <code>last_name</code>,{" "}
          <code>email</code>, <code>tags</code> (separated by <code>;</code>), <code>time_zone</code>; other columns become metadata. Rows with an{" "}
          <code>external_id</code> update the contact that has it; bad rows are listed and skipped, the others are kept.
        </p>
        <div class="grid2">
          <Field label="File">
            <input type="file" name="csvFile" accept=".csv,text/csv" onChange={async (e) => {
              const f = e.currentTarget.files?.[0];
              if (f) { setFileName(f.name); setCsv(await f.text()); setProgress(undefined); }
            }} />
          </Field>
          <Field label="Region for national numbers" hint="ISO 3166, e.g. US, GB, DE">
            <input name="region" value={region} onInput={(e) => setRegion(e.currentTarget.value)} />
          </Field>
          <Field label={fileName ? `Contents of ${fileName}` : "…or paste CSV"} wide>
            <textarea name="csv" rows={5} class="mono" placeholder={SAMPLE} value={csv} onInput={(e) => { setCsv(e.currentTarget.value); setFileName(""); }} />
          </Field>
        </div>
        <div class="form-actions">
          <button type="submit" disabled={running || !csv.trim()}>{running ? "Importing…" : "Import"}</button>
        </div>
      </form>
      <ErrorBanner error={error} title="Import stopped" />
      {progress && (
        <div class="import-result" data-testid="import-result">
          <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
            <div class="bar" style={{ width: pct + "%" }} />
          </div>
          <div class="progress-text" data-testid="import-progress">
            {progress.done} of {progress.total} rows · <b>{progress.created}</b> created · <b>{progress.updated}</b> updated · <b>{progress.unchanged}</b> unchanged ·{" "}
            <b class={progress.failed ? "bad" : ""}>{progress.failed}</b> failed{!running && progress.done === progress.total ? " · done" : ""}
          </div>
          {progress.errors.length > 0 && (
            <table class="table compact" data-testid="import-errors">
              <thead><tr><th>Line</th><th>Field</th><th>Problem</th></tr></thead>
              <tbody>{progress.errors.map((r) => <tr><td>{r.line}</td><td><code>{r.field || "row"}</code></td><td>{r.reason}</td></tr>)}</tbody>
            </table>
          )}
        </div>
      )}
    </Card>
  );
}

function ContactsTable({ listId }: { listId: string }) {
  const [extra, setExtra] = useState<Contact[]>([]);
  const [token, setToken] = useState<string | undefined>();
  const first = useLoad(async () => {
    const r = await api.contacts.listContacts({ pageSize: 100, listId });
    setExtra([]);
    setToken(r.nextPageToken);
    return r;
  }, [listId]);
  const more = useAction();
  const contacts = [...(first.data?.contacts ?? []), ...extra];
  return (
    <Card title="Contacts" actions={<button class="secondary" onClick={first.reload}>Refresh</button>}>
      <ErrorBanner error={first.error ?? more.error} />
      {!first.data ? <Loading /> : contacts.length === 0 ? <Empty>No contacts here yet: import a CSV above.</Empty> : (
        <table class="table" data-testid="contacts-table">
          <thead><tr><th>Name</th><th>Phone</th><th>External id</th><th>Time zone</th><th>Tags</th><th>Added</th></tr></thead>
          <tbody>
            {contacts.map((c) => (
              <tr>
                <td>{[c.firstName, c.lastName].filter(Boolean).join(" ") || <span class="muted">—</span>}{c.email && <div class="muted">{c.email}</div>}</td>
                <td class="mono">{c.phoneNumber}</td>
                <td class="mono">{c.externalId || "—"}</td>
                <td>{c.timeZone || "—"}</td>
                <td>{c.tags.map((t) => <Badge>{t}</Badge>)}</td>
                <td>{when(c.createTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager token={token ?? ""} busy={more.busy} onMore={async () => {
        const r = await more.run(() => api.contacts.listContacts({ pageSize: 100, listId, pageToken: token }));
        if (r) { setExtra([...extra, ...r.contacts]); setToken(r.nextPageToken); }
      }} />
    </Card>
  );
}
