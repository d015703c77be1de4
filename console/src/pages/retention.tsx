import { useState } from "preact/hooks";
import { api } from "../api";
import { DataClass, type RetentionPeriod } from "../gen/switchboard/v1/plans_pb";
import { HoldScope } from "../gen/switchboard/v1/retention_pb";
import { BarChart } from "../charts";
import { Badge, Card, Empty, ErrorBanner, Field, Loading, Page, enumLabel, tsDate, useAction, useLoad, when } from "../ui";

const CLASSES: [DataClass, string, string][] = [
  [DataClass.RECORDINGS, "Recordings", "#4f6bed"],
  [DataClass.TRANSCRIPTS, "Transcripts", "#2bb3a3"],
  [DataClass.SUMMARIES, "Summaries", "#f0a202"],
  [DataClass.CALL_LOGS, "Call logs", "#8c5ad8"],
  [DataClass.AUDIT_LOG, "Audit log", "#d1495b"],
  [DataClass.USAGE_RECORDS, "Usage records", "#7a8599"],
];

export function period(p?: RetentionPeriod): string {
  if (!p) return "—";
  if (p.period.case === "unlimited") return "unlimited";
  const iso = p.period.value ?? "";
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m) return iso;
  const units = ["year", "month", "week", "day", "hour", "minute", "second"];
  const parts = m.slice(1).map((v, i) => (v ? `${v} ${units[i]}${v === "1" ? "" : "s"}` : "")).filter(Boolean);
  return parts.join(" ") || iso;
}

export function RetentionPage() {
  const plan = useLoad(() => api.plans.getOrganizationPlan({}), []);
  const policy = useLoad(() => api.retention.getEffectivePolicy({}), []);
  const [days, setDays] = useState(120);
  const expiries = useLoad(() => api.retention.listUpcomingExpiries({ days }), [days]);
  const p = policy.data;
  return (
    <Page title="Plan & retention" subtitle="How long each kind of data lives under your plan, what expires when, and the legal holds that stop deletion.">
      <div class="grid2 top">
        <Card title="Effective policy" class="policy">
          <ErrorBanner error={policy.error ?? plan.error} />
          {!p ? <Loading /> : (
            <>
              <div class="plan-name" data-testid="plan-name">
                {plan.data?.plan?.displayName ?? p.planId} plan {p.hipaaMode && <Badge kind="hipaa">HIPAA mode</Badge>}
              </div>
              <table class="table compact" data-testid="retention-rules">
                <thead><tr><th>Data</th><th>Kept for</th></tr></thead>
                <tbody>
                  {CLASSES.map(([dc, label, color]) => (
                    <tr><td><i class="swatch" style={{ background: color }} />{label}</td><td>{period(p.retention.find((r) => r.dataClass === dc)?.period)}</td></tr>
                  ))}
                </tbody>
              </table>
              {p.limits && (
                <dl class="facts">
                  <dt>Calls at once</dt><dd>{p.limits.maxConcurrentCalls}</dd>
                  <dt>Agents</dt><dd>{p.limits.maxAgents || "unlimited"}</dd>
                  <dt>Campaigns</dt><dd>{p.limits.maxCampaigns || "unlimited"}</dd>
                  <dt>API rate</dt><dd>{p.limits.apiRequestsPerSecond}/s, burst {p.limits.apiBurst}</dd>
                </dl>
              )}
            </>
          )}
        </Card>
        <Card title="Plan history">
          {!plan.data ? <Loading /> : plan.data.history.length === 0 ? <Empty>No plan changes.</Empty> : (
            <table class="table compact">
              <thead><tr><th>When</th><th>From</th><th>To</th><th>By key</th></tr></thead>
              <tbody>{plan.data.history.map((h) => <tr><td>{when(h.changeTime)}</td><td>{h.fromPlanId || "—"}</td><td>{h.toPlanId}</td><td class="mono small">{h.actorApiKeyId || "—"}</td></tr>)}</tbody>
            </table>
          )}
        </Card>
      </div>
      <Card title="Upcoming expiries (UTC days)" actions={
        <select name="expiryDays" value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
          <option value={30}>next 30 days</option>
          <option value={120}>next 120 days</option>
          <option value={366}>next year</option>
        </select>}>
        <ErrorBanner error={expiries.error} />
        {!expiries.data ? <Loading /> : <ExpiryChart data={expiries.data} />}
      </Card>
      <Holds />
    </Page>
  );
}

function ExpiryChart({ data }: { data: import("../gen/switchboard/v1/retention_pb").UpcomingExpiries }) {
  const start = tsDate(data.from) ?? new Date();
  const from = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  const days = Array.from({ length: data.days || 30 }, (_, i) => new Date(from.getTime() + i * 86400000).toISOString().slice(0, 10));
  const series = CLASSES.map(([dc, name, color]) => ({
    name, color,
    values: days.map((d) => Number(data.counts.filter((c) => c.dataClass === dc && c.day === d).reduce((s, c) => s + c.items, 0n))),
  })).filter((s) => s.values.some((v) => v > 0));
  const overdue = data.overdue.reduce((s, c) => s + c.items, 0n);
  const held = data.overdue.reduce((s, c) => s + c.held, 0n) + data.counts.reduce((s, c) => s + c.held, 0n);
  const total = data.counts.reduce((s, c) => s + c.items, 0n);
  return (
    <>
      <div class="muted small" data-testid="expiry-totals">{total.toString()} items expire in the next {data.days} days · {overdue.toString()} overdue · {held.toString()} held</div>
      {series.length === 0 ? <Empty>Nothing expires in the next {data.days} days.</Empty>
        : <BarChart labels={days.map((d) => d.slice(5))} series={series} unit="items" testid="expiry-chart" />}
    </>
  );
}

const SCOPES: [HoldScope, string][] = [
  [HoldScope.ORGANIZATION, "Whole organisation"],
  [HoldScope.CAMPAIGN, "Campaign"],
  [HoldScope.CONTACT, "Contact"],
  [HoldScope.CALL, "Call"],
];

function Holds() {
  const [released, setReleased] = useState(false);
  const holds = useLoad(() => api.retention.listLegalHolds({ includeReleased: released, pageSize: 200 }), [released]);
  const [d, setD] = useState({ scope: HoldScope.CALL, resourceId: "", reason: "" });
  const place = useAction();
  const release = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (await place.run(() => api.retention.placeLegalHold(d))) {
      setD({ ...d, resourceId: "", reason: "" });
      holds.reload();
    }
  };
  return (
    <Card title="Legal holds" actions={<label class="check"><input type="checkbox" checked={released} onChange={(e) => setReleased(e.currentTarget.checked)} /> show released</label>}>
      <p class="hint">Nothing in a standing hold's scope is deleted — not by retention, not by purges of deleted items. Placing and releasing holds needs the admin role.</p>
      <ErrorBanner error={holds.error} />
      {!holds.data ? <Loading /> : holds.data.holds.length === 0 ? <Empty>No {released ? "" : "standing "}holds.</Empty> : (
        <table class="table" data-testid="holds-table">
          <thead><tr><th>Scope</th><th>Resource</th><th>Reason</th><th>Placed</th><th>State</th><th /></tr></thead>
          <tbody>
            {holds.data.holds.map((h) => (
              <tr>
                <td>{enumLabel(HoldScope[h.scope], "")}</td>
                <td class="mono">{h.resourceId}</td>
                <td>{h.reason}</td>
                <td>{when(h.placeTime)}</td>
                <td>{h.active ? <Badge kind="state-running">standing</Badge> : <span class="muted">released {when(h.releaseTime)}{h.releaseReason ? `: ${h.releaseReason}` : ""}</span>}</td>
                <td>{h.active && <button class="link danger" disabled={release.busy} onClick={async () => {
                  const reason = window.prompt("Why is the hold released?") ?? "";
                  if (reason && await release.run(() => api.retention.releaseLegalHold({ id: h.id, reason }))) holds.reload();
                }}>Release</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorBanner error={release.error} title="Not released" />
      <form class="inline-form wide" onSubmit={submit} data-testid="hold-form">
        <Field label="Scope">
          <select name="scope" value={d.scope} onChange={(e) => setD({ ...d, scope: Number(e.currentTarget.value) })}>
            {SCOPES.map(([s, label]) => <option value={s}>{label}</option>)}
          </select>
        </Field>
        <Field label="Resource id" field="resource_id" error={place.error}>
          <input name="resourceId" disabled={d.scope === HoldScope.ORGANIZATION} value={d.resourceId} onInput={(e) => setD({ ...d, resourceId: e.currentTarget.value })} />
        </Field>
        <Field label="Reason" field="reason" error={place.error}>
          <input name="reason" placeholder="Matter 2024-117" value={d.reason} onInput={(e) => setD({ ...d, reason: e.currentTarget.value })} />
        </Field>
        <button type="submit" disabled={place.busy}>Place hold</button>
      </form>
      <ErrorBanner error={place.error} title="Hold not placed" />
    </Card>
  );
}
