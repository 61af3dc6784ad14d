import type { Db } from '../db/database';

export interface StoredCredential {
  secretSealed: string;
  isEnabled: boolean;
}

export async function findCredential(
  db: Db,
  userId: number,
): Promise<StoredCredential | undefined> {
  const row = await db
    .selectFrom('two_step_credentials')
    .select(['secret_sealed', 'enabled_at'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row && { secretSealed: row.secret_sealed, isEnabled: row.enabled_at !== null };
}

/** Starts (or restarts) a setup: a pending secret, not yet in force. Never touches an enabled one. */
export async function savePendingCredential(
  db: Db,
  userId: number,
  secretSealed: string,
  now: Date,
): Promise<void> {
  await db
    .deleteFrom('two_step_credentials')
    .where('user_id', '=', userId)
    .where('enabled_at', 'is', null)
    .execute();
  await db
    .insertInto('two_step_credentials')
    .values({ user_id: userId, secret_sealed: secretSealed, created_at: now.toISOString() })
    .execute();
}

/** Puts the pending secret in force; false when there was none pending. */
export async function enableCredential(
  db: Db,
  userId: number,
  step: number,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('two_step_credentials')
    .set({ enabled_at: now.toISOString(), last_used_step: step })
    .where('user_id', '=', userId)
    .where('enabled_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Records `step` as used, in one conditional statement: of two requests with
 * the same code (or an older one), only the first gets true.
 */
export async function claimTotpStep(db: Db, userId: number, step: number): Promise<boolean> {
  const result = await db
    .updateTable('two_step_credentials')
    .set({ last_used_step: step })
    .where('user_id', '=', userId)
    .where('enabled_at', 'is not', null)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Turns two-step off: the secret, every recovery code and every waiting login go. */
export async function deleteTwoStep(db: Db, userId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('two_step_credentials')
    .where('user_id', '=', userId)
    .where('enabled_at', 'is not', null)
    .executeTakeFirst();
  await db.deleteFrom('two_step_credentials').where('user_id', '=', userId).execute();
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await db.deleteFrom('login_challenges').where('user_id', '=', userId).execute();
  return Number(result.numDeletedRows) === 1;
}

export async function replaceRecoveryCodes(
  db: Db,
  userId: number,
  codeHashes: readonly string[],
  now: Date,
): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await db
    .insertInto('recovery_codes')
    .values(
      codeHashes.map((hash) => ({
        user_id: userId,
        code_hash: hash,
        created_at: now.toISOString(),
      })),
    )
    .execute();
}

/** Marks an unused code of this user used, in one conditional statement; false if none. */
export async function consumeRecoveryCode(
  db: Db,
  userId: number,
  codeHash: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at: now.toISOString() })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function countRecoveryCodes(
  db: Db,
  userId: number,
): Promise<{ used: number; left: number }> {
  const rows = await db
    .selectFrom('recovery_codes')
    .select('used_at')
    .where('user_id', '=', userId)
    .execute();
  const used = rows.filter((row) => row.used_at !== null).length;
  return { used, left: rows.length - used };
}

/** The ids of the users with two-step on, for the admin list. */
export async function listTwoStepUserIds(db: Db): Promise<Set<number>> {
  const rows = await db
    .selectFrom('two_step_credentials')
    .select('user_id')
    .where('enabled_at', 'is not', null)
    .execute();
  return new Set(rows.map((row) => row.user_id));
}

export async function insertLoginChallenge(
  db: Db,
  input: { idHash: string; userId: number; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('login_challenges')
    .values({
      id_hash: input.idHash,
      user_id: input.userId,
      created_at: input.now.toISOString(),
      expires_at: input.expiresAt.toISOString(),
    })
    .execute();
}

export async function findLiveChallengeUserId(
  db: Db,
  idHash: string,
  now: Date,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('login_challenges')
    .select('user_id')
    .where('id_hash', '=', idHash)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return row?.user_id;
}

/** Ends a challenge; true only for the one request that ended a live one. */
export async function deleteLiveChallenge(db: Db, idHash: string, now: Date): Promise<boolean> {
  const result = await db
    .deleteFrom('login_challenges')
    .where('id_hash', '=', idHash)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Removes challenges that expired (the purger calls this). */
export async function deleteExpiredChallenges(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('login_challenges')
    .where('expires_at', '<=', now.toISOString())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
