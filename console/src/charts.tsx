// Hand-made SVG bar charts: stacked bars per category (days), a legend, and the value in each bar's tooltip.

export interface Series {
  name: string;
  color: string;
  values: number[];
}

export function BarChart(props: { labels: string[]; series: Series[]; unit?: string; height?: number; testid?: string }) {
  const height = props.height ?? 220;
  const pad = { top: 12, right: 12, bottom: 40, left: 48 };
  const n = props.labels.length;
  const width = Math.max(1000, n * 8 + pad.left + pad.right);
  const totals = props.labels.map((_, i) => props.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotH = height - pad.top - pad.bottom;
  const slot = (width - pad.left - pad.right) / Math.max(1, n);
  const barW = Math.max(4, Math.min(28, slot * 0.7));
  const y = (v: number) => pad.top + plotH - (max === 0 ? 0 : (v / max) * plotH);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const labelEvery = Math.ceil(n / 12);
  return (
    <figure class="chart" data-testid={props.testid}>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" preserveAspectRatio="xMinYMin meet">
        {ticks.map((t) => (
          <g>
            <line x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} class="grid" />
            <text x={pad.left - 6} y={y(t) + 4} class="axis" text-anchor="end">
              {formatNumber(t)}
            </text>
          </g>
        ))}
        {props.labels.map((label, i) => {
          let base = 0;
          const x = pad.left + i * slot + (slot - barW) / 2;
          return (
            <g>
              {props.series.map((s) => {
                const v = s.values[i] ?? 0;
                if (v <= 0) return null;
                const rect = (
                  <rect x={x} width={barW} y={y(base + v)} height={y(base) - y(base + v)} fill={s.color} rx={2}>
                    <title>{`${label} · ${s.name}: ${formatNumber(v)}${props.unit ? " " + props.unit : ""}`}</title>
                  </rect>
                );
                base += v;
                return rect;
              })}
              {i % labelEvery === 0 && (
                <text x={x + barW / 2} y={height - pad.bottom + 16} class="axis" text-anchor="middle">
                  {label}
                </text>
              )}
            </g>
          );
        })}
        <line x1={pad.left} x2={width - pad.right} y1={y(0)} y2={y(0)} class="baseline" />
      </svg>
      {props.series.length > 1 && (
        <figcaption class="legend">
          {props.series.map((s) => (
            <span>
              <i style={{ background: s.color }} /> {s.name}
            </span>
          ))}
        </figcaption>
      )}
    </figure>
  );
}

function niceMax(v: number): number {
  if (v <= 0) return 0;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function formatNumber(v: number): string {
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1).replace(/\.0$/, "") + "M";
  if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(1).replace(/\.0$/, "") + "k";
  if (Number.isInteger(v)) return v.toString();
  return Math.abs(v) < 1 ? v.toFixed(2).replace(/0$/, "") : v.toFixed(1);
}
