import type { Request } from 'express';
import type { RequestOrigin } from '../events/auth-event';

/** The client's address (from the socket unless `trust proxy` says otherwise) and browser. */
export function requestOrigin(req: Request): RequestOrigin {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}
