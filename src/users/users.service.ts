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

/** Creates a user with an argon2id hash; throws EmailTakenError on a duplicate. */
export async function registerUser(
  deps: UsersDeps,
  input: { email: string; fullName: string; password: string },
): Promise<User> {
  const passwordHash = await deps.hasher.hash(input.password);
  return insertUser(deps.db, {
    email: normalizeEmail(input.email),
    fullName: input.fullName.trim(),
    passwordHash,
    now: deps.clock.now(),
  });
}

export class UnknownUserError extends Error {
  constructor(email: string) {
    super(`No user with the e-mail address ${email}`);
    this.name = 'UnknownUserError';
  }
}
