import { useState } from "preact/hooks";
import { api } from "../api";
import { Campaign_State, type Campaign, type LatencyDistribution } from "../gen/switchboard/v1/campaigns_pb";
import { ms } from "../turns";
import { Badge, Card, Empty, ErrorBanner, Field, Loading, Page, Stat, durationMs, enumLabel, navigate, shortId, useAction, useInterval, useLoad, when } from "../ui";

export function stateBadge(s: Campaign_State) {
  const name = Campaign_State[s] ?? "UNSPECIFIED";
  return <Badge kind={"state-" + name.toLowerCase()}>{enumLabel(name, "")}</Badge>;
}

export function CampaignsPage() {
  const campaigns = useLoad(() => api.campaigns.listCampaigns({ pageSize: 200 }), []);
  const agents = useLoad(() => api.agents.listAgents({ pageSize: 200 }), []);
  const agentName = (id: string) => agents.data?.agents.find((a) => a.id === id)?.name ?? shortId(id);
  return (
    <Page title="Campaigns" actions={<a class="button" href="#/campaigns/new">New campaign</a>}
      subtitle="An agent calling a contact list inside the callee's calling window.">
      <ErrorBanner error={campaigns.error} />
      {!campaigns.data ? <Loading /> : campaigns.data.campaigns.length === 0 ? (
        <Empty>No campaigns yet. <a href="#/campaigns/new">Create one</a>.</Empty>
      ) : (
        <table class="table" data-testid="campaigns-table">
          <thead><tr><th>Name</th><th>State</th><th>Agent</th><th>Caller id</th><th>Created</th></tr></thead>
          <tbody>
            {campaigns.data.campaigns.map((c) => (
              <tr class="clickable" onClick={() => navigate("campaigns/" + c.id)}>
                <td><a href={"#/campaigns/" + c.id}>{c.name}</a></td>
                <td>{stateBadge(c.state)}</td>
                <td>{agentName(c.agentId)}</td>
                <td class="mono">{c.callerId}</td>
                <td>{when(c.createTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

export function CampaignNewPage() {
  const agents = useLoad(() => api.agents.listAgents({ pageSize: 200 }), []);
  const lists = useLoad(() => api.contacts.listContactLists({ pageSize: 200 }), []);
  const [d, setD] = useState({ name: "", agentId: "", contactListId: "", callerId: "", maxConcurrency: "2", start: "08:00", end: "21:00", fallbackZone: "", dispositions: "interested, callback, not_interested" });
  const set = (patch: Partial<typeof d>) => setD({ ...d, ...patch });
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const c = await action.run(() => api.campaigns.createCampaign({
      campaign: {
        name: d.name, agentId: d.agentId, contactListId: d.contactListId, callerId: d.callerId,
        maxConcurrency: Number(d.maxConcurrency) || 0,
        callingWindow: { startLocalTime: d.start, endLocalTime: d.end, fallbackTimeZone: d.fallbackZone },
        dispositionCodes: d.dispositions.split(",").map((s) => s.trim()).filter(Boolean),
      },
    }));
    if (c) navigate("campaigns/" + c.id);
  };
  const f = (n: string) => "campaign." + n;
  return (
    <Page title="New campaign" actions={<a class="button secondary" href="#/campaigns">All campaigns</a>}>
      <ErrorBanner error={agents.error ?? lists.error} />
      <form class="form" onSubmit={submit} data-testid="campaign-form">
        <Card title="Campaign">
          <div class="grid2">
            <Field label="Name" field={f("name")} error={action.error}>
              <input name="name" value={d.name} onInput={(e) => set({ name: e.currentTarget.value })} />
            </Field>
            <Field label="Caller id" field={f("caller_id")} error={action.error} hint="The number callees see, E.164 (+14155550100)">
              <input name="callerId" value={d.callerId} onInput={(e) => set({ callerId: e.currentTarget.value })} />
            </Field>
            <Field label="Agent" field={f("agent_id")} error={action.error}>
              <select name="agentId" value={d.agentId} onChange={(e) => set({ agentId: e.currentTarget.value })}>
                <option value="">Choose an agent…</option>
                {agents.data?.agents.map((a) => <option value={a.id}>{a.name}</option>)}
              </select>
            </Field>
            <Field label="Contact list" field={f("contact_list_id")} error={action.error}>
              <select name="contactListId" value={d.contactListId} onChange={(e) => set({ contactListId: e.currentTarget.value })}>
                <option value="">Choose a list…</option>
                {lists.data?.contactLists.map((l) => <option value={l.id}>{l.name} ({l.contactCount.toString()})</option>)}
              </select>
            </Field>
            <Field label="Calls at once" field={f("max_concurrency")} error={action.error}>
              <input name="maxConcurrency" type="number" min="1" value={d.maxConcurrency} onInput={(e) => set({ maxConcurrency: e.currentTarget.value })} />
            </Field>
            <Field label="Disposition codes" field={f("disposition_codes")} error={action.error} hint="Comma-separated">
              <input name="dispositions" value={d.dispositions} onInput={(e) => set({ dispositions: e.currentTarget.value })} />
            </Field>
            <Field label="Calling window starts" field={f("calling_window.start_local_time")} error={action.error} hint="Callee's local time">
              <input name="windowStart" value={d.start} onInput={(e) => set({ start: e.currentTarget.value })} />
            </Field>
            <Field label="Calling window ends" field={f("calling_window.end_local_time")} error={action.error}>
              <input name="windowEnd" value={d.end} onInput={(e) => set({ end: e.currentTarget.value })} />
            </Field>
            <Field label="Fallback time zone" field={f("calling_window.fallback_time_zone")} error={action.error} hint="When the callee's zone is unknown, e.g. America/Chicago">
              <input name="fallbackZone" value={d.fallbackZone} onInput={(e) => set({ fallbackZone: e.currentTarget.value })} />
            </Field>
          </div>
        </Card>
        <ErrorBanner error={action.error} title="Not created" />
        <div class="form-actions"><button type="submit" disabled={action.busy}>Create campaign</button></div>
      </form>
    </Page>
  );
}

const TRANSITIONS: [string, Campaign_State[], "startCampaign" | "pauseCampaign" | "resumeCampaign" | "completeCampaign" | "cancelCampaign", string?][] = [
  ["Start", [Campaign_State.DRAFT], "startCampaign"],
  ["Pause", [Campaign_State.RUNNING], "pauseCampaign"],
  ["Resume", [Campaign_State.PAUSED], "resumeCampaign"],
  ["Complete", [Campaign_State.RUNNING, Campaign_State.PAUSED], "completeCampaign", "secondary"],
  ["Cancel", [Campaign_State.DRAFT, Campaign_State.RUNNING, Campaign_State.PAUSED], "cancelCampaign", "danger"],
];

export function CampaignPage({ id }: { id: string }) {
  const campaign = useLoad(() => api.campaigns.getCampaign({ id }), [id]);
  const stats = useLoad(() => api.campaigns.getCampaignStats({ id }), [id]);
  const agents = useLoad(() => api.agents.listAgents({ pageSize: 200 }), []);
  const lists = useLoad(() => api.contacts.listContactLists({ pageSize: 200 }), []);
  const action = useAction();
  const live = campaign.data?.state === Campaign_State.RUNNING || campaign.data?.state === Campaign_State.PAUSED;
  useInterval(() => {
    stats.reload();
    campaign.reload();
  }, 3000, live);

  if (!campaign.data) return <Page title="Campaign">{campaign.error ? <ErrorBanner error={campaign.error} /> : <Loading />}</Page>;
  const c: Campaign = campaign.data;
  const s = stats.data;
  const transition = async (method: (typeof TRANSITIONS)[number][2]) => {
    if (await action.run(() => api.campaigns[method]({ id }))) {
      campaign.reload();
      stats.reload();
    }
  };
  const map = (m?: { [k: string]: bigint }) => Object.entries(m ?? {}).filter(([, v]) => v > 0n);
  return (
    <Page title={c.name} subtitle={<>{stateBadge(c.state)} <span class="mono">{c.id}</span></>}
      actions={<>
        {TRANSITIONS.filter(([, from]) => from.includes(c.state)).map(([label, , method, kind]) => (
          <button class={kind ?? ""} disabled={action.busy} onClick={() => transition(method)} data-testid={"campaign-" + label.toLowerCase()}>{label}</button>
        ))}
        <a class="button secondary" href={"#/calls?campaign=" + c.id}>Calls</a>
      </>}>
      <ErrorBanner error={action.error} />
      <Card title={<>Live statistics {live && <span class="pulse" title="refreshing every 3 s" />}</>}>
        <ErrorBanner error={stats.error} />
        {!s ? <Loading /> : (
          <>
            <div class="stats" data-testid="campaign-stats">
              <Stat label="dial attempts" value={s.dialAttempts.toString()} />
              <Stat label="calls" value={s.attempted.toString()} />
              <Stat label="connected" value={s.connected.toString()} />
              <Stat label="live now" value={s.active.toString()} />
              <Stat label="failed" value={s.failed.toString()} />
              <Stat label="contacts reached" value={s.contactsReached.toString()} />
              <Stat label="billable minutes" value={s.billableMinutes.toString()} />
            </div>
            <div class="grid3">
              <KeyCounts title="Contacts by state" entries={map(s.contacts)} />
              <KeyCounts title="Attempt outcomes" entries={map(s.outcomes)} />
              <KeyCounts title="Dispositions" entries={map(s.dispositions).map(([k, v]) => [k || "(none)", v])} />
              <KeyCounts title="Guard refusals" entries={map(s.refusals)} />
            </div>
          </>
        )}
      </Card>
      {s && <OutcomesCard dispositions={map(s.dispositions)} latency={s.replyLatency} />}
      <Card title="Configuration">
        <dl class="facts">
          <dt>Agent</dt><dd><a href={"#/agents/" + c.agentId}>{agents.data?.agents.find((a) => a.id === c.agentId)?.name ?? c.agentId}</a></dd>
          <dt>Contact list</dt><dd><a href={"#/contacts/" + c.contactListId}>{lists.data?.contactLists.find((l) => l.id === c.contactListId)?.name ?? c.contactListId}</a></dd>
          <dt>Caller id</dt><dd class="mono">{c.callerId}</dd>
          <dt>Calls at once</dt><dd>{c.maxConcurrency}</dd>
          <dt>Calling window</dt><dd>{c.callingWindow?.startLocalTime}–{c.callingWindow?.endLocalTime} callee's time{c.callingWindow?.fallbackTimeZone ? ` (fallback ${c.callingWindow.fallbackTimeZone})` : ""}</dd>
          <dt>Retries</dt><dd>{c.retryPolicy?.maxAttempts ?? 3} attempts</dd>
          <dt>Disposition codes</dt><dd>{c.dispositionCodes.map((d) => <Badge>{d}</Badge>)}</dd>
          <dt>Created</dt><dd>{when(c.createTime)}</dd>
          <dt>Started</dt><dd>{when(c.startTime)}</dd>
          <dt>Ended</dt><dd>{when(c.endTime)}</dd>
        </dl>
      </Card>
    </Page>
  );
}

function KeyCounts({ title, entries }: { title: string; entries: [string, bigint][] }) {
  return (
    <div class="keycounts">
      <h3>{title}</h3>
      {entries.length === 0 ? <div class="muted">none</div> : (
        <ul>{entries.map(([k, v]) => <li><span>{k.replace(/_/g, " ")}</span><b>{v.toString()}</b></li>)}</ul>
      )}
    </div>
  );
}

const DISPOSITION_COLORS = ["#4f6bed", "#2bb3a3", "#e39b2f", "#7a5ad8", "#1f8a5b", "#d2556b", "#9aa7c7"];

/** What the campaign's calls came to (summaries by disposition) and how fast its agent replied on them. */
function OutcomesCard({ dispositions, latency }: { dispositions: [string, bigint][]; latency?: LatencyDistribution }) {
  const total = dispositions.reduce((n, [, v]) => n + Number(v), 0);
  const sorted = [...dispositions].sort((a, b) => Number(b[1] - a[1]));
  const buckets = latency?.buckets ?? [];
  const most = Math.max(1, ...buckets.map((b) => Number(b.count)));
  const bound = (i: number) => (buckets[i].upperBound ? "≤ " + ms(durationMs(buckets[i].upperBound)) : "> " + ms(durationMs(buckets[i - 1]?.upperBound)));
  return (
    <div class="grid2 top outcomes">
      <Card title="Outcomes by disposition">
        {total === 0 ? <Empty>No call has been summarised yet.</Empty> : (
          <ul class="hbars" data-testid="campaign-dispositions">
            {sorted.map(([code, v], i) => (
              <li>
                <span class="hbar-label">{code ? code.replace(/_/g, " ") : <span class="muted">(none chosen)</span>}</span>
                <span class="hbar-track"><span class="hbar" style={{ width: `${(Number(v) / total) * 100}%`, background: DISPOSITION_COLORS[i % DISPOSITION_COLORS.length] }} /></span>
                <span class="hbar-value"><b>{v.toString()}</b> <span class="muted">{Math.round((Number(v) / total) * 100)}%</span></span>
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title="Agent reply latency">
        {!latency || latency.count === 0n ? <Empty>No agent reply measured yet: calls the agent speaks on keep each reply's latency.</Empty> : (
          <>
            <div class="stats">
              <Stat label="replies" value={latency.count.toString()} />
              <Stat label="p50" value={ms(durationMs(latency.p50))} testid="campaign-latency-p50" />
              <Stat label="p95" value={ms(durationMs(latency.p95))} />
              <Stat label="p99" value={ms(durationMs(latency.p99))} />
            </div>
            <div class="histogram" data-testid="campaign-latency">
              {buckets.map((b, i) => (
                <div class="hist-col" title={`${bound(i)}: ${b.count} replies`}>
                  <span class="hist-count">{b.count > 0n ? b.count.toString() : ""}</span>
                  <span class="hist-bar" style={{ height: `${(Number(b.count) / most) * 100}%` }} />
                  <span class="hist-label">{bound(i)}</span>
                </div>
              ))}
            </div>
            <div class="muted small">From the caller's last word to the agent's first audio, every reply on this campaign's calls.</div>
          </>
        )}
      </Card>
    </div>
  );
}
