/**
 * The one vocabulary for errors that deserve a particular answer: each knows
 * its HTTP status, a stable code for JSON clients and, when waiting helps, how
 * long to wait (Retry-After). Services throw subclasses named for what went
 * wrong (InvalidCredentialsError); the error handlers answer any of them from
 * these fields alone, so they never need to know the subclasses.
 */
export class HttpError extends Error {
  readonly retryAfterSeconds: number | undefined;
  /** Extra values the error page may show (e.g. per-field messages). */
  readonly details: Record<string, unknown>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: { retryAfterSeconds?: number; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details ?? {};
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new HttpError(400, 'bad_request', message, { details });
export const notFound = (message = 'There is no page at this address.') =>
  new HttpError(404, 'not_found', message);
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
