import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts small secrets at rest (the TOTP secrets) with AES-256-GCM under a
 * key derived by HKDF-SHA256 from DATA_KEY (or JWT_SECRET). A database dump
 * alone then yields no authenticator secret. Each sealed value is bound to a
 * context (the user id) as associated data, so a sealed secret copied into
 * another user's row does not open.
 */
export function createSecretBox(keyMaterial: string) {
  const key = Buffer.from(
    hkdfSync('sha256', keyMaterial, 'gatehouse', 'gatehouse two-step secrets v1', 32),
  );

  return {
    seal(plaintext: string, context: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
      return `${VERSION}.${sealed}`;
    },

    /** Throws when the value was tampered with, sealed for another context or under another key. */
    open(sealed: string, context: string): string {
      const [version, data = ''] = sealed.split('.');
      if (version !== VERSION) throw new Error('unknown sealed-secret version');
      const bytes = Buffer.from(data, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const body = bytes.subarray(IV_BYTES + TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    },
  };
}

export type SecretBox = ReturnType<typeof createSecretBox>;
