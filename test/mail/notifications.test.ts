import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Response } from 'supertest';
import { createApp } from '../../src/app';
import { createBackgroundTasks, type BackgroundTasks } from '../../src/background-tasks';
import { REDACTED_PATHS } from '../../src/logger';
import type { User } from '../../src/users/user';
import {
  fetchCsrfToken,
  logIn,
  newBrowser,
  type Agent,
  submitAccountForm,
} from '../helpers/browser';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

/**
 * Sign-up as closed deployments run it (CONFIRMATION=off): it logs in and
 * sends the welcome notice these tests read. The confirmation mails of the
 * default are tested in test/confirmation/confirmation-mail.test.ts.
 */
const WELCOME_ON_SIGNUP = { CONFIRMATION: 'off' };

/** createTestApp's PUBLIC_URL: every link in a message must start here. */
const PUBLIC_URL = 'http://gatehouse.test';
const FORGOT_LINK = `${PUBLIC_URL}/password/forgot`;
const ACCOUNT_LINK = `${PUBLIC_URL}/account`;
const NEW_PASSWORD = 'a brand new passphrase for me';
const SIGNUP_PASSWORD = 'sign up passphrase that is long';
/** supertest connects over loopback; Node may show it as an IPv4-mapped IPv6 address. */
const LOOPBACK = /^(?:::ffff:)?127\.0\.0\.1$/;

/** en-GB's own long UTC format: independent of how the app writes dates. */
const longUtc = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** "4 July 2031 at 09:05 UTC": the moment a notice describes. */
function expectedWhen(date: Date): string {
  return `${longUtc.format(date)} UTC`;
}

/** A message's plain-text body with runs of white space (line wrapping) made one space. */
function textOf(mail: ReceivedMail): string {
  return (mail.parsed.text ?? '').replace(/\s+/g, ' ');
}

function htmlOf(mail: ReceivedMail): string {
  const { html } = mail.parsed;
  if (typeof html !== 'string') throw new Error('the message has no HTML body');
  return html.replace(/\s+/g, ' ');
}

/** The first line of the plain-text body: the greeting. */
function greetingOf(mail: ReceivedMail): string | undefined {
  return (mail.parsed.text ?? '').split('\n')[0];
}

function subjectOf(mail: ReceivedMail): string | undefined {
  return mail.parsed.subject;
}

/** The one address in the To header. */
function toOf(mail: ReceivedMail): string | undefined {
  const to = mail.parsed.to;
  const first = Array.isArray(to) ? to[0] : to;
  return first?.value.map((address) => address.address).join(',');
}

/** The IP address a notice names ("from X."), checked to be supertest's loopback. */
function originIn(text: string): string {
  const ip = / from ([0-9a-f:.]+)\. /i.exec(text)?.[1];
  if (ip === undefined) throw new Error(`no "from <ip>." in: ${text}`);
  expect(ip).toMatch(LOOPBACK);
  return ip;
}

function signUp(
  browser: Agent,
  fields: { email: string; fullName: string; password?: string },
): Promise<Response> {
  return fetchCsrfToken(browser, '/signup').then((token) =>
    browser
      .post('/signup')
      .type('form')
      .send({
        _csrf: token,
        email: fields.email,
        full_name: fields.fullName,
        password: fields.password ?? SIGNUP_PASSWORD,
        password_confirmation: fields.password ?? SIGNUP_PASSWORD,
      }),
  );
}

async function signedIn(t: TestApp, user: User): Promise<Agent> {
  const browser = newBrowser(t.app);
  const res = await logIn(browser, user.email, TEST_PASSWORD);
  expect(res.status).toBe(303);
  return browser;
}

/** Every message the server received, once the app's background work has settled. */
async function deliveredAfterDrain(
  background: BackgroundTasks,
  smtp: TestSmtpServer,
): Promise<ReceivedMail[]> {
  await background.drain();
  return [...smtp.messages];
}

describe('account notices over SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeEach(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({ env: { SMTP_URL: smtp.url, ...WELCOME_ON_SIGNUP } });
    // Far from the real time: a notice must carry the app's clock, not the system's.
    t.clock.advanceMinutes(3 * 24 * 60 + 17);
  });
  afterEach(async () => {
    await t.close();
    await smtp.close();
  });

  it('sign-up sends one welcome message with when, from where, and the links on PUBLIC_URL', async () => {
    const res = await signUp(newBrowser(t.app), {
      email: 'New.Person@Example.com',
      fullName: 'New Person',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/private');
    const messages = await deliveredAfterDrain(t.background, smtp);
    expect(messages).toHaveLength(1);
    const [mail] = messages as [ReceivedMail];
    expect(subjectOf(mail)).toBe('Welcome to Gatehouse');
    expect(mail.envelopeTo).toEqual(['new.person@example.com']);
    expect(toOf(mail)).toBe('new.person@example.com');
    // Without MAIL_FROM (outside production) the development sender is used.
    expect(mail.parsed.from?.value[0]?.address).toBe('no-reply@localhost');

    const when = expectedWhen(t.clock.now());
    const text = textOf(mail);
    expect(greetingOf(mail)).toBe('Hello,');
    expect(text).not.toContain('New Person');
    expect(htmlOf(mail)).not.toContain('New Person');
    expect(text).toContain(`created for new.person@example.com on ${when}, from `);
    originIn(text);
    expect(text).toContain(FORGOT_LINK);
    expect(text).toContain(ACCOUNT_LINK);
    expect(text).toContain(`${PUBLIC_URL}/login`);
    const html = htmlOf(mail);
    expect(html).toContain(`<strong>${when}</strong>`);
    expect(html).toMatch(/<strong>(?:::ffff:)?127\.0\.0\.1<\/strong>/);
    expect(html).toContain(`href="${FORGOT_LINK}"`);
    expect(html).toContain(`href="${ACCOUNT_LINK}"`);
    // No link points anywhere but PUBLIC_URL (never the request's Host).
    for (const href of html.matchAll(/href="([^"]*)"/g)) {
      expect(href[1]).toMatch(new RegExp(`^${PUBLIC_URL.replace(/\./g, '\\.')}/`));
    }
  });

  it('a refused sign-up (e-mail already registered) sends nothing', async () => {
    await t.createUser({ email: 'taken@example.com' });
    const res = await signUp(newBrowser(t.app), { email: 'taken@example.com', fullName: 'Again' });
    expect(res.status).toBe(409);
    expect(await deliveredAfterDrain(t.background, smtp)).toEqual([]);
  });

  it('a password change sends "password was changed" with when, from where and what to do', async () => {
    const user = await t.createUser({ email: 'changer@example.com', fullName: 'Cheng Anger' });
    const browser = await signedIn(t, user);
    const res = await submitAccountForm(browser, '/account/password', {
      current_password: TEST_PASSWORD,
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
    const messages = await deliveredAfterDrain(t.background, smtp);
    expect(messages).toHaveLength(1);
    const [mail] = messages as [ReceivedMail];
    expect(subjectOf(mail)).toBe('Your Gatehouse password was changed');
    expect(mail.envelopeTo).toEqual(['changer@example.com']);
    const when = expectedWhen(t.clock.now());
    const text = textOf(mail);
    expect(greetingOf(mail)).toBe('Hello,');
    expect(text).not.toContain('Cheng Anger');
    expect(htmlOf(mail)).not.toContain('Cheng Anger');
    expect(text).toContain(`was changed on ${when}, from `);
    originIn(text);
    expect(text).toContain('If it was not you');
    expect(text).toContain(`Reset your password now: ${FORGOT_LINK}`);
    expect(text).toContain(`sessions and recent activity: ${ACCOUNT_LINK}`);
    expect(text).not.toContain(NEW_PASSWORD);
    const html = htmlOf(mail);
    expect(html).toContain(`<strong>${when}</strong>`);
    expect(html).toContain(`<a href="${FORGOT_LINK}">Reset your password now</a>`);
    expect(html).toContain(`href="${ACCOUNT_LINK}"`);
  });

  it('a refused password change (wrong current password) sends nothing', async () => {
    const user = await t.createUser();
    const browser = await signedIn(t, user);
    const res = await submitAccountForm(browser, '/account/password', {
      current_password: 'not the current password',
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    });
    expect(res.status).toBe(401);
    const invalid = await submitAccountForm(browser, '/account/password', {
      current_password: TEST_PASSWORD,
      password: NEW_PASSWORD,
      password_confirmation: 'does not match at all',
    });
    expect(invalid.status).toBe(400);
    expect(await deliveredAfterDrain(t.background, smtp)).toEqual([]);
  });

  it.each([
    {
      action: '/account/sessions/revoke-all',
      location: '/',
      wording: 'Every session of your Gatehouse account was logged out',
    },
    {
      action: '/account/sessions/revoke-others',
      location: '/account',
      wording: 'Every other session of your Gatehouse account was logged out',
    },
  ])('$action sends "sessions were logged out" saying "$wording"', async (scenario) => {
    const user = await t.createUser({ email: 'sessions@example.com' });
    const browser = await signedIn(t, user);
    await signedIn(t, user);
    const res = await submitAccountForm(browser, scenario.action);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(scenario.location);
    const messages = await deliveredAfterDrain(t.background, smtp);
    expect(messages).toHaveLength(1);
    const [mail] = messages as [ReceivedMail];
    expect(subjectOf(mail)).toBe('Your Gatehouse sessions were logged out');
    expect(mail.envelopeTo).toEqual(['sessions@example.com']);
    const when = expectedWhen(t.clock.now());
    const text = textOf(mail);
    expect(text).toContain(`${scenario.wording} on ${when}, from `);
    originIn(text);
    // "Every session" must not be said of revoke-others, nor "other" of revoke-all.
    if (scenario.action.endsWith('revoke-all')) expect(text).not.toContain('Every other');
    else expect(text).not.toContain('Every session of');
    expect(text).toContain(FORGOT_LINK);
    const html = htmlOf(mail);
    expect(html).toContain(`${scenario.wording} on <strong>${when}</strong>`);
    expect(html).toContain(`href="${FORGOT_LINK}"`);
  });

  it('the "sessions were logged out" notice also links to the account page (as every notice should)', async () => {
    const user = await t.createUser();
    const browser = await signedIn(t, user);
    expect((await submitAccountForm(browser, '/account/sessions/revoke-others')).status).toBe(303);
    const [mail] = (await deliveredAfterDrain(t.background, smtp)) as [ReceivedMail];
    expect(textOf(mail)).toContain(ACCOUNT_LINK);
    expect(htmlOf(mail)).toContain(`href="${ACCOUNT_LINK}"`);
  });

  it('logging out one session from the account page sends no notice', async () => {
    const user = await t.createUser();
    const sessionIds = async () =>
      (await t.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).map(
        (row) => row.id,
      );
    const browser = await signedIn(t, user);
    const own = await sessionIds();
    await signedIn(t, user);
    const other = (await sessionIds()).find((id) => !own.includes(id));
    expect(other).toBeDefined();
    const res = await submitAccountForm(browser, '/account/sessions/revoke', {
      session_id: other ?? '',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
    expect(await sessionIds()).toEqual(own);
    expect(await deliveredAfterDrain(t.background, smtp)).toEqual([]);
  });

  it('refuses a sign-up whose name carries a mail header ("Alice\\r\\nBcc: x@evil") with 400, and sends nothing', async () => {
    const res = await signUp(newBrowser(t.app), {
      email: 'alice@example.com',
      fullName: 'Alice\r\nBcc: x@evil.example',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Put your name on one line, without line breaks.');
    expect(await t.db.selectFrom('users').selectAll().execute()).toEqual([]);
    expect(await deliveredAfterDrain(t.background, smtp)).toEqual([]);
  });

  it('never makes a name read as our words: a sentence for a name is not the greeting, nor anywhere in the mail', async () => {
    const sentence =
      'Your account was compromised. Call +1 555 0100 now to keep it, Gatehouse security';
    expect([...sentence].length).toBeLessThanOrEqual(100);
    const res = await signUp(newBrowser(t.app), {
      email: 'target@example.com',
      fullName: sentence,
    });
    expect(res.status).toBe(303);
    const [mail] = (await deliveredAfterDrain(t.background, smtp)) as [ReceivedMail];
    expect(greetingOf(mail)).toBe('Hello,');
    for (const body of [textOf(mail), htmlOf(mail)]) {
      expect(body).not.toContain('compromised');
      expect(body).not.toContain('555 0100');
    }
  });

  it('leaves the name out of every message: welcome, password changed, sessions logged out, reset link', async () => {
    const name = 'Mallory <b>& Co</b>';
    const browser = newBrowser(t.app);
    expect((await signUp(browser, { email: 'm@example.com', fullName: name })).status).toBe(303);
    const changed = await submitAccountForm(browser, '/account/password', {
      current_password: SIGNUP_PASSWORD,
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    });
    expect(changed.status).toBe(303);
    expect((await submitAccountForm(browser, '/account/sessions/revoke-others')).status).toBe(303);
    const forgot = await fetchCsrfToken(browser, '/password/forgot');
    const reset = await browser
      .post('/password/forgot')
      .type('form')
      .send({ _csrf: forgot, email: 'm@example.com' });
    expect(reset.status).toBe(200);

    const messages = await deliveredAfterDrain(t.background, smtp);
    expect(messages.map(subjectOf).sort()).toEqual([
      'Reset your Gatehouse password',
      'Welcome to Gatehouse',
      'Your Gatehouse password was changed',
      'Your Gatehouse sessions were logged out',
    ]);
    for (const mail of messages) {
      expect(greetingOf(mail)).toBe('Hello,');
      expect(htmlOf(mail)).toContain('<p>Hello,</p>');
      for (const body of [textOf(mail), htmlOf(mail)]) {
        expect(body).not.toContain('Mallory');
      }
    }
  });
});

describe('without SMTP_URL (development and tests)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: WELCOME_ON_SIGNUP });
  });
  afterEach(() => t.close());

  it('a notice is written to the mailbox folder as an .eml file', async () => {
    const res = await signUp(newBrowser(t.app), { email: 'box@example.com', fullName: 'Box' });
    expect(res.status).toBe(303);
    await t.background.drain();
    const files = existsSync(t.mailDir)
      ? readdirSync(t.mailDir).filter((name) => name.endsWith('.eml'))
      : [];
    expect(files).toHaveLength(1);
    const mail = await simpleParser(readFileSync(path.join(t.mailDir, files[0] ?? '')));
    expect(mail.subject).toBe('Welcome to Gatehouse');
    expect(mail.text).toContain(FORGOT_LINK);
  });
});

/** The app of `t` again, with a logger whose lines the test can read. */
function withCapturedLog(t: TestApp): {
  app: ReturnType<typeof createApp>;
  background: BackgroundTasks;
  lines: () => Record<string, unknown>[];
  raw: () => string;
} {
  let raw = '';
  const logger = pino(
    { level: 'info', base: undefined, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    { write: (line: string) => (raw += line) },
  );
  const background = createBackgroundTasks(logger);
  const app = createApp({
    config: t.config,
    database: t.database,
    clock: t.clock,
    hasher: t.hasher,
    logger,
    background,
  });
  return {
    app,
    background,
    raw: () => raw,
    lines: () =>
      raw
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

// Each test here starts its own mail server and app, closed after it.
describe('with a mail server per test', () => {
  let smtp: TestSmtpServer | undefined;
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    await smtp?.close();
    t = undefined;
    smtp = undefined;
  });

  describe('the sender and the SMTP login', () => {
    it('puts MAIL_FROM in the From header', async () => {
      smtp = await startSmtpServer();
      t = await createTestApp({
        env: {
          SMTP_URL: smtp.url,
          MAIL_FROM: 'Gatehouse Alerts <alerts@example.org>',
          ...WELCOME_ON_SIGNUP,
        },
      });
      expect(
        (await signUp(newBrowser(t.app), { email: 'f@example.com', fullName: 'F' })).status,
      ).toBe(303);
      const [mail] = (await deliveredAfterDrain(t.background, smtp)) as [ReceivedMail];
      expect(mail.parsed.from?.value).toEqual([
        { address: 'alerts@example.org', name: 'Gatehouse Alerts' },
      ]);
    });

    it('logs in with the credentials in SMTP_URL (percent-encoded special characters included)', async () => {
      const credentials = { user: 'mailer@example.org', pass: 'p@ss:w/rd%&?' };
      smtp = await startSmtpServer({ credentials });
      t = await createTestApp({ env: { SMTP_URL: smtp.url, ...WELCOME_ON_SIGNUP } });
      const res = await signUp(newBrowser(t.app), { email: 'auth@example.com', fullName: 'Auth' });
      expect(res.status).toBe(303);
      const messages = await deliveredAfterDrain(t.background, smtp);
      expect(messages).toHaveLength(1);
      expect(messages[0]?.username).toBe(credentials.user);
      expect(messages[0]?.envelopeTo).toEqual(['auth@example.com']);
    });
  });

  describe('when mail cannot be sent', () => {
    it('wrong SMTP credentials: the page still succeeds, nothing is delivered, an error is logged without the password', async () => {
      const credentials = { user: 'mailer', pass: 'the-right-password' };
      smtp = await startSmtpServer({ credentials });
      const wrongUrl = new URL(smtp.url);
      wrongUrl.password = 'a-wrong-password';
      t = await createTestApp({ env: { SMTP_URL: wrongUrl.toString(), ...WELCOME_ON_SIGNUP } });
      const logged = withCapturedLog(t);

      const browser = newBrowser(logged.app);
      const res = await signUp(browser, { email: 'nomail@example.com', fullName: 'No Mail' });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/private');
      // The account exists and is logged in, whatever became of the mail.
      expect((await browser.get('/private')).status).toBe(200);

      await logged.background.drain();
      expect(smtp.messages).toHaveLength(0);
      const errors = logged.lines().filter((line) => line.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.msg).toBe('mail (signed-up) failed');
      expect(errors[0]?.err).toMatchObject({ code: 'EAUTH' });
      // Neither the password nor its AUTH PLAIN encoding reaches the log.
      const plain = Buffer.from('\0mailer\0a-wrong-password').toString('base64');
      expect(logged.raw()).not.toContain('a-wrong-password');
      expect(logged.raw()).not.toContain(plain);
    });

    it('a mail server that never answers does not hold up the page', async () => {
      const held = new Set<Socket>();
      const silent: Server = createServer((socket) => {
        held.add(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as AddressInfo;
      try {
        t = await createTestApp({
          env: { SMTP_URL: `smtp://127.0.0.1:${port}`, ...WELCOME_ON_SIGNUP },
        });
        const logged = withCapturedLog(t);
        const started = Date.now();
        const res = await signUp(newBrowser(logged.app), {
          email: 'slow@example.com',
          fullName: 'Slow',
        });
        expect(res.status).toBe(303);
        expect(Date.now() - started).toBeLessThan(5000);

        // The message is still waiting for the server's greeting after the answer.
        let isDrained = false;
        const draining = logged.background.drain().then(() => (isDrained = true));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(held.size).toBe(1);
        expect(isDrained).toBe(false);

        for (const socket of held) socket.destroy();
        await draining;
        expect(logged.lines().filter((line) => line.level === 50)).toHaveLength(1);
      } finally {
        for (const socket of held) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });
  });
});
