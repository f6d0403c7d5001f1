import { CopyButton } from '../../shared/copy.tsx';
import type { AgentServerUrl } from '../agent-url.ts';

/** The agent command with a new token, shown once after a create or a rotation. */
export interface CreatedToken {
  name: string;
  command: string;
  /** Whether the command's --server is reachable from the LAN box (see agent-url.ts). */
  reach?: AgentServerUrl['reach'];
  fix?: string | undefined;
  peerId: number | null;
}

export function TokenOnce({ created }: { created?: CreatedToken | undefined }) {
  if (!created) return null;
  return (
    <div class="once" role="status">
      <p>
        <strong>Agent token for “{created.name}”.</strong> Copy the command now: the token is shown only this once. Run
        it on a machine in the LAN{created.peerId ? ' that has the gateway peer’s WireGuard tunnel up' : ''}:
      </p>
      <div class="copyable">
        <pre class="command" id="agent-command">
          {created.command}
        </pre>
        <CopyButton target="agent-command" label="Copy command" />
      </div>
      {created.reach === 'local' ? (
        <p class="warn-note" id="agent-url-note">
          <strong>This server address works only on this machine.</strong> {created.fix}
        </p>
      ) : null}
      {created.peerId ? (
        <p>
          The WireGuard config for the gateway machine: <a href={`/peers/${created.peerId}`}>its peer page</a>.
        </p>
      ) : null}
    </div>
  );
}
