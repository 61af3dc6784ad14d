import type { Selectable } from 'kysely';
import type { Db } from '../db/database';
import { EmailTakenError, type User } from './user';
import type { UsersTable } from './users.table';

type UserRow = Selectable<UsersTable>;

/** The columns toUser reads, named for a query that joins `users`. */
export const USER_COLUMNS = [
  'users.id',
  'users.email',
  'users.full_name',
  'users.is_active',
  'users.created_at',
  'users.last_login_at',
  'users.email_confirmed_at',
] as const;

export function toUser(row: Omit<UserRow, 'password_hash' | 'updated_at'>): User {
  return {
    id: row.id,
    email: row.email,
    fullName: row.full_name,
    isActive: row.is_active === 1,
    createdAt: new Date(row.created_at),
    lastLoginAt: row.last_login_at === null ? null : new Date(row.last_login_at),
    emailConfirmedAt: row.email_confirmed_at === null ? null : new Date(row.email_confirmed_at),
  };
}

export async function findUserWithHashByEmail(
  db: Db,
  email: string,
): Promise<{ user: User; passwordHash: string } | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('email', '=', email)
    .executeTakeFirst();
  return row && { user: toUser(row), passwordHash: row.password_hash };
}

export async function findUserById(db: Db, id: number): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

export async function insertUser(
  db: Db,
  input: { email: string; fullName: string; passwordHash: string; now: Date; isConfirmed: boolean },
): Promise<User> {
  const stamp = input.now.toISOString();
  try {
    const row = await db
      .insertInto('users')
      .values({
        email: input.email,
        full_name: input.fullName,
        password_hash: input.passwordHash,
        created_at: stamp,
        updated_at: stamp,
        email_confirmed_at: input.isConfirmed ? stamp : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toUser(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw new EmailTakenError();
    throw error;
  }
}

/** Marks a successful login and, when given, stores an upgraded hash with it. */
export async function recordLogin(
  db: Db,
  userId: number,
  now: Date,
  upgradedHash?: string,
): Promise<void> {
  const stamp = now.toISOString();
  await db
    .updateTable('users')
    .set(
      upgradedHash === undefined
        ? { last_login_at: stamp }
        : { last_login_at: stamp, password_hash: upgradedHash, updated_at: stamp },
    )
    .where('id', '=', userId)
    .execute();
}

export async function updatePasswordHash(
  db: Db,
  userId: number,
  passwordHash: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: now.toISOString() })
    .where('id', '=', userId)
    .execute();
}

/**
 * Marks the address proven (once: the first confirmation's time stays). A
 * sign-up's link also brings the password and name chosen at that sign-up.
 */
export async function markEmailConfirmed(
  db: Db,
  userId: number,
  now: Date,
  chosen: { passwordHash: string | null; fullName: string | null },
): Promise<void> {
  const stamp = now.toISOString();
  await db
    .updateTable('users')
    .set((eb) => ({
      email_confirmed_at: eb.fn.coalesce('email_confirmed_at', eb.val(stamp)),
      updated_at: stamp,
      ...(chosen.passwordHash === null ? {} : { password_hash: chosen.passwordHash }),
      ...(chosen.fullName === null ? {} : { full_name: chosen.fullName }),
    }))
    .where('id', '=', userId)
    .execute();
}

/** Moves the account to a confirmed new address; EmailTakenError when another account has it. */
export async function changeEmail(db: Db, userId: number, email: string, now: Date): Promise<void> {
  const stamp = now.toISOString();
  try {
    await db
      .updateTable('users')
      .set({ email, email_confirmed_at: stamp, updated_at: stamp })
      .where('id', '=', userId)
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new EmailTakenError();
    throw error;
  }
}

export async function setUserActive(
  db: Db,
  userId: number,
  isActive: boolean,
  now: Date,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ is_active: isActive ? 1 : 0, updated_at: now.toISOString() })
    .where('id', '=', userId)
    .execute();
}

export async function listUsers(db: Db): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('id').execute();
  return rows.map(toUser);
}

/**
 * Whether the table holds any user: one row read, where a count would scan
 * every row (a million-user table took the start-up past its memory peak).
 */
export async function hasAnyUser(db: Db): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** SQLite and Postgres report a unique-index conflict differently. */
function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
