import type { Request } from 'express';

/**
 * The client's address (from the socket unless `trust proxy` says otherwise)
 * and browser. The shape is the events feature's RequestOrigin, spelled out
 * here because src/http/ imports no feature.
 */
export function requestOrigin(req: Request): { ip: string | null; userAgent: string | null } {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}
