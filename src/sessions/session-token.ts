import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../clock';

export interface SessionClaims {
  userId: number;
  sessionId: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface SessionTokens {
  sign(claims: { userId: number; sessionId: string; expiresAt: Date }): string;
  /** The claims of a genuine, unexpired token; null for anything else. */
  verify(token: string): Readonly<SessionClaims> | null;
}

const ISSUER = 'gatehouse';
const AUDIENCE = 'gatehouse';
/** Our tokens are ~250 bytes; refusing big ones early keeps parsing cheap. */
const MAX_TOKEN_LENGTH = 1024;
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
/**
 * How many verified tokens are remembered. A browser sends the same cookie on
 * every request until the session rolls, so the HMAC, the JSON parsing and the
 * claim checks (7 % of a private page's CPU) need doing once per token,
 * not once per request. Only genuine tokens enter; expiry is checked on every
 * use; the session row is still read on every request, so revocation is as
 * immediate as before. About 1 KiB per entry.
 */
const VERIFIED_TOKENS_KEPT = 1000;

/** The one module that signs and verifies session JWTs (HS256, pinned). */
export function createSessionTokens(secret: string, clock: Clock): SessionTokens {
  // A KeyObject made once: jsonwebtoken re-derives a key from a string secret
  // on every call, which costs ~50x more per request.
  const key: KeyObject = createSecretKey(Buffer.from(secret, 'utf8'));
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  // Each token's expiry is kept as a number beside its claims: a caller that
  // changed the returned Date could not stretch the token's life. Map order
  // is use order (an entry is moved to the end on each hit), so the least
  // recently used token is the one forgotten.
  const verified = new Map<string, { claims: Readonly<SessionClaims>; exp: number }>();

  function remember(token: string, claims: Readonly<SessionClaims>): void {
    if (verified.size >= VERIFIED_TOKENS_KEPT) {
      const leastRecent = verified.keys().next().value;
      if (leastRecent !== undefined) verified.delete(leastRecent);
    }
    verified.set(token, { claims, exp: claims.expiresAt.getTime() / 1000 });
  }

  return {
    sign({ userId, sessionId, expiresAt }) {
      const payload = {
        sub: String(userId),
        sid: sessionId,
        iat: nowSeconds(),
        exp: Math.floor(expiresAt.getTime() / 1000),
      };
      return jwt.sign(payload, key, { algorithm: 'HS256', issuer: ISSUER, audience: AUDIENCE });
    },
    verify(token) {
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
      const known = verified.get(token);
      if (known) {
        verified.delete(token);
        // The same rule as jsonwebtoken's: expired once now reaches exp.
        if (nowSeconds() >= known.exp) return null;
        verified.set(token, known);
        return known.claims;
      }
      let payload: string | jwt.JwtPayload;
      try {
        payload = jwt.verify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          clockTimestamp: nowSeconds(),
        });
      } catch {
        return null;
      }
      const claims = toClaims(payload);
      if (claims) remember(token, Object.freeze(claims));
      return claims;
    },
  };
}

function toClaims(payload: string | jwt.JwtPayload): SessionClaims | null {
  if (typeof payload === 'string') return null;
  const { sub, sid, iat, exp } = payload;
  if (typeof sub !== 'string' || !/^[1-9]\d{0,15}$/.test(sub)) return null;
  if (typeof sid !== 'string' || !SESSION_ID_PATTERN.test(sid)) return null;
  if (typeof iat !== 'number' || typeof exp !== 'number') return null;
  return {
    userId: Number(sub),
    sessionId: sid,
    issuedAt: new Date(iat * 1000),
    expiresAt: new Date(exp * 1000),
  };
}
