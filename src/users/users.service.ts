import type { PasswordHasher } from '../auth/password';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import { normalizeEmail, type User } from './user';
import { insertUser } from './users.repository';

export interface UsersDeps {
  db: Db;
  hasher: PasswordHasher;
  clock: Clock;
}

/**
 * Stores a new user whose password is already hashed, e-mail normalized and
 * name trimmed; throws EmailTakenError on a duplicate. `db` may be a
 * transaction, so the row commits with whatever else the caller writes.
 */
export function insertNewUser(
  db: Db,
  input: { email: string; fullName: string },
  passwordHash: string,
  now: Date,
): Promise<User> {
  return insertUser(db, {
    email: normalizeEmail(input.email),
    fullName: input.fullName.trim(),
    passwordHash,
    now,
  });
}

/** Creates a user with an argon2id hash; throws EmailTakenError on a duplicate. */
export async function registerUser(
  deps: UsersDeps,
  input: { email: string; fullName: string; password: string },
): Promise<User> {
  const passwordHash = await deps.hasher.hash(input.password);
  return insertNewUser(deps.db, input, passwordHash, deps.clock.now());
}

export class UnknownUserError extends Error {
  constructor(email: string) {
    super(`No user with the e-mail address ${email}`);
    this.name = 'UnknownUserError';
  }
}
