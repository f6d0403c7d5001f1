/**
 * The data plane's own series out of Caddy's admin `/metrics` text (Prometheus text format): only the families
 * named `gatehouse_*` (decisions by route and reason, snapshot version, routes, swap durations, L4 connections,
 * UDP sessions dropped, TLS names refused; caddy-module/metrics.go), HELP/TYPE lines included. Caddy's own and
 * Go's runtime series stay on Caddy's socket. A family our registry also has would be a duplicate, and ours
 * are all `gatehouse_cp_*`, so there is none.
 */
export function dataPlaneSeries(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const name = line.slice(7).split(' ', 1)[0] ?? '';
      if (name.startsWith('gatehouse_') && !name.startsWith('gatehouse_cp_')) out.push(line);
      continue;
    }
    if (line.startsWith('gatehouse_') && !line.startsWith('gatehouse_cp_')) out.push(line);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
