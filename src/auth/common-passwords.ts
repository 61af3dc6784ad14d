import { dictionary } from '@zxcvbn-ts/language-common';

let commonPasswords: ReadonlySet<string> | undefined;

/**
 * The ~49,000 most common passwords that zxcvbn-ts ships (from leaked-password
 * corpora), lower-cased, loaded on first use.
 */
export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(
    (dictionary['passwords-common'] as string[]).map((entry) => entry.toLowerCase()),
  );
  return commonPasswords.has(password.toLowerCase());
}

export function commonPasswordCount(): number {
  isCommonPassword('');
  return commonPasswords?.size ?? 0;
}
