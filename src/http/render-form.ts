import type { Request, Response } from 'express';
import { toErrorSummary, type FieldErrors } from './form-fields';

/**
 * Renders a page holding a form: adds the CSRF token and the error summary
 * every form page shows. Values re-shown to the person never include a password.
 */
export function renderForm(
  req: Request,
  res: Response,
  view: string,
  locals: { title: string; errors?: FieldErrors; formError?: string; [key: string]: unknown },
): void {
  const errors = locals.errors ?? {};
  res.render(view, {
    ...locals,
    csrfToken: req.csrfToken(),
    errors,
    errorSummary: toErrorSummary(errors),
  });
}
