import request from 'supertest';
import type { Response } from 'supertest';
import { isCommonPassword } from '../../src/auth/common-passwords';
import {
  type Agent,
  expectOnlyFreshCsrfTokens,
  extractCsrfToken,
  fetchCsrfToken,
  findSetCookie,
  logIn,
  newBrowser,
} from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

const GOOD_PASSWORD = 'analytical engine notes';
const WELCOME = 'Welcome! Your account is ready and you are logged in.';

interface SignupFields {
  email: string;
  full_name: string;
  password: string;
  password_confirmation: string;
}

const adaFields = (overrides: Partial<SignupFields> = {}): SignupFields => ({
  email: 'ada.lovelace@example.com',
  full_name: 'Ada Lovelace',
  password: GOOD_PASSWORD,
  password_confirmation: GOOD_PASSWORD,
  ...overrides,
});

/** Fills in the real sign-up form: GET /signup for the token, then POST it. */
async function signUp(browser: Agent, fields: Partial<SignupFields> = {}): Promise<Response> {
  const token = await fetchCsrfToken(browser, '/signup');
  return browser
    .post('/signup')
    .type('form')
    .send({ _csrf: token, ...adaFields(fields) });
}

/** The rows sign-up writes, counted. */
async function countRows(t: TestApp) {
  const count = async (table: 'users' | 'sessions' | 'auth_events') =>
    (await t.db.selectFrom(table).selectAll().execute()).length;
  return {
    users: await count('users'),
    sessions: await count('sessions'),
    events: await count('auth_events'),
  };
}

/** The `<input>` tag for a field, attributes and all. */
function inputTag(html: string, name: string): string {
  const match = new RegExp(`<input id="${name}"[^>]*>`).exec(html);
  if (!match) throw new Error(`no input ${name} in page`);
  return match[0];
}

describe('the sign-up form', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('asks for e-mail, full name, password and confirmation with autocomplete hints and a CSRF token', async () => {
    const res = await request(t.app).get('/signup').expect(200);
    expect(inputTag(res.text, 'email')).toMatch(/name="email" type="email" autocomplete="email"/);
    expect(inputTag(res.text, 'full_name')).toMatch(/name="full_name"[^>]*autocomplete="name"/);
    expect(inputTag(res.text, 'password')).toMatch(
      /name="password" type="password" autocomplete="new-password"/,
    );
    expect(inputTag(res.text, 'password_confirmation')).toMatch(
      /name="password_confirmation" type="password" autocomplete="new-password"/,
    );
    expect(res.text).toContain('action="/signup"');
    expect(extractCsrfToken(res.text)).toMatch(/\S{20,}/);
    expect(res.text).toContain('At least 12 characters');
  });

  it('sends a visitor who is already logged in on to the private page', async () => {
    const browser = newBrowser(t.app);
    const user = await t.createUser();
    expect((await logIn(browser, user.email, TEST_PASSWORD)).status).toBe(303);
    const res = await browser.get('/signup').expect(303);
    expect(res.headers.location).toBe('/private');
  });
});

// CONFIRMATION=off (closed deployments): sign-up logs straight in, as before
// confirmation existed. The default (required) is test/confirmation/.
describe('signing up with CONFIRMATION=off', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { CONFIRMATION: 'off' } });
  });
  afterEach(() => t.close());

  it('logs the new person in and sends them to the private page, which greets them', async () => {
    const browser = newBrowser(t.app);
    const res = await signUp(browser);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/private');
    const cookie = findSetCookie(res, 'session');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');

    const page = await browser.get('/private').expect(200);
    expect(page.text).toContain('Hello, Ada Lovelace');
    expect(page.text).toContain('ada.lovelace@example.com');
  });

  it('stores the e-mail trimmed and lower-cased, the name trimmed and an argon2id hash', async () => {
    await signUp(newBrowser(t.app), {
      email: '  Ada.Lovelace@Example.COM ',
      full_name: '   Ada Lovelace  ',
    });
    const rows = await t.db.selectFrom('users').selectAll().execute();
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row?.email).toBe('ada.lovelace@example.com');
    expect(row?.full_name).toBe('Ada Lovelace');
    expect(row?.password_hash).toMatch(/^\$argon2id\$/);
    expect(await t.hasher.verify(row?.password_hash ?? '', GOOD_PASSWORD)).toBe(true);
    expect(row?.password_hash).not.toContain(GOOD_PASSWORD);
  });

  it("records a 'signed_up' event and a browser session for the new account", async () => {
    await signUp(newBrowser(t.app));
    const user = await t.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    const events = await t.db.selectFrom('auth_events').selectAll().execute();
    expect(events).toEqual([
      expect.objectContaining({ user_id: user.id, type: 'signed_up', ip: expect.any(String) }),
    ]);
    const sessions = await t.db.selectFrom('sessions').selectAll().execute();
    expect(sessions).toEqual([expect.objectContaining({ user_id: user.id, kind: 'browser' })]);
  });

  it('shows the welcome message once: on the next page, not on the one after', async () => {
    const browser = newBrowser(t.app);
    const res = await signUp(browser);
    expect(res.headers.location).toBe('/private');
    expect(res.text).not.toContain(WELCOME);

    const next = await browser.get('/private').expect(200);
    expect(next.text).toContain(WELCOME);
    const after = await browser.get('/private').expect(200);
    expect(after.text).not.toContain(WELCOME);
  });

  it('renews the CSRF secret, as /login does: a token from the sign-up form is refused (403) afterwards', async () => {
    const browser = newBrowser(t.app);
    const oldToken = await fetchCsrfToken(browser, '/signup');
    const res = await browser
      .post('/signup')
      .type('form')
      .send({ _csrf: oldToken, ...adaFields() });
    expect(res.status).toBe(303);
    expect(findSetCookie(res, 'csrf')).toMatch(/^csrf=;.*Expires=Thu, 01 Jan 1970/);

    await expectOnlyFreshCsrfTokens(browser, oldToken);
  });

  it('counts a name in code points: 100 characters outside the Basic Multilingual Plane are accepted', async () => {
    const name = '\u{1D49C}'.repeat(100);
    expect(name).toHaveLength(200);
    const res = await signUp(newBrowser(t.app), { full_name: name });
    expect(res.status).toBe(303);
    const row = await t.db.selectFrom('users').select('full_name').executeTakeFirstOrThrow();
    expect(row.full_name).toBe(name);
  });

  it('can log in afterwards with the new e-mail and password', async () => {
    await signUp(newBrowser(t.app));
    const browser = newBrowser(t.app);
    const token = await fetchCsrfToken(browser);
    const res = await browser
      .post('/login')
      .type('form')
      .send({ _csrf: token, email: 'ada.lovelace@example.com', password: GOOD_PASSWORD });
    expect(res.status).toBe(303);
  });
});

describe('a refused sign-up', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const longPassword = 'correct horse battery staple '.repeat(9).slice(0, 257);
  const longName = 'Augusta Ada King, Countess of Lovelace, '.repeat(3);

  const refusals: { rule: string; fields: Partial<SignupFields>; message: string }[] = [
    {
      rule: 'a password shorter than 12 characters',
      fields: { password: 'short pass1', password_confirmation: 'short pass1' },
      message: 'Use at least 12 characters',
    },
    {
      rule: 'a password longer than 256 characters',
      fields: { password: longPassword, password_confirmation: longPassword },
      message: 'Use at most 256 characters.',
    },
    {
      rule: 'a common password of 12 characters or more',
      fields: { password: 'password1234', password_confirmation: 'password1234' },
      message: 'This password is one of the most commonly used',
    },
    {
      rule: "a password containing the e-mail's local part",
      fields: {
        password: 'hello ada.lovelace friend',
        password_confirmation: 'hello ada.lovelace friend',
      },
      message: 'Do not include your e-mail address in your password.',
    },
    {
      rule: 'a confirmation that does not match',
      fields: { password_confirmation: 'analytical engine notez' },
      message: 'The two passwords do not match.',
    },
    {
      rule: 'a malformed e-mail address',
      fields: { email: 'ada.lovelace-at-example.com' },
      message: 'Enter an e-mail address like name@example.com.',
    },
    {
      rule: 'an empty name',
      fields: { full_name: '   ' },
      message: 'Enter your full name.',
    },
    {
      rule: 'a name over 100 characters',
      fields: { full_name: longName },
      message: 'Use at most 100 characters for your name.',
    },
    {
      rule: 'a name with a line break that would start a mail header',
      fields: { full_name: 'Alice\r\nBcc: x@evil.example' },
      message: 'Put your name on one line, without line breaks.',
    },
    {
      rule: 'a name with a Unicode line separator (U+2028)',
      fields: { full_name: 'Alice\u2028Your account is locked' },
      message: 'Put your name on one line, without line breaks.',
    },
    {
      rule: 'a name with a tab',
      fields: { full_name: 'Ada\tLovelace' },
      message: 'Remove the control characters (such as tabs) from your name.',
    },
    {
      rule: 'a name with a C1 control character (U+009B)',
      fields: { full_name: 'Ada\u009b31mLovelace' },
      message: 'Remove the control characters (such as tabs) from your name.',
    },
    {
      rule: 'a name with a right-to-left override (U+202E)',
      fields: { full_name: 'Ada \u202eecalevoL' },
      message: 'Remove the invisible text-direction characters',
    },
    {
      rule: 'a name with a direction isolate (U+2067)',
      fields: { full_name: 'Ada \u2067Lovelace\u2069' },
      message: 'Remove the invisible text-direction characters',
    },
  ];

  it('uses a password from the common-password list for the common-password case', () => {
    expect(isCommonPassword('password1234')).toBe(true);
  });

  it.each(refusals)(
    'answers $rule with 400, says which rule failed and stores nothing',
    async ({ fields, message }) => {
      const res = await signUp(newBrowser(t.app), fields);
      expect(res.status).toBe(400);
      expect(res.text).toContain(message);
      expect(res.text).toContain('There is a problem');
      expect(findSetCookie(res, 'session')).toBeUndefined();
      expect(await countRows(t)).toEqual({ users: 0, sessions: 0, events: 0 });
    },
  );

  it.each(refusals)(
    'after $rule, keeps the e-mail and name in the form but never a password',
    async ({ fields }) => {
      const submitted = adaFields(fields);
      const res = await signUp(newBrowser(t.app), fields);
      expect(res.status).toBe(400);
      const keptEmail = submitted.email.trim().toLowerCase();
      expect(inputTag(res.text, 'email')).toContain(`value="${keptEmail}"`);
      const keptName = submitted.full_name.trim().slice(0, 100);
      // Compared with white space collapsed: the partial indents each line of a
      // value holding a line break (a browser shows an input's value on one line).
      const oneLine = (text: string) => text.replace(/\s+/g, ' ');
      const nameTag = oneLine(inputTag(res.text, 'full_name'));
      if (keptName === '') expect(nameTag).not.toContain('value=');
      else expect(nameTag).toContain(`value="${oneLine(keptName)}"`);
      expect(inputTag(res.text, 'password')).not.toContain('value=');
      expect(inputTag(res.text, 'password_confirmation')).not.toContain('value=');
      expect(res.text).not.toContain(submitted.password);
      expect(res.text).not.toContain(submitted.password_confirmation);
    },
  );

  it('marks only the failing field as invalid', async () => {
    const res = await signUp(newBrowser(t.app), { full_name: '' });
    expect(inputTag(res.text, 'full_name')).toContain('aria-invalid="true"');
    expect(inputTag(res.text, 'email')).not.toContain('aria-invalid');
    expect(res.text).toContain('href="#full_name"');
  });

  it('without a CSRF token is refused with 403 and stores nothing', async () => {
    const browser = newBrowser(t.app);
    await browser.get('/signup');
    for (const token of [undefined, 'wrong-token']) {
      const res = await browser
        .post('/signup')
        .type('form')
        .send({ ...(token === undefined ? {} : { _csrf: token }), ...adaFields() });
      expect(res.status).toBe(403);
      expect(findSetCookie(res, 'session')).toBeUndefined();
    }
    expect(await countRows(t)).toEqual({ users: 0, sessions: 0, events: 0 });
  });
});

describe('a raised PASSWORD_MIN_LENGTH', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { PASSWORD_MIN_LENGTH: '16' } });
  });
  afterEach(() => t.close());

  it('refuses a 15-character password that the default would accept', async () => {
    const fifteen = 'river stone map';
    expect([...fifteen]).toHaveLength(15);
    const res = await signUp(newBrowser(t.app), {
      password: fifteen,
      password_confirmation: fifteen,
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Use at least 16 characters');
    expect(await countRows(t)).toEqual({ users: 0, sessions: 0, events: 0 });
  });

  it('accepts 16 characters and says 16 in the hint', async () => {
    const page = await request(t.app).get('/signup').expect(200);
    expect(page.text).toContain('At least 16 characters');
    const res = await signUp(newBrowser(t.app), {
      password: 'river stone maps',
      password_confirmation: 'river stone maps',
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Check your inbox');
  });
});

describe('signing up with an e-mail that is already registered, with CONFIRMATION=off', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { CONFIRMATION: 'off' } });
  });
  afterEach(() => t.close());

  it('answers 409 with a clear message and changes nothing', async () => {
    await t.createUser({ email: 'ada.lovelace@example.com', fullName: 'The Real Ada' });
    const before = await t.db.selectFrom('users').selectAll().execute();

    const res = await signUp(newBrowser(t.app), { email: ' ADA.Lovelace@example.com' });
    expect(res.status).toBe(409);
    expect(res.text).toContain(
      'An account with this e-mail address already exists: log in instead.',
    );
    expect(inputTag(res.text, 'email')).toContain('value="ada.lovelace@example.com"');
    expect(inputTag(res.text, 'full_name')).toContain('value="Ada Lovelace"');
    expect(res.text).not.toContain(GOOD_PASSWORD);
    expect(findSetCookie(res, 'session')).toBeUndefined();

    expect(await t.db.selectFrom('users').selectAll().execute()).toEqual(before);
    expect(await countRows(t)).toEqual({ users: 1, sessions: 0, events: 0 });
  });

  it('lets the existing owner still log in with their own password', async () => {
    await t.createUser({ email: 'ada.lovelace@example.com' });
    await signUp(newBrowser(t.app));
    const browser = newBrowser(t.app);
    const token = await fetchCsrfToken(browser);
    const res = await browser
      .post('/login')
      .type('form')
      .send({ _csrf: token, email: 'ada.lovelace@example.com', password: TEST_PASSWORD });
    expect(res.status).toBe(303);
  });

  it('when two sign-ups race for one e-mail, makes exactly one account: one 303, one 409, no 500', async () => {
    const first = newBrowser(t.app);
    const second = newBrowser(t.app);
    const [firstToken, secondToken] = await Promise.all([
      fetchCsrfToken(first, '/signup'),
      fetchCsrfToken(second, '/signup'),
    ]);
    const post = (browser: Agent, token: string, fullName: string) =>
      browser
        .post('/signup')
        .type('form')
        .send({ _csrf: token, ...adaFields({ full_name: fullName }) });
    const answers = await Promise.all([
      post(first, firstToken, 'First Ada'),
      post(second, secondToken, 'Second Ada'),
    ]);

    expect(answers.map((res) => res.status).sort()).toEqual([303, 409]);
    const users = await t.db.selectFrom('users').selectAll().execute();
    expect(users).toHaveLength(1);
    const winner = answers.find((res) => res.status === 303);
    const winnerName = winner === answers[0] ? 'First Ada' : 'Second Ada';
    expect(users[0]?.full_name).toBe(winnerName);
    expect(await countRows(t)).toEqual({ users: 1, sessions: 1, events: 1 });
  });
});

describe('with SIGNUP=closed', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { SIGNUP: 'closed' } });
  });
  afterEach(() => t.close());

  it('answers GET /signup with 404', async () => {
    await request(t.app).get('/signup').expect(404);
  });

  it('answers a POST /signup carrying a valid CSRF token with 404 and stores nothing', async () => {
    const browser = newBrowser(t.app);
    const token = await fetchCsrfToken(browser, '/login');
    const res = await browser
      .post('/signup')
      .type('form')
      .send({ _csrf: token, ...adaFields() });
    expect(res.status).toBe(404);
    expect(await countRows(t)).toEqual({ users: 0, sessions: 0, events: 0 });
  });

  it('shows no "Sign up" link on the home and login pages', async () => {
    for (const page of ['/', '/login']) {
      const res = await request(t.app).get(page).expect(200);
      expect(res.text).not.toContain('href="/signup"');
      expect(res.text).not.toContain('Sign up');
    }
  });
});

describe('with sign-up open (the default)', () => {
  it('shows a "Sign up" link on the home and login pages', async () => {
    const t = await createTestApp();
    try {
      for (const page of ['/', '/login']) {
        const res = await request(t.app).get(page).expect(200);
        expect(res.text).toContain('<a href="/signup">Sign up</a>');
      }
    } finally {
      await t.close();
    }
  });
});
