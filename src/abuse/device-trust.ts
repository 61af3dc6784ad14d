import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a valid device cookie says: this browser once logged in to the account with this password. */
export interface DeviceClaim {
  deviceId: string;
  emailTag: string;
  credentialTag: string;
}

const PART = /^[A-Za-z0-9_-]{16,64}$/;
const MAX_TOKEN_LENGTH = 256;

/**
 * OWASP's device cookie, signed with a key derived from the JWT secret. It
 * names the account by a keyed tag of its e-mail (so the cookie alone does not
 * say which address it is for) and the password by a keyed tag of the stored
 * hash, so a password change or reset (a new hash) voids every device cookie
 * issued before it.
 */
export type DeviceTrust = ReturnType<typeof createDeviceTrust>;

export function createDeviceTrust(secret: string) {
  const key = createHmac('sha256', secret).update('gatehouse device cookie').digest();
  const tag = (label: string, value: string, bytes: number) =>
    createHmac('sha256', key).update(`${label}\0${value}`).digest().subarray(0, bytes);
  const sign = (body: string) => tag('signature', body, 32).toString('base64url');
  const emailTagOf = (email: string) => tag('email', email, 16).toString('base64url');
  const credentialTagOf = (passwordHash: string) =>
    tag('credential', passwordHash, 16).toString('base64url');
  const sameText = (a: string, b: string) => {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
  };

  return {
    /** A cookie value for a browser that just logged in (keeping its device id if it had one). */
    issue(email: string, passwordHash: string, deviceId?: string): string {
      const body = [
        deviceId ?? randomBytes(16).toString('base64url'),
        emailTagOf(email),
        credentialTagOf(passwordHash),
      ].join('.');
      return `${body}.${sign(body)}`;
    },
    /** The claim of a well-formed, correctly signed value; null for anything else. */
    parse(token: string | undefined): DeviceClaim | null {
      if (token === undefined || token.length > MAX_TOKEN_LENGTH) return null;
      const parts = token.split('.');
      if (parts.length !== 4 || !parts.every((part) => PART.test(part))) return null;
      const [deviceId = '', emailTag = '', credentialTag = '', signature = ''] = parts;
      if (!sameText(signature, sign(`${deviceId}.${emailTag}.${credentialTag}`))) return null;
      return { deviceId, emailTag, credentialTag };
    },
    /** The claim is for this (normalised) e-mail: worth looking the account up for. */
    namesEmail(claim: DeviceClaim, email: string): boolean {
      return sameText(claim.emailTag, emailTagOf(email));
    },
    /** The claim was issued under the account's current password. */
    isCurrent(claim: DeviceClaim, passwordHash: string): boolean {
      return sameText(claim.credentialTag, credentialTagOf(passwordHash));
    },
  };
}

/**
 * The device id of a cookie issued for this account under its current
 * password, else undefined. Only a correctly signed cookie naming this e-mail
 * costs the lookup, so strangers cannot make it one per request.
 */
export async function findTrustedDeviceId(
  trust: DeviceTrust,
  token: string | undefined,
  email: string,
  currentHashOf: (email: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  const claim = trust.parse(token);
  if (!claim || !trust.namesEmail(claim, email)) return undefined;
  const hash = await currentHashOf(email);
  return hash !== undefined && trust.isCurrent(claim, hash) ? claim.deviceId : undefined;
}
