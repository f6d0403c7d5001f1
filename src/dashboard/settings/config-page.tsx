import type { BackupFileInfo } from '../../services/backup/schedule.ts';
import type { ApplyResult } from '../../services/config-file/apply.ts';
import { Check } from '../shared/controls.tsx';
import { Csrf, ErrorSummary, Layout, type PageMeta, TextField } from '../shared/layout.tsx';

/**
 * Configuration as code and backups in the dashboard (docs/config-file.md): export, paste a file → its plan →
 * confirm; the backup schedule and the backups to download.
 */
export function ConfigPage({
  meta: m,
  backups,
  schedule,
  content = '',
  prune = false,
  plan,
  errors,
}: {
  meta: PageMeta;
  backups: BackupFileInfo[];
  schedule: { backup_interval_hours: number; backup_keep: number };
  content?: string;
  prune?: boolean;
  plan?: ApplyResult | undefined;
  errors?: string[] | undefined;
}) {
  return (
    <Layout meta={m}>
      <h1>Configuration and backups</h1>
      <section class="card" aria-labelledby="export-h">
        <h2 id="export-h">Export</h2>
        <p>
          The whole configuration as one file, to keep in version control or apply to another server:{' '}
          <a href="/api/v1/config/export?format=yaml" download="gatehouse.yaml">
            YAML
          </a>{' '}
          or{' '}
          <a href="/api/v1/config/export?format=json" download="gatehouse.json">
            JSON
          </a>{' '}
          (without private keys and password hashes; the CLI's <span class="mono">--with-secrets</span> adds them).
        </p>
      </section>
      <section class="card" aria-labelledby="apply-h">
        <h2 id="apply-h">Apply a file</h2>
        <form method="post" action="/settings/config/plan">
          <Csrf token={m.csrf} />
          <ErrorSummary summary={errors?.length ? errors.join('\n') : undefined} />
          <label for="config-content">The file (YAML or JSON, version 1)</label>
          <textarea id="config-content" name="content" rows={14} class="mono" required>
            {content}
          </textarea>
          <Check name="prune" label="Delete what the file leaves out (prune)" on={prune} />
          <button type="submit">Show the plan</button>
        </form>
        {plan ? (
          <div aria-live="polite">
            <h3>Plan</h3>
            <pre class="mono">{plan.text}</pre>
            {plan.entries.length > 0 ? (
              <form method="post" action="/settings/config/apply">
                <Csrf token={m.csrf} />
                <input type="hidden" name="content" value={content} />
                {prune ? <input type="hidden" name="prune" value="on" /> : null}
                <p class="muted">Applying plans again in one transaction: what is applied is shown afterwards.</p>
                <button type="submit">Apply this plan</button>
              </form>
            ) : null}
          </div>
        ) : null}
      </section>
      <section class="card" aria-labelledby="backups-h">
        <h2 id="backups-h">Backups</h2>
        <form method="post" action="/settings/config/backups">
          <Csrf token={m.csrf} />
          <TextField
            name="backup_interval_hours"
            label="Back up every … hours (0: off)"
            value={schedule.backup_interval_hours}
            inputmode="numeric"
            hint="Into the data dir, encrypted with GATEHOUSE_BACKUP_PASSPHRASE (or _FILE) from the environment."
          />
          <TextField name="backup_keep" label="Keep the newest" value={schedule.backup_keep} inputmode="numeric" />
          <button type="submit">Save</button>
        </form>
        {backups.length === 0 ? (
          <p class="muted">No scheduled backups yet. `gatehouse backup FILE` takes one at any time.</p>
        ) : (
          <ul>
            {backups.map((b) => (
              <li>
                <a href={`/api/v1/backups/${b.name}`} download={b.name}>
                  {b.name}
                </a>{' '}
                <span class="muted">({Math.ceil(b.bytes / 1024)} KiB)</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </Layout>
  );
}
