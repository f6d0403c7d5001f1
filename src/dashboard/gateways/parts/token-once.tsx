/** The agent command with a new token, shown once after a create or a rotation. */
export interface CreatedToken {
  name: string;
  command: string;
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
      <pre class="command" id="agent-command">
        {created.command}
      </pre>
      {created.peerId ? (
        <p>
          The WireGuard config for the gateway machine: <a href={`/peers/${created.peerId}`}>its peer page</a>.
        </p>
      ) : null}
    </div>
  );
}
