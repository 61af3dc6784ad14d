import type { Db } from '../db/database';
import { voidPasswordResets } from '../password-reset/password-resets.repository';
import { terminateAllSessionsOf } from '../sessions/sessions.service';
import { updatePasswordHash } from '../users/users.repository';

/**
 * What every route that sets a new password does (account page, reset link,
 * admin CLI): store the hash, end every session (a thief's included) and void
 * every outstanding reset link. Run it inside the caller's transaction.
 * Returns how many sessions ended.
 */
export async function replacePassword(
  trx: Db,
  userId: number,
  passwordHash: string,
  now: Date,
): Promise<number> {
  await updatePasswordHash(trx, userId, passwordHash, now);
  await voidPasswordResets(trx, userId, now);
  return terminateAllSessionsOf(trx, userId);
}
