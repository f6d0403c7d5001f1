import { describe, expect, it } from 'vitest';
import { rateChartSvg } from '../../src/dashboard/access-log/chart.ts';
import { filterQuery } from '../../src/dashboard/access-log/page.tsx';

describe('route rate charts', () => {
  it('draws one bar per non-empty bucket, scaled to the peak, with a readable title', () => {
    const at = new Date(0);
    const svg = rateChartSvg(
      [
        { at, requests: 10, denied: 2, bytes: 2_500_000 },
        { at, requests: 0, denied: 0, bytes: 0 },
        { at, requests: 5, denied: 0, bytes: 10 },
      ],
      'bytes',
      'hour',
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain('Bytes: 2.5 MB in the last hour');
    expect(rateChartSvg([], 'denied', 'hour')).toContain('Denials: 0');
  });
  it('filter links carry only set filters, encoded', () => {
    expect(filterQuery({ route: 3, rule: '#1 deny "x" & y', address: undefined, from: new Date(0) })).toBe(
      'route=3&rule=%231+deny+%22x%22+%26+y&from=1970-01-01T00%3A00%3A00.000Z',
    );
  });
});
