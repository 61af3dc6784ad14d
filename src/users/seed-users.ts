import { MAX_PASSWORD_LENGTH } from '../auth/login-form';
import { findUserWithHashByEmail } from './users.repository';
import { checkFullName, describeFullNameProblem, MAX_FULL_NAME_LENGTH } from './full-name';
import { EmailTakenError, isPlausibleEmail, normalizeEmail } from './user';
import { registerUser, type UsersDeps } from './users.service';

export interface SeedUser {
  email: string;
  password: string;
  fullName: string;
}

/** Validates a seed file's parsed JSON; throws with every problem listed. */
export function parseSeedUsers(json: unknown): SeedUser[] {
  if (!Array.isArray(json)) {
    throw new Error('the seed file must hold a JSON array of {"email", "password", "full_name"}');
  }
  const problems: string[] = [];
  const users = json.flatMap((entry: unknown, index): SeedUser[] => {
    const where = `entry ${index + 1}`;
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`${where}: not an object`);
      return [];
    }
    const { email, password, full_name: fullName } = entry as Record<string, unknown>;
    const before = problems.length;
    if (typeof email !== 'string' || !isPlausibleEmail(normalizeEmail(email)))
      problems.push(`${where}: "email" must be an e-mail address`);
    if (
      typeof password !== 'string' ||
      password.length === 0 ||
      password.length > MAX_PASSWORD_LENGTH
    )
      problems.push(`${where}: "password" must be 1 to ${MAX_PASSWORD_LENGTH} characters`);
    const name = typeof fullName === 'string' ? checkFullName(fullName) : undefined;
    if (name === undefined)
      problems.push(`${where}: "full_name" must be 1 to ${MAX_FULL_NAME_LENGTH} characters`);
    else if (!name.isValid)
      problems.push(`${where}: "full_name": ${describeFullNameProblem(name.problem)}`);
    if (problems.length > before) return [];
    return [{ email: email as string, password: password as string, fullName: fullName as string }];
  });
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return users;
}

/** Creates the users that do not exist yet; existing e-mails are left untouched. */
export async function seedUsers(
  deps: UsersDeps,
  users: SeedUser[],
): Promise<{ created: number; skipped: number }> {
  let created = 0;
  let skipped = 0;
  for (const user of users) {
    if (await findUserWithHashByEmail(deps.db, normalizeEmail(user.email))) {
      skipped += 1;
      continue;
    }
    try {
      await registerUser(deps, user);
      created += 1;
    } catch (error) {
      // Another process (or a duplicate line in the file) got there first.
      if (!(error instanceof EmailTakenError)) throw error;
      skipped += 1;
    }
  }
  return { created, skipped };
}
