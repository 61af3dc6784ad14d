import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, base64url: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function createResetToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a string could be a token at all, so garbage never reaches the database. */
export function isWellFormedResetToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * What the database stores. A fast hash is right here (unlike passwords):
 * the token has 256 bits of entropy, so there is nothing to brute-force.
 */
export function hashResetToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
