import { ZodError } from 'zod';
import { AppError, ValidationError } from '../../errors.ts';
import { fromZodError } from '../../http/errors.ts';

/** What a form shows after a failed submit: a message per field, a summary, and a conflict's suggestion. */
export interface FormErrors {
  fields: Record<string, string>;
  summary?: string | undefined;
  suggestedPort?: string | undefined;
  conflictRouteId?: number | undefined;
}

export type Form = Record<string, string | string[]>;

export const str = (form: Form, key: string): string => {
  const v = form[key];
  return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
};
export const list = (form: Form, key: string): string[] => {
  const v = form[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};
/** Checkboxes post their value only when checked (a hidden "0" before them keeps the key present). */
export const checked = (form: Form, key: string): boolean =>
  list(form, key).includes('1') || list(form, key).includes('on');
export const optNumber = (form: Form, key: string): number | null => {
  const v = str(form, key);
  if (v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : Number.NaN;
};

/**
 * A thrown service or schema error → what the form shows. Field names are the API's (`l4_listen_port`,
 * `ip_filter_rules.2.value`), which are also the form's input names; a field the form does not show ends
 * up in the summary so nothing is silently lost.
 */
export function toFormErrors(err: unknown, shownFields: readonly string[] = []): FormErrors {
  const error = err instanceof ZodError ? fromZodError(err) : err;
  if (error instanceof ValidationError) {
    const fields: Record<string, string> = {};
    const other: string[] = [];
    for (const issue of error.issues) {
      // Rows of a list show their own errors (`ip_filter_rules.2.value`, `custom_headers.0.name`,
      // `upstreams.1.port`); other lists show one per field.
      const row = /^(ip_filter_rules|custom_headers|upstreams)\.\d+/.exec(issue.field);
      const rowShown = row !== null && (row[1] === 'ip_filter_rules' || shownFields.includes(row[1] ?? ''));
      const key = rowShown
        ? row?.[1] === 'ip_filter_rules'
          ? `${row[0]}.value`
          : issue.field
        : shownFields.includes(issue.field)
          ? issue.field
          : (shownFields.find((f) => issue.field.startsWith(`${f}.`)) ?? issue.field);
      if (shownFields.length && !shownFields.includes(key) && !rowShown) {
        other.push(`${issue.field}: ${issue.message}`);
        continue;
      }
      fields[key] = fields[key] ? `${fields[key]}; ${issue.message}` : issue.message;
    }
    return { fields, summary: other.length ? other.join('; ') : 'Please correct the marked fields.' };
  }
  if (error instanceof AppError && error.code === 'upstream_rejected' && shownFields.includes('l4_listen_port')) {
    // Caddy could not open the listen port (another process holds it): that belongs next to the port field.
    const listen = ((error.details?.data_plane_errors ?? []) as { path?: string; message?: string }[]).find((e) =>
      /\.l4\.ports\[\d+\]\.port$/.test(e.path ?? ''),
    );
    if (listen) {
      return {
        fields: { l4_listen_port: `the server cannot listen on this port: ${listen.message}` },
        summary: 'Please correct the marked fields.',
      };
    }
  }
  if (error instanceof AppError) {
    const d = error.details ?? {};
    const field = typeof d.field === 'string' ? d.field : undefined;
    return {
      fields: field ? { [field]: error.message } : {},
      summary: field ? 'Please correct the marked fields.' : error.message,
      suggestedPort: typeof d.suggested_port === 'string' ? d.suggested_port : undefined,
      conflictRouteId: typeof d.conflicting_route_id === 'number' ? d.conflicting_route_id : undefined,
    };
  }
  throw err;
}
