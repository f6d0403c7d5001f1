import { Select } from '../../shared/controls.tsx';
import { type Form, type FormErrors, str } from '../../shared/forms.ts';
import { describedBy, FieldError, TextField } from '../../shared/layout.tsx';

/**
 * Step 3: what the public server listens on. After a port conflict the port field offers the nearest free
 * port as a button ("Use 20001"), which submits the form with `use_port`.
 */
export function ListenerFieldset({ v, errors }: { v: Form; errors?: FormErrors | undefined }) {
  const e = errors?.fields ?? {};
  const suggestion = errors?.suggestedPort;
  return (
    <fieldset>
      <legend>3 · Listener</legend>
      <div class="cols">
        <Select
          class="l4-only"
          name="l4_protocol"
          label="Protocol"
          value={str(v, 'l4_protocol') || 'tcp'}
          error={e.l4_protocol}
          options={[
            ['tcp', 'TCP'],
            ['udp', 'UDP'],
          ]}
        />
        <div class={`field l4-only ${e.l4_listen_port ? 'has-error' : ''}`}>
          <label for="l4_listen_port">Listen port or range</label>
          <input
            id="l4_listen_port"
            name="l4_listen_port"
            value={str(v, 'l4_listen_port')}
            placeholder="3389 or 2000-2099"
            aria-invalid={e.l4_listen_port ? 'true' : undefined}
            aria-describedby={describedBy('l4_listen_port', e.l4_listen_port, true)}
          />
          <p class="hint" id="l4_listen_port-hint">
            On the public server; a range maps 1:1 onto the target ports.
          </p>
          <FieldError id="l4_listen_port" error={e.l4_listen_port} />
          {suggestion ? (
            <p class="suggest">
              <span>
                Free nearby: {suggestion}
                {errors?.conflictRouteId ? (
                  <>
                    {' '}
                    (taken by <a href={`/routes/${errors.conflictRouteId}`}>route {errors.conflictRouteId}</a>)
                  </>
                ) : null}
              </span>
              <button type="submit" name="use_port" value={suggestion} class="small" formnovalidate>
                Use {suggestion}
              </button>
            </p>
          ) : null}
        </div>
        <Select
          class="l4-only"
          name="l4_tls_mode"
          label="TLS mode"
          value={str(v, 'l4_tls_mode') || 'none'}
          error={e.l4_tls_mode}
          options={[
            ['none', 'None (byte stream)'],
            ['passthrough', 'Passthrough (route by SNI)'],
            ['terminate', 'Terminate on the server'],
          ]}
        />
        <TextField
          class="needs-domain"
          name="domain"
          label="Domain"
          value={str(v, 'domain')}
          error={e.domain}
          placeholder="app.example.com"
          hint="HTTP routes, and L4 routes with TLS (the SNI name)"
        />
        <Select
          class="l4-only"
          name="proxy_protocol"
          label="PROXY protocol to the target"
          value={str(v, 'proxy_protocol') || 'none'}
          error={e.proxy_protocol}
          options={[
            ['none', 'Off'],
            ['v1', 'v1'],
            ['v2', 'v2'],
          ]}
        />
      </div>
    </fieldset>
  );
}
