import { TOTP, Secret } from 'otpauth';
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
} from '../../src/two-step/recovery-codes';
import { createSecretBox } from '../../src/two-step/secret-box';
import { generateTotpSecret, matchTotpStep, totpQrDataUri, totpUri } from '../../src/two-step/totp';

const KEY = 'a data key that is long enough for hkdf 0123456789';

function codeAt(secret: string, at: Date): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: at.getTime() });
}

describe('the secret box (AES-256-GCM under an HKDF-derived key)', () => {
  it('opens what it sealed, for the same context', () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'user 1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, 'user 1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('seals the same secret differently each time (a fresh IV)', () => {
    const box = createSecretBox(KEY);
    expect(box.seal('secret', 'c')).not.toBe(box.seal('secret', 'c'));
  });

  it('refuses another context, another key and a tampered value', () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'user 1');
    expect(() => box.open(sealed, 'user 2')).toThrow();
    expect(() => createSecretBox(`${KEY}!`).open(sealed, 'user 1')).toThrow();
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => box.open(`v1.${bytes.toString('base64url')}`, 'user 1')).toThrow();
    expect(() => box.open('v0.abc', 'user 1')).toThrow();
  });
});

describe('TOTP codes (RFC 6238, 30 s steps)', () => {
  const secret = generateTotpSecret();
  const now = new Date('2026-03-01T12:00:10.000Z');
  const step = Math.floor(now.getTime() / 30_000);

  it('makes 160-bit base32 secrets', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(generateTotpSecret()).not.toBe(secret);
  });

  it('accepts the current code and names its step', () => {
    expect(matchTotpStep(secret, codeAt(secret, now), now)).toBe(step);
  });

  it('accepts one step of clock drift either way, not two', () => {
    const at = (steps: number) => new Date(now.getTime() + steps * 30_000);
    expect(matchTotpStep(secret, codeAt(secret, at(-1)), now)).toBe(step - 1);
    expect(matchTotpStep(secret, codeAt(secret, at(1)), now)).toBe(step + 1);
    expect(matchTotpStep(secret, codeAt(secret, at(-2)), now)).toBeNull();
    expect(matchTotpStep(secret, codeAt(secret, at(2)), now)).toBeNull();
  });

  it('refuses anything that is not six digits', () => {
    expect(matchTotpStep(secret, '12345', now)).toBeNull();
    expect(matchTotpStep(secret, 'abcdef', now)).toBeNull();
    expect(matchTotpStep(secret, `${codeAt(secret, now)}0`, now)).toBeNull();
  });

  it('puts issuer, account and secret in the otpauth URI, and draws it as an SVG data URI', async () => {
    const uri = totpUri(secret, 'ada@example.com');
    expect(uri).toBe(
      `otpauth://totp/Gatehouse:ada%40example.com?issuer=Gatehouse&secret=${secret}&algorithm=SHA1&digits=6&period=30`,
    );
    const image = await totpQrDataUri(uri);
    expect(image).toMatch(/^data:image\/svg\+xml;base64,/);
    const svg = Buffer.from(image.split(',')[1] ?? '', 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg /);
  });
});

describe('recovery codes', () => {
  it('makes ten distinct 80-bit codes in groups of four', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
  });

  it('reads a typed code whatever its case, spaces and dashes', () => {
    const [code = ''] = generateRecoveryCodes(1);
    const plain = code.replace(/-/g, '');
    expect(normalizeRecoveryCode(code.toUpperCase())).toBe(plain);
    expect(normalizeRecoveryCode(` ${code.replace(/-/g, ' ')} `)).toBe(plain);
    expect(normalizeRecoveryCode('not a code')).toBeUndefined();
    expect(normalizeRecoveryCode('abcd-efgh-ijkl-mno1')).toBeUndefined();
  });

  it('stores only a SHA-256 hash', () => {
    expect(hashRecoveryCode('abcdefghijklmnop')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRecoveryCode('abcdefghijklmnop')).not.toContain('abcdefghijklmnop');
  });
});
