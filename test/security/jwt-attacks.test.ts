import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import type { Response } from 'supertest';
import type { User } from '../../src/users/user';
import {
  cookieValue,
  extractCsrfToken,
  fetchCsrfToken,
  findSetCookie,
  newBrowser,
} from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, TEST_SECRET, type TestApp } from '../helpers/test-app';
import {
  CLEARED_SESSION_COOKIE,
  handMadeToken,
  issueApiToken,
  signInBrowser,
  type SignedIn,
} from './attack-kit';

type Transport = 'cookie' | 'bearer';

interface Victim {
  t: TestApp;
  browser: SignedIn;
  api: { token: string; sessionId: string };
  other: User;
}

const OTHER_SECRET = 'another-secret-that-is-also-long-enough-0123456789';
const ISSUED = { issuer: 'gatehouse', audience: 'gatehouse' } as const;
/** The same, as the claims of a hand-made token. */
const ISSUED_CLAIMS = { iss: 'gatehouse', aud: 'gatehouse' };
/** An attacker's own RSA key pair, for a token that is genuinely RS256. */
const attackerKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

const nowSeconds = (t: TestApp) => Math.floor(t.clock.now().getTime() / 1000);

/** The claims a genuine token for the victim's session of this transport carries. */
function claimsFor(v: Victim, transport: Transport) {
  const sessionId = transport === 'cookie' ? v.browser.sessionId : v.api.sessionId;
  const iat = nowSeconds(v.t);
  return { sub: String(v.browser.user.id), sid: sessionId, iat, exp: iat + 600 };
}

const genuineToken = (v: Victim, transport: Transport) =>
  transport === 'cookie' ? v.browser.token : v.api.token;

const signHs256 = (payload: object, secret = TEST_SECRET, options: jwt.SignOptions = ISSUED) =>
  jwt.sign(payload, secret, { algorithm: 'HS256', ...options });

type Attack = [string, (v: Victim, transport: Transport) => string | Promise<string>];

const ATTACKS: Attack[] = [
  [
    'alg: none without a signature',
    (v, tr) =>
      handMadeToken({ alg: 'none', typ: 'JWT' }, { ...claimsFor(v, tr), ...ISSUED_CLAIMS }),
  ],
  [
    'alg: "None" with our HMAC as the signature',
    (v, tr) =>
      handMadeToken(
        { alg: 'None', typ: 'JWT' },
        { ...claimsFor(v, tr), ...ISSUED_CLAIMS },
        TEST_SECRET,
      ),
  ],
  ['HS256 signed with another key', (v, tr) => signHs256(claimsFor(v, tr), OTHER_SECRET)],
  [
    "RS256 signed with the attacker's own RSA key",
    (v, tr) =>
      jwt.sign(claimsFor(v, tr), attackerKeys.privateKey, { algorithm: 'RS256', ...ISSUED }),
  ],
  [
    'an RS256 header over an HMAC made with our secret (algorithm confusion)',
    (v, tr) =>
      handMadeToken(
        { alg: 'RS256', typ: 'JWT' },
        { ...claimsFor(v, tr), ...ISSUED_CLAIMS },
        TEST_SECRET,
      ),
  ],
  [
    'HS512 signed with our own secret',
    (v, tr) => jwt.sign(claimsFor(v, tr), TEST_SECRET, { algorithm: 'HS512', ...ISSUED }),
  ],
  [
    'expired a minute ago',
    (v, tr) => {
      const now = nowSeconds(v.t);
      return signHs256({ ...claimsFor(v, tr), iat: now - 1800, exp: now - 60 });
    },
  ],
  [
    'the genuine token once the clock has moved 31 minutes on',
    (v, tr) => {
      v.t.clock.advanceMinutes(31);
      return genuineToken(v, tr);
    },
  ],
  [
    'nbf an hour in the future',
    (v, tr) => signHs256({ ...claimsFor(v, tr), nbf: nowSeconds(v.t) + 3600 }),
  ],
  [
    'from another issuer',
    (v, tr) => signHs256(claimsFor(v, tr), TEST_SECRET, { issuer: 'evil', audience: 'gatehouse' }),
  ],
  [
    'without an issuer',
    (v, tr) => signHs256(claimsFor(v, tr), TEST_SECRET, { audience: 'gatehouse' }),
  ],
  [
    'for another audience',
    (v, tr) => signHs256(claimsFor(v, tr), TEST_SECRET, { issuer: 'gatehouse', audience: 'evil' }),
  ],
  [
    'naming a session row that was deleted',
    async (v, tr) => {
      await v.t.db.deleteFrom('sessions').where('id', '=', claimsFor(v, tr).sid).execute();
      return genuineToken(v, tr);
    },
  ],
  [
    "a valid sid with another user's sub (correctly signed)",
    (v, tr) => signHs256({ ...claimsFor(v, tr), sub: String(v.other.id) }),
  ],
  [
    'the sub of a deleted user',
    async (v, tr) => {
      await v.t.db.deleteFrom('users').where('id', '=', v.browser.user.id).execute();
      return genuineToken(v, tr);
    },
  ],
  [
    'a sub that is not an id (correctly signed)',
    (v, tr) => signHs256({ ...claimsFor(v, tr), sub: `${v.browser.user.id} OR 1=1` }),
  ],
  ['malformed base64', () => 'eyJhbGciOi!!.e30*.~~~'],
  ['a header that is not JSON', () => 'bm90IGpzb24.e30.c2ln'],
  ['two dots and nothing else', () => '..'],
  [
    'an 8 kB token, correctly signed',
    (v, tr) => signHs256({ ...claimsFor(v, tr), pad: 'x'.repeat(8 * 1024) }),
  ],
  [
    'a genuine token of the other kind (cookie JWT as Bearer, Bearer JWT as cookie)',
    (v, tr) => genuineToken(v, tr === 'cookie' ? 'bearer' : 'cookie'),
  ],
];

async function createVictim(): Promise<Victim> {
  const t = await createTestApp();
  const browser = await signInBrowser(t);
  const api = await issueApiToken(t, browser.user);
  const other = await t.createUser();
  return { t, browser, api, other };
}

const withSessionCookie = (t: TestApp, path: string, token: string) =>
  request(t.app).get(path).set('Cookie', `session=${token}`);

const withBearer = (t: TestApp, token: string) =>
  request(t.app).get('/users/me').set('Authorization', `Bearer ${token}`);

function expectAnonymousAndCleared(res: Response): void {
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe('/login?next=%2Fprivate');
  expect(findSetCookie(res, 'session')).toMatch(CLEARED_SESSION_COOKIE);
}

function expectAnonymousHome(res: Response): void {
  expect(res.status).toBe(200);
  expect(res.text).toContain('Welcome to Gatehouse');
  expect(res.text).toContain('href="/login"');
  expect(res.text).not.toContain('href="/logout"');
}

function expectInvalidToken(res: Response): void {
  expect(res.status).toBe(401);
  expect(res.body).toEqual(expect.objectContaining({ error: 'invalid_token' }));
  expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
}

describe('forged and stale JWTs as the session cookie', () => {
  let v: Victim;
  beforeEach(async () => {
    v = await createVictim();
  });
  afterEach(() => v.t.close());

  it('a token rebuilt by hand from the genuine claims is accepted (so each case below fails for its one defect)', async () => {
    await withSessionCookie(v.t, '/private', signHs256(claimsFor(v, 'cookie'))).expect(200);
    await withSessionCookie(v.t, '/private', v.browser.token).expect(200);
  });

  it.each(ATTACKS)(
    '%s: /private redirects to /login and clears the cookie; / stays anonymous',
    async (_name, build) => {
      const token = await build(v, 'cookie');
      expectAnonymousAndCleared(await withSessionCookie(v.t, '/private', token));
      const home = await withSessionCookie(v.t, '/', token);
      expectAnonymousHome(home);
      expect(findSetCookie(home, 'session')).toMatch(CLEARED_SESSION_COOKIE);
    },
  );

  it('after logging out, a copy of the old cookie is anonymous', async () => {
    await v.browser.browser.get('/logout').expect(303);
    expectAnonymousAndCleared(await withSessionCookie(v.t, '/private', v.browser.token));
  });

  it('after "log out everywhere" from another browser, the cookie is anonymous', async () => {
    const second = await signInBrowser(v.t, v.browser.user);
    const page = await second.browser.get('/account').expect(200);
    await second.browser
      .post('/account/sessions/revoke-all')
      .type('form')
      .send({ _csrf: extractCsrfToken(page.text) })
      .expect(303);
    expectAnonymousAndCleared(await withSessionCookie(v.t, '/private', v.browser.token));
  });
});

describe('forged and stale JWTs as a Bearer token on /users/me', () => {
  let v: Victim;
  beforeEach(async () => {
    v = await createVictim();
  });
  afterEach(() => v.t.close());

  it('a token rebuilt by hand from the genuine claims is accepted (so each case below fails for its one defect)', async () => {
    await withBearer(v.t, signHs256(claimsFor(v, 'bearer'))).expect(200);
    await withBearer(v.t, v.api.token).expect(200);
  });

  it.each(ATTACKS)('%s: 401 invalid_token with WWW-Authenticate', async (_name, build) => {
    const token = await build(v, 'bearer');
    expectInvalidToken(await withBearer(v.t, token));
  });

  it('a token whose API session was revoked from the account page is refused', async () => {
    const page = await v.browser.browser.get('/account').expect(200);
    await v.browser.browser
      .post('/account/sessions/revoke')
      .type('form')
      .send({ _csrf: extractCsrfToken(page.text), session_id: v.api.sessionId })
      .expect(303);
    expectInvalidToken(await withBearer(v.t, v.api.token));
  });

  it.each([
    ['no Authorization header', undefined],
    ['an empty Bearer', 'Bearer '],
    ['Basic credentials', `Basic ${Buffer.from('a@example.com:pw').toString('base64')}`],
    ['the token without the Bearer scheme', 'TOKEN'],
    ['two Bearer tokens', 'Bearer TOKEN TOKEN'],
  ])('%s is refused with 401 invalid_token', async (_name, header) => {
    const req = request(v.t.app).get('/users/me');
    const value = header?.replaceAll('TOKEN', v.api.token);
    expectInvalidToken(await (value === undefined ? req : req.set('Authorization', value)));
  });

  it('a session cookie alone does not authenticate /users/me', async () => {
    expectInvalidToken(await withSessionCookie(v.t, '/users/me', v.browser.token));
  });
});

describe('stolen and planted sessions', () => {
  let v: Victim;
  beforeEach(async () => {
    v = await createVictim();
  });
  afterEach(() => v.t.close());

  it("after the owner changes the password, a thief's copy of the cookie and of the bearer token are refused", async () => {
    const owner = await signInBrowser(v.t, v.browser.user);
    const page = await owner.browser.get('/account').expect(200);
    await owner.browser
      .post('/account/password')
      .type('form')
      .send({
        _csrf: extractCsrfToken(page.text),
        current_password: TEST_PASSWORD,
        password: 'a brand new passphrase for this test',
        password_confirmation: 'a brand new passphrase for this test',
      })
      .expect(303);
    expectAnonymousAndCleared(await withSessionCookie(v.t, '/private', v.browser.token));
    expectInvalidToken(await withBearer(v.t, v.api.token));
  });

  it("logging in over a planted cookie (session fixation) issues a new session; the planted one stays the attacker's", async () => {
    const attacker = await signInBrowser(v.t, v.other);
    const victimBrowser = newBrowser(v.t.app);
    const page = await victimBrowser
      .get('/login')
      .set('Cookie', `session=${attacker.token}`)
      .expect(303);
    expect(page.headers.location).toBe('/private');
    const token = await fetchCsrfToken(victimBrowser, '/login');
    const res = await victimBrowser
      .post('/login')
      .set('Cookie', `session=${attacker.token}`)
      .type('form')
      .send({ _csrf: token, email: v.browser.user.email, password: TEST_PASSWORD });
    expect(res.status).toBe(303);
    const issued = cookieValue(findSetCookie(res, 'session'));
    expect(issued).toBeDefined();
    expect(issued).not.toBe(attacker.token);
    const mine = await withSessionCookie(v.t, '/private', issued ?? '').expect(200);
    expect(mine.text).toContain(`Hello, ${v.browser.user.fullName}`);
    const theirs = await withSessionCookie(v.t, '/private', attacker.token).expect(200);
    expect(theirs.text).toContain(`Hello, ${v.other.fullName}`);
  });
});

describe('two cookies named session in one Cookie header', () => {
  let v: Victim;
  beforeEach(async () => {
    v = await createVictim();
  });
  afterEach(() => v.t.close());

  const GARBAGE = ['garbage', 'a.b.c', '%FF%FE', 'j:{"sub":"1"}', '""'];

  function sendCookies(path: string, header: string) {
    return request(v.t.app).get(path).set('Cookie', header);
  }

  /** Either the valid session is used, or the request is anonymous (and the cookie cleared). */
  function expectValidOrAnonymous(res: Response): void {
    if (res.status === 200) {
      expect(res.text).toContain(`Hello, ${v.browser.user.fullName}`);
      return;
    }
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fprivate');
  }

  it.each(GARBAGE)(
    'session=%s; session=<valid> is anonymous or the valid session, never a 500',
    async (garbage) => {
      const header = `session=${garbage}; session=${v.browser.token}`;
      expectValidOrAnonymous(await sendCookies('/private', header));
      expect((await sendCookies('/', header)).status).toBe(200);
    },
  );

  it.each(GARBAGE)(
    'session=<valid>; session=%s is anonymous or the valid session, never a 500',
    async (garbage) => {
      const header = `session=${v.browser.token}; session=${garbage}`;
      expectValidOrAnonymous(await sendCookies('/private', header));
      expect((await sendCookies('/', header)).status).toBe(200);
    },
  );

  it("another user's forged cookie next to a valid one never shows the other user's page", async () => {
    const forged = signHs256({ ...claimsFor(v, 'cookie'), sub: String(v.other.id) });
    for (const header of [
      `session=${forged}; session=${v.browser.token}`,
      `session=${v.browser.token}; session=${forged}`,
    ]) {
      const res = await sendCookies('/private', header);
      expectValidOrAnonymous(res);
      expect(res.text).not.toContain(v.other.fullName);
    }
  });
});
