import { commonPasswordCount, isCommonPassword } from '../../src/auth/common-passwords';
import { findPasswordProblem, type PasswordPolicy } from '../../src/auth/password-policy';

const policy: PasswordPolicy = { minLength: 12 };
const ada = { email: 'ada.lovelace@example.com' };

/** The problem for a password of an account registered as ada.lovelace@example.com. */
const problemOf = (password: string, rules: PasswordPolicy = policy) =>
  findPasswordProblem(password, ada, rules);

describe('the password policy', () => {
  describe('refuses', () => {
    it('a password one character shorter than the minimum, naming the minimum', () => {
      expect(problemOf('x7#kq9!vbm2')).toBe(
        'Use at least 12 characters (a few words together are easy to remember).',
      );
    });

    it('a password below a raised minimum that the default would accept', () => {
      const fifteen = 'river stone map';
      expect(problemOf(fifteen)).toBeNull();
      expect(problemOf(fifteen, { minLength: 16 })).toMatch(/^Use at least 16 characters/);
    });

    it('a password longer than 256 characters', () => {
      expect(problemOf('correct horse '.repeat(19).slice(0, 257))).toBe(
        'Use at most 256 characters.',
      );
    });

    it('a common password of at least the minimum length, whatever its case', () => {
      expect(isCommonPassword('password1234')).toBe(true);
      const message =
        'This password is one of the most commonly used: choose one that is harder to guess.';
      expect(problemOf('password1234')).toBe(message);
      expect(problemOf('PassWord1234')).toBe(message);
    });

    it("a password containing the e-mail's local part, whatever its case", () => {
      const message = 'Do not include your e-mail address in your password.';
      expect(problemOf('my name is ada.lovelace')).toBe(message);
      expect(problemOf('ADA.LOVELACE rules them all')).toBe(message);
    });

    it('a password containing the local part of an e-mail given with spaces and capitals', () => {
      expect(
        findPasswordProblem(
          'hello bob.smith friends',
          { email: '  Bob.Smith@Example.com ' },
          policy,
        ),
      ).toBe('Do not include your e-mail address in your password.');
    });

    it('a short password for being short before anything else', () => {
      expect(problemOf('ada.lovelac')).toMatch(/^Use at least 12 characters/);
    });
  });

  describe('accepts', () => {
    it('a long passphrase', () => {
      expect(problemOf('a perfectly fine passphrase for the analytical engine')).toBeNull();
    });

    it('a password of exactly the minimum length', () => {
      expect([...'x7#kq9!vbm2z']).toHaveLength(12);
      expect(problemOf('x7#kq9!vbm2z')).toBeNull();
    });

    it('a password of exactly 256 characters', () => {
      expect(problemOf('correct horse '.repeat(19).slice(0, 256))).toBeNull();
    });

    it('a unicode passphrase', () => {
      expect(problemOf('größere Äpfel schmecken süß')).toBeNull();
      expect(problemOf('東京の夜はとても静かで美しい')).toBeNull();
    });

    it('a password that contains a local part shorter than three characters', () => {
      expect(
        findPasswordProblem('jo went walking far', { email: 'jo@example.com' }, policy),
      ).toBeNull();
    });
  });

  it('counts length in code points, so an emoji counts as one character', () => {
    const twelveEmoji = '😀🎉🚀🌍🔥🍕🎸🐙🌈⚡🍀🦄';
    expect(twelveEmoji.length).toBeGreaterThan(12);
    expect([...twelveEmoji]).toHaveLength(12);
    expect(problemOf(twelveEmoji)).toBeNull();

    // 11 code points but 22 UTF-16 units: still too short.
    const elevenEmoji = '😀🎉🚀🌍🔥🍕🎸🐙🌈🍀🦄';
    expect(elevenEmoji.length).toBe(22);
    expect(problemOf(elevenEmoji)).toMatch(/^Use at least 12 characters/);
  });
});

describe('the common-password list', () => {
  it('holds at least 10,000 passwords', () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
  });

  it('does not hold an ordinary passphrase', () => {
    expect(isCommonPassword('a perfectly fine passphrase')).toBe(false);
  });
});
