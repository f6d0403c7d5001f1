import type { PublicGateway } from '../../../schemas/gateways.ts';
import { ago, Badge } from '../../shared/layout.tsx';

/** A gateway's state in table cells; the live stream re-renders exactly these (see live.tsx). */
export const StatusCell = ({ g }: { g: PublicGateway }) => (
  <>
    {g.online ? <Badge tone="ok">online</Badge> : <Badge tone={g.last_seen_at ? 'bad' : 'muted'}>offline</Badge>}{' '}
    <AgentBadge g={g} />
  </>
);
/** The agent's release; an outdated one is flagged with where the update steps are (docs/gateway-agent.md). */
export const AgentBadge = ({ g }: { g: PublicGateway }) => {
  if (g.agent_protocol === null) return null;
  const name = g.agent_version ? `agent ${g.agent_version}` : `agent before 0.2.0 (protocol ${g.agent_protocol})`;
  return g.agent_outdated ? (
    <span title="This agent is older than the one this server ships: see docs/gateway-agent.md, Updating an agent">
      <Badge tone="warn">{name}: update</Badge>
    </span>
  ) : (
    <span class="muted">{name}</span>
  );
};
export const SeenCell = ({ g }: { g: PublicGateway }) => <>{g.online ? 'now' : ago(g.last_seen_at)}</>;
export const ConfigCell = ({ g }: { g: PublicGateway }) => (
  <>
    {g.applied_version ?? '—'} / {g.current_version}{' '}
    {g.drift ? <Badge tone={g.online ? 'warn' : 'muted'}>behind</Badge> : <Badge tone="ok">current</Badge>}
  </>
);
export const HealthCell = ({ g }: { g: PublicGateway }) => {
  const failed = g.listeners.filter((l) => l.state === 'failed').length;
  const down = g.targets.filter((t) => !t.reachable).length;
  if (!g.listeners.length && !g.targets.length) return <span class="muted">no routes reported</span>;
  return failed || down ? (
    <Badge tone="bad">
      {failed} listener(s) failed, {down} target(s) down
    </Badge>
  ) : (
    <Badge tone="ok">
      {g.listeners.length} listening, {g.targets.length} reachable
    </Badge>
  );
};
