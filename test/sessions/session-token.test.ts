import { createManualClock } from '../../src/clock';
import { createSessionTokens } from '../../src/sessions/session-token';

const SECRET = 'a-test-secret-of-enough-length-0123456789';
const SESSION_ID = 'AbCdEfGhIjKlMnOpQrStUv';

function tokensAt(start = new Date('2026-03-01T12:00:00Z')) {
  const clock = createManualClock(start);
  const tokens = createSessionTokens(SECRET, clock);
  const expiresAt = new Date(start.getTime() + 30 * 60_000);
  const token = tokens.sign({ userId: 7, sessionId: SESSION_ID, expiresAt });
  return { clock, tokens, token, expiresAt };
}

/** The token with one character of its signature changed. */
function withBadSignature(token: string): string {
  const last = token.at(-2) === 'A' ? 'B' : 'A';
  return `${token.slice(0, -2)}${last}${token.slice(-1)}`;
}

describe('session tokens', () => {
  it('verify the same token every time it is presented, with the same claims', () => {
    const { tokens, token, expiresAt } = tokensAt();
    for (let i = 0; i < 3; i++) {
      expect(tokens.verify(token)).toMatchObject({ userId: 7, sessionId: SESSION_ID, expiresAt });
    }
  });

  it('refuse a token verified before once its expiry is reached, and after', () => {
    const { clock, tokens, token } = tokensAt();
    expect(tokens.verify(token)).not.toBeNull();
    clock.advanceMinutes(29);
    expect(tokens.verify(token)).not.toBeNull();
    clock.advanceMinutes(1);
    expect(tokens.verify(token)).toBeNull();
    clock.advanceMinutes(60);
    expect(tokens.verify(token)).toBeNull();
  });

  it('cannot be kept alive by changing the expiry a caller was given', () => {
    const { clock, tokens, token } = tokensAt();
    const claims = tokens.verify(token);
    claims?.expiresAt.setTime(Date.UTC(2099, 0, 1));
    clock.advanceMinutes(30);
    expect(tokens.verify(token)).toBeNull();
  });

  it('refuse a token that was never verified once it has expired', () => {
    const { clock, tokens, token } = tokensAt();
    clock.advanceMinutes(30);
    expect(tokens.verify(token)).toBeNull();
  });

  it('refuse a forged signature even right after the genuine token was accepted', () => {
    const { tokens, token } = tokensAt();
    expect(tokens.verify(token)).not.toBeNull();
    expect(tokens.verify(withBadSignature(token))).toBeNull();
    expect(tokens.verify(token)).not.toBeNull();
  });

  it('are not accepted by another secret', () => {
    const { clock, token } = tokensAt();
    const other = createSessionTokens(`${SECRET}-rotated`, clock);
    expect(other.verify(token)).toBeNull();
  });

  it('keep verifying correctly past the number of tokens remembered', () => {
    const start = new Date('2026-03-01T12:00:00Z');
    const clock = createManualClock(start);
    const tokens = createSessionTokens(SECRET, clock);
    const expiresAt = new Date(start.getTime() + 30 * 60_000);
    const issued = Array.from({ length: 1500 }, (_, i) =>
      tokens.sign({ userId: i + 1, sessionId: SESSION_ID, expiresAt }),
    );
    for (const token of issued) expect(tokens.verify(token)).not.toBeNull();
    // The earliest were forgotten and are verified afresh; all still resolve to their own user.
    issued.forEach((token, i) => expect(tokens.verify(token)?.userId).toBe(i + 1));
    clock.advanceMinutes(30);
    expect(issued.filter((token) => tokens.verify(token) !== null)).toHaveLength(0);
  });
});
