import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import {
  deleteLiveChallenge,
  findLiveChallengeUserId,
  insertLoginChallenge,
} from './two-step.repository';

/** How long a login waits for its code after the right password (OWASP: short). */
export const CHALLENGE_MINUTES = 5;
/** Longer cookie values are not ours: refused before hashing or a query. */
const MAX_TOKEN_LENGTH = 64;

export interface StartedChallenge {
  token: string;
  expiresAt: Date;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The half-done logins: the right password was given, the code not yet. The
 * browser holds a random 256-bit id in an HttpOnly cookie; the table holds
 * only its SHA-256, the user and the expiry. Without that cookie (another
 * browser) or after 5 minutes, there is nothing to finish.
 */
export function createLoginChallenges(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  const usable = (token: string | undefined): token is string =>
    token !== undefined && token.length > 0 && token.length <= MAX_TOKEN_LENGTH;

  return {
    async start(userId: number): Promise<StartedChallenge> {
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + CHALLENGE_MINUTES * 60_000);
      await insertLoginChallenge(db, { idHash: hashToken(token), userId, now, expiresAt });
      return { token, expiresAt };
    },

    /** The user a live challenge belongs to, or undefined. */
    async findUserId(token: string | undefined): Promise<number | undefined> {
      if (!usable(token)) return undefined;
      return findLiveChallengeUserId(db, hashToken(token), clock.now());
    },

    /** Ends a challenge: true for the one request that ended it while live. */
    async end(token: string): Promise<boolean> {
      return usable(token) && deleteLiveChallenge(db, hashToken(token), clock.now());
    },
  };
}

export type LoginChallenges = ReturnType<typeof createLoginChallenges>;
