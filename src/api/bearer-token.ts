import type { Request } from 'express';

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), if well-formed. */
export function readBearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
  return match?.[1];
}
