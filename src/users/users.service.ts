import type { PasswordHasher } from '../auth/password';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import { checkFullName, InvalidFullNameError } from './full-name';
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
 * Every door checks the name first to say what is wrong; this check is the
 * last one, so no way of creating a user can skip it (InvalidFullNameError).
 */
export async function insertNewUser(
  db: Db,
  input: { email: string; fullName: string },
  passwordHash: string,
  now: Date,
  /** Whether the address counts as proven: an admin's word, or a sign-up without confirmation. */
  isConfirmed: boolean,
): Promise<User> {
  const name = checkFullName(input.fullName);
  if (!name.isValid) throw new InvalidFullNameError(name.problem);
  return insertUser(db, {
    email: normalizeEmail(input.email),
    fullName: name.fullName,
    passwordHash,
    now,
    isConfirmed,
  });
}

/**
 * Creates a confirmed user with an argon2id hash (the admin CLI, seeds): the
 * operator vouches for the address. Throws EmailTakenError on a duplicate.
 */
export async function registerUser(
  deps: UsersDeps,
  input: { email: string; fullName: string; password: string },
): Promise<User> {
  const passwordHash = await deps.hasher.hash(input.password);
  return insertNewUser(deps.db, input, passwordHash, deps.clock.now(), true);
}

export class UnknownUserError extends Error {
  constructor(email: string) {
    super(`No user with the e-mail address ${email}`);
    this.name = 'UnknownUserError';
  }
}
