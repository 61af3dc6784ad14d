import { isCommonPassword } from './common-passwords';
import { MAX_PASSWORD_LENGTH } from './login-form';

export interface PasswordPolicy {
  minLength: number;
}

/**
 * NIST SP 800-63B / OWASP ASVS: length and a blocklist, no composition rules.
 * Returns the rule that failed, as a sentence for the person, or null.
 */
export function findPasswordProblem(
  password: string,
  context: { email: string },
  policy: PasswordPolicy,
): string | null {
  // Length in code points, so an emoji counts as one character, as people count.
  const length = [...password].length;
  if (length < policy.minLength) {
    return `Use at least ${policy.minLength} characters (a few words together are easy to remember).`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  }
  if (isCommonPassword(password)) {
    return 'This password is one of the most commonly used: choose one that is harder to guess.';
  }
  const localPart = context.email.trim().toLowerCase().split('@')[0] ?? '';
  if (localPart.length >= 3 && password.toLowerCase().includes(localPart)) {
    return 'Do not include your e-mail address in your password.';
  }
  return null;
}
