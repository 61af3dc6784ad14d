import request from 'supertest';
import type { Response } from 'supertest';
import {
  extractCsrfToken,
  fetchCsrfToken,
  findSetCookie,
  newBrowser,
  type Agent,
} from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { CSRF_EXPIRED, signInBrowser, snapshotDatabase, type SignedIn } from './attack-kit';

const NEW_PASSWORD = 'a brand new passphrase for this test';

/** The browser under attack, the form page it would hold a token from, and what it posts. */
interface Target {
  browser: Agent;
  page: string;
  body: Record<string, string>;
  /** What a correct submission answers, to show each refusal is about the token alone. */
  acceptedStatus: number;
}

interface RouteCase {
  path: string;
  setUp(t: TestApp): Promise<Target>;
}

/** A signed-in browser that also has a second session (so revoking one is a change). */
async function signedInWithTwoSessions(t: TestApp): Promise<{ me: SignedIn; second: SignedIn }> {
  const me = await signInBrowser(t);
  const second = await signInBrowser(t, me.user);
  return { me, second };
}

const ROUTES: RouteCase[] = [
  {
    path: '/login',
    async setUp(t) {
      const user = await t.createUser();
      return {
        browser: newBrowser(t.app),
        page: '/login',
        body: { email: user.email, password: TEST_PASSWORD },
        acceptedStatus: 303,
      };
    },
  },
  {
    path: '/logout',
    async setUp(t) {
      const { me } = await signedInWithTwoSessions(t);
      return { browser: me.browser, page: '/account', body: {}, acceptedStatus: 303 };
    },
  },
  {
    path: '/signup',
    async setUp(t) {
      return {
        browser: newBrowser(t.app),
        page: '/signup',
        body: {
          email: 'newcomer@example.com',
          full_name: 'New Comer',
          password: NEW_PASSWORD,
          password_confirmation: NEW_PASSWORD,
        },
        // "Check your inbox": the account follows after the answer.
        acceptedStatus: 200,
      };
    },
  },
  {
    path: '/account/password',
    async setUp(t) {
      const { me } = await signedInWithTwoSessions(t);
      return {
        browser: me.browser,
        page: '/account',
        body: {
          current_password: TEST_PASSWORD,
          password: NEW_PASSWORD,
          password_confirmation: NEW_PASSWORD,
        },
        acceptedStatus: 303,
      };
    },
  },
  {
    path: '/account/sessions/revoke',
    async setUp(t) {
      const { me, second } = await signedInWithTwoSessions(t);
      return {
        browser: me.browser,
        page: '/account',
        body: { session_id: second.sessionId },
        acceptedStatus: 303,
      };
    },
  },
  {
    path: '/account/sessions/revoke-others',
    async setUp(t) {
      const { me } = await signedInWithTwoSessions(t);
      return { browser: me.browser, page: '/account', body: {}, acceptedStatus: 303 };
    },
  },
  {
    path: '/account/sessions/revoke-all',
    async setUp(t) {
      const { me } = await signedInWithTwoSessions(t);
      return { browser: me.browser, page: '/account', body: {}, acceptedStatus: 303 };
    },
  },
];

type Forgery = [
  string,
  (t: TestApp, target: Target, path: string) => Promise<Response> | PromiseLike<Response>,
];

const post = (target: Target, path: string) => target.browser.post(path).type('form');

const FORGERIES: Forgery[] = [
  ['no token at all', (_t, target, path) => post(target, path).send(target.body)],
  [
    'a made-up token',
    (_t, target, path) => post(target, path).send({ ...target.body, _csrf: 'wrong-token' }),
  ],
  [
    "a token minted for another browser's secret",
    async (t, target, path) => {
      await target.browser.get(target.page);
      const attackerToken = await fetchCsrfToken(newBrowser(t.app), '/login');
      return post(target, path).send({ ...target.body, _csrf: attackerToken });
    },
  ],
  [
    'a valid token in the query string only',
    async (_t, target, path) => {
      const token = await fetchCsrfToken(target.browser, target.page);
      return post(target, `${path}?_csrf=${encodeURIComponent(token)}`).send(target.body);
    },
  ],
  [
    'a valid token in an X-CSRF-Token header only',
    async (_t, target, path) => {
      const token = await fetchCsrfToken(target.browser, target.page);
      return post(target, path).set('X-CSRF-Token', token).send(target.body);
    },
  ],
  [
    'a valid token in a text/plain body (what an enctype=text/plain form sends)',
    async (_t, target, path) => {
      const token = await fetchCsrfToken(target.browser, target.page);
      const fields = { ...target.body, _csrf: token };
      const text = Object.entries(fields)
        .map(([key, value]) => `${key}=${value}`)
        .join('\n');
      return target.browser.post(path).set('Content-Type', 'text/plain').send(text);
    },
  ],
  [
    'a valid token in a JSON body',
    async (_t, target, path) => {
      const token = await fetchCsrfToken(target.browser, target.page);
      return target.browser
        .post(path)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ ...target.body, _csrf: token }));
    },
  ],
];

function expectCsrfRefusal(res: Response): void {
  expect(res.status).toBe(403);
  expect(res.text).toContain(CSRF_EXPIRED);
  const sessionCookie = findSetCookie(res, 'session');
  // A refused form neither logs in nor out.
  expect(sessionCookie).toBeUndefined();
}

describe.each(ROUTES)('a cross-site POST $path', ({ path, setUp }) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('is accepted with the browser’s own token in the form body (the control)', async () => {
    const target = await setUp(t);
    const token = await fetchCsrfToken(target.browser, target.page);
    const res = await post(target, path).send({ ...target.body, _csrf: token });
    expect(res.status).toBe(target.acceptedStatus);
  });

  it.each(FORGERIES)(
    'with %s is refused with 403 "This form has expired" and changes nothing',
    async (_name, forge) => {
      const target = await setUp(t);
      const before = await snapshotDatabase(t);
      expectCsrfRefusal(await forge(t, target, path));
      expect(await snapshotDatabase(t)).toEqual(before);
    },
  );
});

describe('login CSRF (logging a victim into the attacker’s account)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('a browser that never visited the site cannot be logged in with a token the attacker fetched', async () => {
    const attacker = await t.createUser({ email: 'attacker@example.com' });
    const attackerToken = await fetchCsrfToken(newBrowser(t.app), '/login');
    const victim = newBrowser(t.app);
    const before = await snapshotDatabase(t);
    const res = await victim
      .post('/login')
      .type('form')
      .send({ _csrf: attackerToken, email: attacker.email, password: TEST_PASSWORD });
    expectCsrfRefusal(res);
    expect(await snapshotDatabase(t)).toEqual(before);
    expect((await victim.get('/private')).status).toBe(303);
  });
});

describe('the CSRF secret after login', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('a token from the anonymous login page no longer works once logged in', async () => {
    const user = await t.createUser();
    const browser = newBrowser(t.app);
    const oldToken = await fetchCsrfToken(browser, '/login');
    await browser
      .post('/login')
      .type('form')
      .send({ _csrf: oldToken, email: user.email, password: TEST_PASSWORD })
      .expect(303);
    const before = await snapshotDatabase(t);
    const res = await browser.post('/account/sessions/revoke-all').type('form').send({
      _csrf: oldToken,
    });
    expectCsrfRefusal(res);
    expect(await snapshotDatabase(t)).toEqual(before);
  });
});

describe('a planted CSRF cookie', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('with a string value is just a wrong secret: tokens made for it are refused for anyone else', async () => {
    const page = await request(t.app).get('/login').set('Cookie', 'csrf=planted-by-attacker');
    expect(page.status).toBe(200);
    const user = await t.createUser();
    const res = await request(t.app)
      .post('/login')
      .type('form')
      .send({ _csrf: extractCsrfToken(page.text), email: user.email, password: TEST_PASSWORD });
    expectCsrfRefusal(res);
  });

  it.each(['j:1', 'j:{}', 'j:[1]'])(
    'with a JSON-looking value (csrf=%s) gets a fresh secret instead of a 500',
    async (planted) => {
      for (const page of ['/login', '/signup']) {
        const res = await request(t.app).get(page).set('Cookie', `csrf=${planted}`);
        expect(res.status).toBe(200);
        expect(findSetCookie(res, 'csrf')).toMatch(/^csrf=[A-Za-z0-9_-]{10,};/);
      }
    },
  );
});

describe('GET /logout from another site', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it.each(['cross-site', 'same-site'])(
    'with Sec-Fetch-Site: %s (an <img> or link elsewhere) only asks for confirmation',
    async (site) => {
      const { browser } = await signInBrowser(t);
      const before = await snapshotDatabase(t);
      const res = await browser.get('/logout').set('Sec-Fetch-Site', site);
      expect(res.status).toBe(200);
      expect(findSetCookie(res, 'session')).toBeUndefined();
      expect(await snapshotDatabase(t)).toEqual(before);
      await browser.get('/private').expect(200);
    },
  );
});

describe('Bearer routes', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('POST /token needs no CSRF token, reads no cookie and sets none', async () => {
    const user = await t.createUser();
    const res = await request(t.app)
      .post('/token')
      .set('Cookie', 'csrf=whatever; session=whatever')
      .type('form')
      .send({ grant_type: 'password', username: user.email, password: TEST_PASSWORD })
      .expect(200);
    expect(typeof res.body.access_token).toBe('string');
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});
