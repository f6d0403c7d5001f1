import { formatBytes } from '../../shared/layout.tsx';

interface Point {
  at: string;
  rx_bytes: number;
  tx_bytes: number;
}

/** Traffic per interval as two lines in inline SVG: no chart library, no script, readable by screen readers. */
export function TrafficChart({ points, intervalSeconds }: { points: Point[]; intervalSeconds: number }) {
  if (points.length < 2) {
    return (
      <p class="muted">Not enough samples yet for a chart (one every {intervalSeconds} s while WireGuard runs).</p>
    );
  }
  const W = 640;
  const H = 180;
  const pad = { l: 56, r: 8, t: 10, b: 22 };
  const max = Math.max(1, ...points.map((p) => Math.max(p.rx_bytes, p.tx_bytes)));
  const x = (i: number) => pad.l + (i * (W - pad.l - pad.r)) / (points.length - 1);
  const y = (v: number) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const line = (key: 'rx_bytes' | 'tx_bytes') =>
    points.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
  const total = (key: 'rx_bytes' | 'tx_bytes') => points.reduce((s, p) => s + p[key], 0);
  const first = new Date(points[0]!.at);
  const last = new Date(points.at(-1)!.at);
  const hhmm = (d: Date) => d.toISOString().slice(11, 16);
  const label = `Traffic from ${hhmm(first)} to ${hhmm(last)} UTC: received ${formatBytes(total('rx_bytes'))}, sent ${formatBytes(total('tx_bytes'))}; peak ${formatBytes(max)} per ${intervalSeconds} s.`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        <line class="axis" x1={pad.l} y1={H - pad.b} x2={W - pad.r} y2={H - pad.b} />
        <line class="axis" x1={pad.l} y1={pad.t} x2={pad.l} y2={H - pad.b} />
        <text x={pad.l - 6} y={pad.t + 8} text-anchor="end">
          {formatBytes(max)}
        </text>
        <text x={pad.l - 6} y={H - pad.b} text-anchor="end">
          0
        </text>
        <text x={pad.l} y={H - 6}>
          {hhmm(first)}
        </text>
        <text x={W - pad.r} y={H - 6} text-anchor="end">
          {hhmm(last)} UTC
        </text>
        <polyline class="rx" points={line('rx_bytes')} />
        <polyline class="tx" points={line('tx_bytes')} />
      </svg>
      <figcaption class="legend">
        <span>
          <span class="swatch rx" aria-hidden="true"></span>received (from the peer)
        </span>
        <span>
          <span class="swatch tx" aria-hidden="true"></span>sent (to the peer)
        </span>
      </figcaption>
    </figure>
  );
}
