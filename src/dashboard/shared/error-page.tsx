import type { ErrorHandler } from 'hono';
import { AppError } from '../../errors.ts';
import { statusOf } from '../../http/errors.ts';
import { Bare, Layout } from './layout.tsx';
import { meta, page } from './render.ts';
import type { DashEnv } from './session.ts';

/** Errors become pages (the API's JSON shape is for programs); 5xx details stay in the log. */
export const errorPage: ErrorHandler<DashEnv> = (err, c) => {
  const known = err instanceof AppError && err.code !== 'internal';
  if (!known) c.get('logger')?.error({ err, requestId: c.get('requestId') }, 'dashboard error');
  const status = known ? statusOf(err.code) : 500;
  const title = status === 404 ? 'Not found' : known ? 'Something is in the way' : 'Something went wrong';
  const message = known ? err.message : `An internal error occurred (request ${c.get('requestId')}).`;
  const body = (
    <>
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </>
  );
  return page(
    c,
    c.get('username') ? <Layout meta={meta(c, title)}>{body}</Layout> : <Bare title={title}>{body}</Bare>,
    status as 404,
  );
};
