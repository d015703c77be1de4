import { useState } from "preact/hooks";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { api } from "../api";
import { GetUsageRequest_Granularity } from "../gen/switchboard/v1/usage_pb";
import { BarChart, formatNumber } from "../charts";
import { Card, ErrorBanner, Loading, Page, Stat, tsDate, useLoad } from "../ui";

const DAY = 86400000;

export function UsagePage() {
  const [days, setDays] = useState(30);
  const usage = useLoad(() => {
    const end = new Date(Math.floor(Date.now() / DAY) * DAY + DAY); // the end of today, UTC
    const start = new Date(end.getTime() - days * DAY);
    return api.usage.getUsage({ startTime: timestampFromDate(start), endTime: timestampFromDate(end), granularity: GetUsageRequest_Granularity.DAY });
  }, [days]);
  const u = usage.data;
  const minutes = (ms: bigint) => Number(ms) / 60000;
  return (
    <Page title="Usage" subtitle="Metered call time, transcription and LLM tokens by UTC day."
      actions={<select value={days} onChange={(e) => setDays(Number(e.currentTarget.value))} name="days">
        <option value={7}>Last 7 days</option>
        <option value={30}>Last 30 days</option>
        <option value={90}>Last 90 days</option>
      </select>}>
      <ErrorBanner error={usage.error} />
      {!u ? <Loading /> : (
        <>
          <div class="stats card" data-testid="usage-totals">
            <Stat label="calls" value={u.totals?.calls.toString() ?? "0"} />
            <Stat label="call minutes" value={formatNumber(minutes(u.totals?.callMilliseconds ?? 0n))} />
            <Stat label="billable minutes" value={u.totals?.billableCallMinutes.toString() ?? "0"} />
            <Stat label="transcribed minutes" value={formatNumber(minutes(u.totals?.transcribedMilliseconds ?? 0n))} />
            <Stat label="LLM tokens in / out" value={`${formatNumber(Number(u.totals?.llmInputTokens ?? 0n))} / ${formatNumber(Number(u.totals?.llmOutputTokens ?? 0n))}`} />
          </div>
          <Card title="Call minutes by day">
            <BarChart testid="usage-chart" unit="min"
              labels={u.buckets.map((b) => (tsDate(b.startTime)?.toISOString() ?? "").slice(5, 10))}
              series={[
                { name: "call minutes", color: "#4f6bed", values: u.buckets.map((b) => minutes(b.totals?.callMilliseconds ?? 0n)) },
              ]} />
          </Card>
          <Card title="Transcribed minutes by day">
            <BarChart unit="min" labels={u.buckets.map((b) => (tsDate(b.startTime)?.toISOString() ?? "").slice(5, 10))}
              series={[{ name: "transcribed", color: "#2bb3a3", values: u.buckets.map((b) => minutes(b.totals?.transcribedMilliseconds ?? 0n)) }]} />
          </Card>
        </>
      )}
    </Page>
  );
}
