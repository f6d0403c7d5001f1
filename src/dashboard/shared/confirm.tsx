import type { Context } from 'hono';
import { type Form, str } from './forms.ts';
import { Csrf, Layout, type PageMeta } from './layout.tsx';
import { redirect } from './session.ts';

/** The hidden field only the confirm page's form carries; a destructive POST without it changes nothing. */
export const CONFIRM_FIELD = 'confirmed';

export const isConfirmed = (form: Form) => str(form, CONFIRM_FIELD) === 'yes';

/**
 * A destructive POST that did not come from the confirm page (an old bookmark, a stray script, a button
 * without the step): nothing happens, the browser is sent to the confirm page (same path, GET) instead.
 */
export const toConfirmPage = (c: Context) => redirect(c, c.req.path);

/** `n` things, with the noun in the plural when it is not one: "1 route", "3 routes". */
export const count = (n: number, noun: string, plural = `${noun}s`) => `${n} ${n === 1 ? noun : plural}`;

/**
 * "Are you sure?" as a page of its own: what the action cuts (computed on the server, so the counts are
 * real), and one form that POSTs the action with the CSRF token and the confirm field. When `blocked` is
 * given the action cannot succeed (a gateway still in use): the page says why and offers no button.
 */
export function ConfirmPage(props: {
  meta: PageMeta;
  action: string;
  /** The button's words, e.g. "Delete home-office". */
  verb: string;
  consequences: string[];
  cancelHref: string;
  blocked?: string | undefined;
}) {
  const { meta: m } = props;
  return (
    <Layout meta={m}>
      <h1>{m.title}</h1>
      <section class="card confirm" aria-labelledby="confirm-h">
        <h2 id="confirm-h">What this cuts</h2>
        <ul class="consequences">
          {props.consequences.map((line) => (
            <li>{line}</li>
          ))}
        </ul>
        {props.blocked ? (
          <>
            <p class="error-summary" role="alert">
              {props.blocked}
            </p>
            <p>
              <a href={props.cancelHref}>Back</a>
            </p>
          </>
        ) : (
          <form method="post" action={props.action} class="form-actions">
            <Csrf token={m.csrf} />
            <input type="hidden" name={CONFIRM_FIELD} value="yes" />
            <button type="submit" class="danger">
              {props.verb}
            </button>
            <a href={props.cancelHref}>Cancel</a>
          </form>
        )}
      </section>
    </Layout>
  );
}
