import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { ZodError } from 'zod';
import { AppError, ValidationError } from '../../errors.ts';
import { fromZodError } from '../../http/errors.ts';
import { CreatePolicySchema, ExplainUnsavedPolicySchema, UpdatePolicySchema } from '../../schemas/policies.ts';
import { createPolicy } from '../../services/policies/create.ts';
import { explainUnsavedPolicy } from '../../services/policies/explain.ts';
import { getPolicy, listPolicies } from '../../services/policies/read.ts';
import { removePolicy } from '../../services/policies/remove.ts';
import { updatePolicy } from '../../services/policies/update.ts';
import { isConfirmed, toConfirmPage } from '../shared/confirm.tsx';
import { type Form, str } from '../shared/forms.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { confirmPolicyDelete } from './confirm.tsx';
import { applyOp, type Draft, draftToPolicy, errorKey, newDraft, policyToDraft, readDraft } from './input.ts';
import { PolicyEditPage } from './pages/edit.tsx';
import { PoliciesPage } from './pages/list.tsx';
import type { ExplainOutcome, ExplainQuestion } from './parts/explain.tsx';
import type { EditorErrors } from './parts/rule-editor.tsx';

const policyId = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : 0);
const noQuestion: ExplainQuestion = { ip: '', at: '', method: '', path: '', kind: 'http' };
const readQuestion = (form: Form): ExplainQuestion => ({
  ip: str(form, 'explain.ip'),
  at: str(form, 'explain.at'),
  method: str(form, 'explain.method'),
  path: str(form, 'explain.path'),
  kind: str(form, 'explain.kind') === 'l4' ? 'l4' : 'http',
});

/** A thrown schema or service error → messages at the editor's inputs, and a summary for the rest. */
function editorErrors(err: unknown): { errors: EditorErrors; summary: string } {
  const error = err instanceof ZodError ? fromZodError(err) : err;
  if (error instanceof ValidationError) {
    const errors: EditorErrors = {};
    for (const issue of error.issues) {
      const key = errorKey(issue.field);
      errors[key] = errors[key] ? `${errors[key]}; ${issue.message}` : issue.message;
    }
    return { errors, summary: `Please correct the marked fields: ${error.message}` };
  }
  if (error instanceof AppError) {
    const field = typeof error.details?.field === 'string' ? error.details.field : undefined;
    return { errors: field ? { [field]: error.message } : {}, summary: error.message };
  }
  throw err;
}

/** The dashboard's policies: list with usage, create and edit (rules added, removed, reordered), explain, delete. */
export function policiesDashboard(session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();

  const editPage = async (
    c: Context<DashEnv>,
    id: number | undefined,
    state: {
      draft?: Draft;
      errors?: EditorErrors;
      summary?: string;
      question?: ExplainQuestion;
      outcome?: ExplainOutcome;
    },
    status: 200 | 422 = 200,
  ) => {
    const ctx = c.get('ctx');
    const saved = id ? await getPolicy({ ctx, input: { id } }) : undefined;
    const draft = state.draft ?? (saved ? policyToDraft(saved.policy, saved.name, saved.description) : newDraft());
    return page(
      c,
      <PolicyEditPage
        meta={meta(c, saved ? saved.name : 'New policy', '/policies')}
        action={id ? `/policies/${id}` : '/policies'}
        id={id}
        draft={draft}
        users={saved?.routes}
        errors={state.errors}
        summary={state.summary}
        question={state.question ?? noQuestion}
        outcome={state.outcome}
      />,
      status,
    );
  };

  const explain = async (c: Context<DashEnv>, draft: Draft, question: ExplainQuestion): Promise<ExplainOutcome> => {
    try {
      const input = ExplainUnsavedPolicySchema.parse({
        policy: draftToPolicy(draft),
        ip: question.ip,
        kind: question.kind,
        ...(question.at ? { at: question.at } : {}),
        ...(question.method ? { method: question.method } : {}),
        ...(question.path ? { path: question.path } : {}),
      });
      const answer = await explainUnsavedPolicy({ ctx: c.get('ctx'), input });
      return { ok: true, answer, policy: input.policy };
    } catch (err) {
      const { errors, summary } = editorErrors(err);
      const fields = Object.fromEntries(Object.entries(errors).filter(([k]) => !k.includes('.')));
      return { ok: false, message: summary, fields };
    }
  };

  /** One form, several buttons: `op=save` saves; `explain` asks the data plane; the rest edit the draft. */
  const submit = async (c: Context<DashEnv>, id: number | undefined) => {
    const form = await formOf(c);
    const op = str(form, 'op') || 'save';
    const draft = readDraft(form);
    const question = readQuestion(form);
    if (op === 'explain') return editPage(c, id, { draft, question, outcome: await explain(c, draft, question) });
    if (op !== 'save') return editPage(c, id, { draft: applyOp(draft, op), question });
    const ctx = c.get('ctx');
    try {
      const fields = { name: draft.name, description: draft.description, policy: draftToPolicy(draft) };
      if (id) {
        await updatePolicy({ ctx, input: { id, changes: UpdatePolicySchema.parse(fields) } });
        return redirect(c, `/policies/${id}?done=policy-saved`);
      }
      const created = await createPolicy({ ctx, input: CreatePolicySchema.parse(fields) });
      return redirect(c, `/policies/${created.id}?done=policy-created`);
    } catch (err) {
      return editPage(c, id, { draft, question, ...editorErrors(err) }, 422);
    }
  };

  app.get('/policies', session, async (c) => {
    const q = c.req.query('q')?.trim().slice(0, 64) || undefined;
    const result = await listPolicies({ ctx: c.get('ctx'), input: { q, limit: 500, offset: 0 } });
    return page(
      c,
      <PoliciesPage meta={meta(c, 'Policies')} policies={result.data} total={result.pagination.total} q={q} />,
    );
  });
  app.get('/policies/new', session, (c) => editPage(c, undefined, {}));
  app.post('/policies', session, (c) => submit(c, undefined));
  app.get('/policies/:id', session, (c) => editPage(c, policyId(c.req.param('id')), {}));
  app.post('/policies/:id', session, (c) => submit(c, policyId(c.req.param('id'))));
  app.get('/policies/:id/delete', session, (c) => confirmPolicyDelete(c, policyId(c.req.param('id'))));
  app.post('/policies/:id/delete', session, async (c) => {
    if (!isConfirmed(await formOf(c))) return toConfirmPage(c);
    await removePolicy({ ctx: c.get('ctx'), input: { id: policyId(c.req.param('id')) } });
    return redirect(c, '/policies?done=policy-deleted');
  });
  return app;
}
