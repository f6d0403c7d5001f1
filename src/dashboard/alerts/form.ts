import { type Form, str } from '../shared/forms.ts';

/** The write-only field each kind keeps sealed, as the form names it. */
export const SECRET_FIELD: Record<string, string> = {
  webhook: 'secret',
  ntfy: 'token',
  gotify: 'token',
  email: 'password',
};

const splitList = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const num = (v: string, fallback: number | undefined) => (v === '' ? fallback : Number(v));

/**
 * The channel form → the API's config object for its kind. Only the kind's own fields are taken; an empty
 * secret field is left out (on an edit that keeps the stored secret). Validation is the API schema's.
 */
export function configFromForm(form: Form): Record<string, unknown> {
  const kind = str(form, 'kind');
  const secret = str(form, 'secret');
  const withSecret = (o: Record<string, unknown>) => (secret ? { ...o, [SECRET_FIELD[kind] ?? 'secret']: secret } : o);
  switch (kind) {
    case 'webhook':
      return withSecret({ kind, url: str(form, 'url') });
    case 'ntfy':
      return withSecret({
        kind,
        url: str(form, 'url'),
        ...(str(form, 'title_prefix') ? { title_prefix: str(form, 'title_prefix') } : {}),
        ...(str(form, 'priority') ? { priority: num(str(form, 'priority'), undefined) } : {}),
        ...(str(form, 'tags') ? { tags: splitList(str(form, 'tags')) } : {}),
      });
    case 'gotify':
      return withSecret({
        kind,
        url: str(form, 'url'),
        ...(str(form, 'priority') ? { priority: num(str(form, 'priority'), undefined) } : {}),
      });
    case 'email':
      return withSecret({
        kind,
        host: str(form, 'host'),
        port: num(str(form, 'port'), 587),
        tls: str(form, 'tls') || 'starttls',
        ...(str(form, 'user') ? { user: str(form, 'user') } : {}),
        from: str(form, 'from'),
        to: splitList(str(form, 'to')),
      });
    default:
      return { kind };
  }
}

/** A stored channel's config → the form's values. */
export function formFromConfig(name: string, kind: string, config: Record<string, unknown>): Form {
  const out: Form = { name, kind };
  for (const [k, v] of Object.entries(config)) {
    if (k === 'kind') continue;
    out[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
  }
  return out;
}
