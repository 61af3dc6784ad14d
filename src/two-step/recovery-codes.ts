import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
/** RFC 4648 base32 letters, lower case: 16 of them are 80 bits, out of reach offline. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const CODE_LENGTH = 16;

/** Ten new codes, as shown to the person: `abcd-efgh-ijkl-mnop`. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    // 32 letters divide 256: taking each byte mod 32 is unbiased.
    const letters = [...randomBytes(CODE_LENGTH)].map((byte) => ALPHABET[byte % 32]).join('');
    return letters.replace(/(.{4})(?=.)/g, '$1-');
  });
}

/**
 * A typed recovery code as stored: case, spaces and dashes do not matter.
 * Undefined when it cannot be one, so nothing is looked up for it.
 */
export function normalizeRecoveryCode(typed: string): string | undefined {
  const code = typed.toLowerCase().replace(/[\s-]/g, '');
  return code.length === CODE_LENGTH && [...code].every((c) => ALPHABET.includes(c))
    ? code
    : undefined;
}

/** SHA-256 is enough: the codes are random and long, unlike passwords. */
export function hashRecoveryCode(normalized: string): string {
  return createHash('sha256').update(normalized).digest('hex');
}
