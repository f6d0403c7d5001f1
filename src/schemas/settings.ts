import { z } from '@hono/zod-openapi';

/** The settings an admin changes at run time (stored in the `settings` table); the rest come from the environment. */
export const UpdateSettingsSchema = z
  .strictObject({
    api_docs_public: z.boolean({ message: 'must be true or false' }).optional().openapi({
      description: 'true: /api/v1/docs and /api/v1/openapi.json are public; false (default): they need a login',
    }),
  })
  .refine((v) => Object.keys(v).length > 0, 'give at least one setting to change')
  .openapi('UpdateSettings');

export type UpdateSettingsInput = z.infer<typeof UpdateSettingsSchema>;
