import type { RateBucket } from '../../services/access-log/rates.ts';

export type ChartMetric = 'requests' | 'denied' | 'bytes';

const W = 320;
const H = 80;
const TITLES: Record<ChartMetric, string> = { requests: 'Requests', denied: 'Denials', bytes: 'Bytes' };

function human(n: number, metric: ChartMetric): string {
  if (metric !== 'bytes') return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

/**
 * A small server-rendered SVG bar chart of one metric per bucket (no chart library, no script). Only numbers
 * and fixed words go into it, so nothing a client sent can reach the markup.
 */
export function rateChartSvg(buckets: RateBucket[], metric: ChartMetric, spanLabel: string): string {
  const values = buckets.map((b) => b[metric]);
  const max = Math.max(1, ...values);
  const total = values.reduce((a, b) => a + b, 0);
  const bw = W / Math.max(1, values.length);
  const bars = values
    .map((v, i) => {
      const h = v > 0 ? Math.max(1, Math.round((v / max) * (H - 20))) : 0; // a non-zero bucket stays visible
      return h > 0
        ? `<rect x="${(i * bw).toFixed(1)}" y="${H - h}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h}"/>`
        : '';
    })
    .join('');
  const title = `${TITLES[metric]}: ${human(total, metric)} in the last ${spanLabel} (peak ${human(max, metric)} per bucket)`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${title}">` +
    `<title>${title}</title>` +
    `<text x="2" y="12" font-family="sans-serif" font-size="11" fill="#444">${TITLES[metric]} · ${human(total, metric)} / ${spanLabel}</text>` +
    `<line x1="0" y1="${H - 0.5}" x2="${W}" y2="${H - 0.5}" stroke="#bbb"/>` +
    `<g fill="${metric === 'denied' ? '#b3261e' : '#1f6feb'}">${bars}</g></svg>`
  );
}
