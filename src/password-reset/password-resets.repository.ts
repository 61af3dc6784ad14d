import type { Db } from '../db/database';
import type { User } from '../users/user';
import { toUser, USER_COLUMNS } from '../users/users.repository';

export async function insertPasswordReset(
  db: Db,
  input: { userId: number; tokenHash: string; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('password_resets')
    .values({
      user_id: input.userId,
      token_hash: input.tokenHash,
      created_at: input.now.toISOString(),
      expires_at: input.expiresAt.toISOString(),
    })
    .execute();
}

/** The user a token resets, while the token is unused and unexpired. */
export async function findUserByUsableReset(
  db: Db,
  tokenHash: string,
  now: Date,
): Promise<User | undefined> {
  const row = await db
    .selectFrom('password_resets')
    .innerJoin('users', 'users.id', 'password_resets.user_id')
    .select(USER_COLUMNS)
    .where('password_resets.token_hash', '=', tokenHash)
    .where('password_resets.used_at', 'is', null)
    .where('password_resets.expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return row && toUser(row);
}

/**
 * Marks the token used, in one conditional statement, and returns its user id:
 * of two concurrent submissions of one link, exactly one gets it.
 */
export async function consumePasswordReset(
  db: Db,
  tokenHash: string,
  now: Date,
): Promise<number | undefined> {
  const stamp = now.toISOString();
  const row = await db
    .updateTable('password_resets')
    .set({ used_at: stamp })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', stamp)
    .returning('user_id')
    .executeTakeFirst();
  return row?.user_id;
}

/** Voids every outstanding link of a user: a password change by any route ends them. */
export async function voidPasswordResets(db: Db, userId: number, now: Date): Promise<void> {
  await db
    .updateTable('password_resets')
    .set({ used_at: now.toISOString() })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .execute();
}

/** Removes links that expired more than a day ago (the purger calls this). */
export async function deleteStalePasswordResets(db: Db, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - 86_400_000).toISOString();
  const result = await db
    .deleteFrom('password_resets')
    .where('expires_at', '<', cutoff)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
