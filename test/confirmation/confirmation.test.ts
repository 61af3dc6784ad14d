import request from 'supertest';
import { fetchCsrfToken, findSetCookie, logIn, newBrowser, type Agent } from '../helpers/browser';
import {
  confirmationTokenFor,
  confirmWith,
  mailboxMessages,
  submitSignup,
  type SignupFields,
} from '../helpers/signup';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

const ADA: SignupFields = {
  email: 'ada@example.com',
  full_name: 'Ada Lovelace',
  password: 'analytical engine notes',
};
const CHECK_INBOX = 'Check your inbox';

/** Rows of the tables sign-up and confirmation write. */
async function counts(t: TestApp) {
  const count = async (table: 'users' | 'sessions' | 'email_confirmations') =>
    (await t.db.selectFrom(table).select('id').execute()).length;
  return {
    users: await count('users'),
    sessions: await count('sessions'),
    links: await count('email_confirmations'),
  };
}

async function userRow(t: TestApp, email: string) {
  return t.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

/** The page's body without what differs on every answer (the CSRF token, the address). */
function pageShape(html: string, email: string): string {
  return html.replace(/name="_csrf" value="[^"]+"/g, '').replaceAll(email, '<email>');
}

/** Posts the login form and returns the "send a new link" ticket the answer offers, if any. */
async function loginTicket(browser: Agent, email: string, password: string) {
  const res = await logIn(browser, email, password);
  return { res, ticket: /name="ticket" value="([^"]+)"/.exec(res.text)?.[1] };
}

async function resend(browser: Agent, ticket: string) {
  const csrf = await fetchCsrfToken(browser, '/login');
  return browser.post('/confirm/resend').type('form').send({ _csrf: csrf, ticket });
}

describe('sign-up with CONFIRMATION=required (the default)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('answers "Check your inbox" with the address, logs nobody in and mails a single-use link', async () => {
    const browser = newBrowser(t.app);
    const res = await submitSignup(browser, ADA);
    expect(res.status).toBe(200);
    expect(res.text).toContain(CHECK_INBOX);
    expect(res.text).toContain('We sent a link to <strong class="wrap">ada@example.com</strong>');
    expect(findSetCookie(res, 'session')).toBeUndefined();
    await browser.get('/private').expect(303);

    const mails = await mailboxMessages(t, ADA.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe('Confirm your Gatehouse account');
    expect(mails[0]?.text).toContain('within 24 hours');
    // No name in the mail: a stranger chose it.
    expect(mails[0]?.text).not.toContain('Ada Lovelace');

    const row = await userRow(t, ADA.email);
    expect(row?.email_confirmed_at).toBeNull();
    expect(await counts(t)).toEqual({ users: 1, sessions: 0, links: 1 });
    // Stored hashed: the token from the mail is nowhere in the table.
    const token = await confirmationTokenFor(t, ADA.email);
    const links = await t.db.selectFrom('email_confirmations').selectAll().execute();
    expect(JSON.stringify(links)).not.toContain(token);
    expect(links[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers a registered address with the same page and status, and mails its owner a notice instead', async () => {
    await t.createUser({ email: 'grace@example.com', fullName: 'Grace Hopper' });
    const fresh = await submitSignup(newBrowser(t.app), { ...ADA, email: 'new@example.com' });
    const taken = await submitSignup(newBrowser(t.app), { ...ADA, email: 'grace@example.com' });
    expect(taken.status).toBe(fresh.status);
    expect(pageShape(taken.text, 'grace@example.com')).toBe(
      pageShape(fresh.text, 'new@example.com'),
    );

    const notices = await mailboxMessages(t, 'grace@example.com');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.subject).toBe('Someone tried to sign up with your address');
    expect(notices[0]?.text).toContain('you already have an account');
    expect(notices[0]?.text).toContain('http://gatehouse.test/login');
    expect(notices[0]?.text).toContain('http://gatehouse.test/password/forgot');
    expect(notices[0]?.text).not.toContain('/confirm/');
    // The existing account is untouched: its password still works, the stranger's does not.
    expect((await logIn(newBrowser(t.app), 'grace@example.com', TEST_PASSWORD)).status).toBe(303);
    expect((await logIn(newBrowser(t.app), 'grace@example.com', ADA.password)).status).toBe(401);
  });

  it('confirming through the link logs the browser in, once; the link then stops working', async () => {
    const browser = newBrowser(t.app);
    await submitSignup(browser, ADA);
    const token = await confirmationTokenFor(t, ADA.email);

    // The token leaves the address at once, into a cookie only /confirm sees.
    const opened = await browser.get(`/confirm/${token}`).expect(303);
    expect(opened.headers.location).toBe('/confirm');
    expect(opened.headers['referrer-policy']).toBe('no-referrer');
    const cookie = findSetCookie(opened, 'confirm_token') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Path=\/confirm/);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const page = await browser.get('/confirm').expect(200);
    expect(page.text).toContain('Confirm and log in');
    expect(page.text).toContain('ada@example.com');
    // Showing the page uses nothing up (mail scanners fetch links).
    expect((await userRow(t, ADA.email))?.email_confirmed_at).toBeNull();

    const confirmed = await browser
      .post('/confirm')
      .type('form')
      .send({ _csrf: await fetchCsrfToken(browser, '/login') });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe('/private');
    const home = await browser.get('/private').expect(200);
    expect(home.text).toContain('Your e-mail address is confirmed and you are logged in.');
    expect((await userRow(t, ADA.email))?.email_confirmed_at).toBe(t.clock.now().toISOString());
    const events = await t.db.selectFrom('auth_events').select('type').execute();
    expect(events.map((event) => event.type).sort()).toEqual(['email_confirmed', 'signed_up']);

    // Single use: the same link in another browser does not work.
    const again = await confirmWith(newBrowser(t.app), token);
    expect(again.status).toBe(400);
    expect(again.text).toContain('This link does not work');
    expect(await counts(t)).toEqual({ users: 1, sessions: 1, links: 1 });
    // And the account now logs in with its password.
    expect((await logIn(newBrowser(t.app), ADA.email, ADA.password)).status).toBe(303);
  });

  it('refuses an expired link, a made-up one and a malformed one, changing nothing', async () => {
    await submitSignup(newBrowser(t.app), ADA);
    const token = await confirmationTokenFor(t, ADA.email);
    t.clock.advanceMinutes(24 * 60 + 1);
    const expired = await confirmWith(newBrowser(t.app), token);
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('This confirmation link has expired, was already used');

    const madeUp = await confirmWith(newBrowser(t.app), 'A'.repeat(43));
    expect(madeUp.status).toBe(400);
    const malformed = await newBrowser(t.app).get('/confirm/not-a-token').expect(400);
    expect(malformed.text).toContain('This link does not work');
    // No cookie, no link: the form posts to nothing.
    const bare = newBrowser(t.app);
    const csrf = await fetchCsrfToken(bare, '/login');
    await bare.post('/confirm').type('form').send({ _csrf: csrf }).expect(400);
    expect((await userRow(t, ADA.email))?.email_confirmed_at).toBeNull();
    expect((await counts(t)).sessions).toBe(0);
  });

  it('honours CONFIRM_TOKEN_MINUTES', async () => {
    const short = await createTestApp({ env: { CONFIRM_TOKEN_MINUTES: '30' } });
    try {
      await submitSignup(newBrowser(short.app), ADA);
      const mail = (await mailboxMessages(short, ADA.email))[0];
      expect(mail?.text).toContain('within 30 minutes');
      const token = await confirmationTokenFor(short, ADA.email);
      short.clock.advanceMinutes(31);
      expect((await confirmWith(newBrowser(short.app), token)).status).toBe(400);
    } finally {
      await short.close();
    }
  });

  it('an unconfirmed account cannot log in: the right password gets one message and a resend offer', async () => {
    await submitSignup(newBrowser(t.app), ADA);
    // The account is written after the answer (so that its timing tells nothing).
    await t.background.drain();
    const browser = newBrowser(t.app);
    const { res, ticket } = await loginTicket(browser, ADA.email, ADA.password);
    expect(res.status).toBe(403);
    expect(res.text).toContain('Confirm your e-mail address first');
    expect(res.text).toContain('Send a new link');
    expect(findSetCookie(res, 'session')).toBeUndefined();
    expect(ticket).toBeDefined();

    // A wrong password says only what it always says: no offer, nothing about the account.
    const wrong = await loginTicket(newBrowser(t.app), ADA.email, 'not the password at all');
    expect(wrong.res.status).toBe(401);
    expect(wrong.res.text).toContain('Incorrect email or password');
    expect(wrong.ticket).toBeUndefined();

    // The API refuses it too, with a clear description.
    const api = await request(t.app)
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', username: ADA.email, password: ADA.password });
    expect(api.status).toBe(400);
    expect(api.body).toEqual({
      error: 'invalid_grant',
      error_description:
        'Confirm your e-mail address first: open the link we sent when you signed up.',
    });
  });

  it('sends a new link from the login page; the newest link works, and it is throttled per address', async () => {
    await submitSignup(newBrowser(t.app), ADA);
    const first = await confirmationTokenFor(t, ADA.email);
    const browser = newBrowser(t.app);
    const { ticket } = await loginTicket(browser, ADA.email, ADA.password);
    const sent = await resend(browser, ticket ?? '');
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('We sent a new confirmation link');
    const second = await confirmationTokenFor(t, ADA.email);
    expect(second).not.toBe(first);
    expect(await mailboxMessages(t, ADA.email)).toHaveLength(2);

    // RATE_LIMIT_CONFIRM_MAIL (5/1h) counts every mail to the address: 2 sent, 3 more, then none.
    for (let i = 0; i < 5; i += 1) await resend(browser, ticket ?? '');
    expect(await mailboxMessages(t, ADA.email)).toHaveLength(5);

    expect((await confirmWith(browser, second)).status).toBe(303);
  });

  it('refuses a forged, altered or expired resend ticket, sending nothing', async () => {
    await submitSignup(newBrowser(t.app), ADA);
    const browser = newBrowser(t.app);
    const { ticket = '' } = await loginTicket(browser, ADA.email, ADA.password);
    const [id = '', expires = '', signature = ''] = ticket.split('.');
    for (const bad of ['', 'garbage', `${Number(id) + 1}.${expires}.${signature}`]) {
      const res = await resend(browser, bad);
      expect(res.status).toBe(400);
      expect(res.text).toContain('This page has expired');
    }
    t.clock.advanceMinutes(16);
    expect((await resend(browser, ticket)).status).toBe(400);
    expect(await mailboxMessages(t, ADA.email)).toHaveLength(1);
  });

  it('a second sign-up of an unconfirmed address gets its own link, which confirms with its own password', async () => {
    // A stranger signs up first with Ada's address (account pre-hijacking).
    await submitSignup(newBrowser(t.app), {
      ...ADA,
      full_name: 'Mallory',
      password: 'the stranger password',
    });
    const strangers = await confirmationTokenFor(t, ADA.email);
    const ada = newBrowser(t.app);
    const again = await submitSignup(ada, ADA);
    expect(again.status).toBe(200);
    const adas = await confirmationTokenFor(t, ADA.email);
    expect(adas).not.toBe(strangers);
    expect(await counts(t)).toEqual({ users: 1, sessions: 0, links: 2 });

    expect((await confirmWith(ada, adas)).status).toBe(303);
    const page = await ada.get('/private').expect(200);
    expect(page.text).toContain('Ada Lovelace');
    expect(page.text).not.toContain('Mallory');
    expect((await logIn(newBrowser(t.app), ADA.email, ADA.password)).status).toBe(303);
    expect((await logIn(newBrowser(t.app), ADA.email, 'the stranger password')).status).toBe(401);
    // The stranger's link was voided by the confirmation.
    expect((await confirmWith(newBrowser(t.app), strangers)).status).toBe(400);
  });

  it('a password reset confirms the address too (the link reached the mailbox)', async () => {
    await submitSignup(newBrowser(t.app), ADA);
    await t.background.drain();
    const admin = t.userAdmin();
    const user = await admin.findUser(ADA.email);
    expect(user.emailConfirmedAt).toBeNull();
    const browser = newBrowser(t.app);
    const csrf = await fetchCsrfToken(browser, '/password/forgot');
    await browser.post('/password/forgot').type('form').send({ _csrf: csrf, email: ADA.email });
    const mails = await mailboxMessages(t, ADA.email);
    const resetToken = /\/password\/reset\/([A-Za-z0-9_-]{43})/.exec(mails.at(-1)?.text ?? '')?.[1];
    await browser.get(`/password/reset/${resetToken ?? ''}`);
    const form = await fetchCsrfToken(browser, '/password/forgot');
    const newPassword = 'a reset and confirmed passphrase';
    const reset = await browser
      .post('/password/reset')
      .type('form')
      .send({ _csrf: form, password: newPassword, password_confirmation: newPassword });
    expect(reset.status).toBe(303);
    expect((await admin.findUser(ADA.email)).emailConfirmedAt).not.toBeNull();
    expect((await logIn(newBrowser(t.app), ADA.email, newPassword)).status).toBe(303);
  });

  it('accounts the admin CLI creates are confirmed and log in at once', async () => {
    const user = await t
      .userAdmin()
      .addUser({ email: 'grace@example.com', fullName: 'Grace Hopper', password: TEST_PASSWORD });
    expect(user.emailConfirmedAt).not.toBeNull();
    expect((await logIn(newBrowser(t.app), 'grace@example.com', TEST_PASSWORD)).status).toBe(303);
  });
});

describe('sign-up without mail', () => {
  it('is closed in production without SMTP_URL when confirmation is required', async () => {
    const t = await createTestApp({ env: { NODE_ENV: 'production', COOKIE_SECURE: 'false' } });
    try {
      await request(t.app).get('/signup').expect(404);
      const login = await request(t.app).get('/login').expect(200);
      expect(login.text).not.toContain('href="/signup"');
    } finally {
      await t.close();
    }
  });

  it('stays open with CONFIRMATION=off, logging straight in', async () => {
    const t = await createTestApp({
      env: { NODE_ENV: 'production', COOKIE_SECURE: 'false', CONFIRMATION: 'off' },
    });
    try {
      const res = await submitSignup(newBrowser(t.app), ADA);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/private');
    } finally {
      await t.close();
    }
  });
});
