/**
 * The ~49,000 most common passwords that zxcvbn-ts ships (from leaked-password
 * corpora, package @zxcvbn-ts/language-common). Only the entries of 8 or more
 * characters can matter (PASSWORD_MIN_LENGTH is at least 8): those ~18,000 are
 * kept, lower-cased, on first use. The package's module is loaded then dropped
 * from the require cache, so the whole dictionary does not stay in memory.
 */
const MIN_RELEVANT_LENGTH = 8;
const DICTIONARY_MODULE = '@zxcvbn-ts/language-common/dist/passwords.json.cjs';

let commonPasswords: ReadonlySet<string> | undefined;

function loadCommonPasswords(): ReadonlySet<string> {
  const modulePath = require.resolve(DICTIONARY_MODULE);
  // A lazy, one-off load of a data module: a static import would keep it resident.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const entries = require(modulePath) as unknown;
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- drop the one module we loaded
  delete require.cache[modulePath];
  if (!Array.isArray(entries)) throw new Error(`${DICTIONARY_MODULE} is not a list`);
  return new Set(
    entries
      .filter((entry): entry is string => typeof entry === 'string')
      .filter((entry) => [...entry].length >= MIN_RELEVANT_LENGTH)
      .map((entry) => entry.toLowerCase()),
  );
}

export function isCommonPassword(password: string): boolean {
  commonPasswords ??= loadCommonPasswords();
  return commonPasswords.has(password.toLowerCase());
}

/** How many passwords the blocklist holds (the relevant ones, 8+ characters). */
export function commonPasswordCount(): number {
  commonPasswords ??= loadCommonPasswords();
  return commonPasswords.size;
}
