import request from 'supertest';
import type { Response } from 'supertest';
import { logIn, newBrowser } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { countingHasher, type HashCalls } from './attack-kit';

const WRONG_PASSWORD = 'not the password at all';

/** The argon2 parameter part of a PHC string: `$argon2id$v=19$m=1024,t=1,p=1`. */
const parametersOf = (hash: string | undefined) => (hash ?? '').split('$').slice(0, 4).join('$');

/**
 * Answers that must not tell an attacker whether an account exists do the
 * same argon2 work: exactly one verify against a hash with the configured
 * parameters, and no hashing.
 */
describe('equal work for unknown e-mails and wrong passwords', () => {
  let t: TestApp;
  const counter = countingHasher();
  let realHash: string;
  beforeEach(async () => {
    t = await createTestApp({ wrapHasher: counter.wrap });
    const user = await t.createUser({ email: 'ada@example.com' });
    const row = await t.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    realHash = row.password_hash;
    // Warm up the dummy hash, as the first unknown-e-mail login after start does.
    await logIn(newBrowser(t.app), 'warm-up@example.com', WRONG_PASSWORD);
    counter.reset();
  });
  afterEach(() => t.close());

  async function measure(send: () => PromiseLike<Response>): Promise<{
    res: Response;
    calls: Omit<HashCalls, 'verifiedHashes'>;
    verifiedParameters: string[];
  }> {
    counter.reset();
    const res = await send();
    const { hash, verify, dummyHash, verifiedHashes } = counter.calls;
    return {
      res,
      calls: { hash, verify, dummyHash },
      verifiedParameters: verifiedHashes.map(parametersOf),
    };
  }

  const formLogin = (email: string, password: string) => () =>
    logIn(newBrowser(t.app), email, password);
  const tokenLogin = (email: string, password: string) => () =>
    request(t.app)
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', username: email, password });

  it.each([
    ['the login form', formLogin],
    ['/token', tokenLogin],
  ])(
    '%s: an unknown e-mail and a wrong password each verify exactly once and hash nothing',
    async (_name, login) => {
      const unknown = await measure(login('nobody@example.com', TEST_PASSWORD));
      const wrong = await measure(login('ada@example.com', WRONG_PASSWORD));
      for (const attempt of [unknown, wrong]) {
        expect(attempt.calls.verify).toBe(1);
        expect(attempt.calls.hash).toBe(0);
        expect(attempt.verifiedParameters).toEqual([parametersOf(realHash)]);
      }
      expect(unknown.res.status).toBe(wrong.res.status);
      // The same answer, word for word, apart from the e-mail shown back and the CSRF token.
      expect(normalise(unknown.res.text, 'nobody@example.com')).toBe(
        normalise(wrong.res.text, 'ada@example.com'),
      );
    },
  );

  it('a disabled account verifies once too, and only says so after the password was right', async () => {
    await t.db
      .updateTable('users')
      .set({ is_active: 0 })
      .where('email', '=', 'ada@example.com')
      .execute();
    const wrong = await measure(formLogin('ada@example.com', WRONG_PASSWORD));
    const right = await measure(formLogin('ada@example.com', TEST_PASSWORD));
    expect(wrong.calls).toMatchObject({ verify: 1, hash: 0 });
    expect(right.calls).toMatchObject({ verify: 1, hash: 0 });
    expect(wrong.res.status).toBe(401);
    expect(right.res.status).toBe(403);
  });

  it('sign-up hashes once whether or not the e-mail is already taken', async () => {
    const signUp = (email: string) => async () => {
      const browser = newBrowser(t.app);
      const page = await browser.get('/signup');
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
      return browser.post('/signup').type('form').send({
        _csrf: token,
        email,
        full_name: 'Someone',
        password: 'a brand new passphrase for this test',
        password_confirmation: 'a brand new passphrase for this test',
      });
    };
    const taken = await measure(signUp('ada@example.com'));
    const fresh = await measure(signUp('fresh@example.com'));
    // The same answer: whether the address is registered is for its owner's inbox only.
    expect(taken.res.status).toBe(200);
    expect(fresh.res.status).toBe(200);
    expect(normalise(taken.res.text, 'ada@example.com')).toBe(
      normalise(fresh.res.text, 'fresh@example.com'),
    );
    expect(taken.calls).toMatchObject({ hash: 1, verify: 0 });
    expect(fresh.calls).toMatchObject({ hash: 1, verify: 0 });
    // What follows the answer (the account and its link, or the notice) hashes nothing more.
    counter.reset();
    await t.background.drain();
    expect(counter.calls).toMatchObject({ hash: 0, verify: 0 });
  });
});

/** A login page with the e-mail and the per-request CSRF token taken out. */
function normalise(html: string, email: string): string {
  return html.replaceAll(email, 'EMAIL').replace(/name="_csrf" value="[^"]+"/, '');
}
