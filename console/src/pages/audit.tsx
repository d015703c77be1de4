import { useState } from "preact/hooks";
import { api } from "../api";
import type { AuditEntry, ChainVerification } from "../gen/switchboard/v1/audit_pb";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Badge, Card, Empty, ErrorBanner, Field, Loading, Page, Pager, useAction, useLoad, when } from "../ui";

interface Filter {
  action: string;
  resourceType: string;
  resourceId: string;
  actorApiKeyId: string;
  from: string;
  to: string;
}

const NONE: Filter = { action: "", resourceType: "", resourceId: "", actorApiKeyId: "", from: "", to: "" };

function toProto(f: Filter) {
  return {
    action: f.action.trim(), resourceType: f.resourceType.trim(), resourceId: f.resourceId.trim(), actorApiKeyId: f.actorApiKeyId.trim(),
    from: f.from ? timestampFromDate(new Date(f.from)) : undefined,
    to: f.to ? timestampFromDate(new Date(f.to)) : undefined,
  };
}

export function AuditPage() {
  const [draft, setDraft] = useState<Filter>(NONE);
  const [filter, setFilter] = useState<Filter>(NONE);
  const [extra, setExtra] = useState<AuditEntry[]>([]);
  const [token, setToken] = useState("");
  const first = useLoad(async () => {
    const r = await api.audit.listAuditEntries({ filter: toProto(filter), pageSize: 50 });
    setExtra([]);
    setToken(r.nextPageToken);
    return r;
  }, [filter]);
  const more = useAction();
  const verify = useAction();
  const [chain, setChain] = useState<ChainVerification | undefined>();
  const entries = [...(first.data?.entries ?? []), ...extra];
  const set = (p: Partial<Filter>) => setDraft({ ...draft, ...p });
  return (
    <Page title="Audit log" subtitle="Every change made through the API (and, in HIPAA mode, every read of call content): who, from where, what, when. Entries are hash-chained and signed."
      actions={<button onClick={async () => setChain(await verify.run(() => api.audit.verifyChain({})))} disabled={verify.busy} data-testid="verify-chain">
        {verify.busy ? "Verifying…" : "Verify chain"}
      </button>}>
      <ErrorBanner error={verify.error} title="Verification failed to run" />
      {chain && (
        <div class={"verification " + (chain.intact ? "intact" : "broken")} data-testid="chain-result">
          {chain.intact
            ? <>✔ Chain intact: {chain.entriesChecked.toString()} entries (#{chain.firstSeq.toString()}–#{chain.lastSeq.toString()}) and {chain.checkpointsChecked.toString()} signed checkpoints verified.</>
            : <>✘ Chain broken at entry #{chain.brokenSeq.toString()}: {chain.reason}</>}
        </div>
      )}
      <form class="filters card" onSubmit={(e) => { e.preventDefault(); setFilter(draft); }} data-testid="audit-filter">
        <Field label="Action"><input name="action" placeholder="call.open, or a prefix: call." value={draft.action} onInput={(e) => set({ action: e.currentTarget.value })} /></Field>
        <Field label="Resource type"><input name="resourceType" value={draft.resourceType} onInput={(e) => set({ resourceType: e.currentTarget.value })} /></Field>
        <Field label="Resource id"><input name="resourceId" value={draft.resourceId} onInput={(e) => set({ resourceId: e.currentTarget.value })} /></Field>
        <Field label="Actor key id"><input name="actor" value={draft.actorApiKeyId} onInput={(e) => set({ actorApiKeyId: e.currentTarget.value })} /></Field>
        <Field label="From"><input type="datetime-local" name="from" value={draft.from} onInput={(e) => set({ from: e.currentTarget.value })} /></Field>
        <Field label="To"><input type="datetime-local" name="to" value={draft.to} onInput={(e) => set({ to: e.currentTarget.value })} /></Field>
        <div class="filter-buttons">
          <button type="submit">Search</button>
          <button type="button" class="secondary" onClick={() => { setDraft(NONE); setFilter(NONE); }}>Clear</button>
        </div>
      </form>
      <ErrorBanner error={first.error ?? more.error} />
      <Card>
        {!first.data ? <Loading /> : entries.length === 0 ? <Empty>No entries match.</Empty> : (
          <table class="table" data-testid="audit-table">
            <thead><tr><th>#</th><th>When</th><th>Action</th><th>Resource</th><th>Actor key</th><th>From</th><th>Details</th></tr></thead>
            <tbody>
              {entries.map((e) => (
                <tr>
                  <td class="mono">{e.seq.toString()}</td>
                  <td>{when(e.time)}</td>
                  <td><Badge>{e.action}</Badge></td>
                  <td>{e.resourceType}<div class="mono muted small">{e.resourceId}</div></td>
                  <td class="mono small">{e.actorApiKeyId || "system"}</td>
                  <td class="mono small">{e.remoteAddress}</td>
                  <td class="small">{Object.entries(e.details).map(([k, v]) => <div><span class="muted">{k}</span> {v}</div>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager token={token} busy={more.busy} onMore={async () => {
          const r = await more.run(() => api.audit.listAuditEntries({ filter: toProto(filter), pageSize: 50, pageToken: token }));
          if (r) { setExtra([...extra, ...r.entries]); setToken(r.nextPageToken); }
        }} />
      </Card>
    </Page>
  );
}
