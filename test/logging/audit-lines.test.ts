import { Writable } from 'node:stream';
import pino from 'pino';
import { createApp } from '../../src/app';
import { createUserAdmin } from '../../src/users/users.admin';
import type { Express } from 'express';
import { fetchCsrfToken, logIn, newBrowser } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

interface AuditLine {
  audit: string;
  userId: number | null;
  ip: string | null;
}

/** A logger (at info) writing into memory, and the JSON lines it wrote. */
function captureLog() {
  let output = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString('utf8');
      done();
    },
  });
  const lines = () =>
    output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** The same app, but logging into memory. */
function appWithCapturedLog(t: TestApp): { app: Express; lines: () => Record<string, unknown>[] } {
  const { logger, lines } = captureLog();
  const app = createApp({
    config: t.config,
    database: t.database,
    clock: t.clock,
    logger,
    background: t.background,
  });
  return { app, lines };
}

const auditLines = (lines: Record<string, unknown>[]): AuditLine[] =>
  lines.filter((line) => typeof line.audit === 'string') as unknown as AuditLine[];

describe('audit log lines', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_LOGIN_EMAIL_IP: '2/15m' } });
  });
  afterEach(() => t.close());

  it('are written for login success, failure, throttling, logout, password change and revocation', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const { app, lines } = appWithCapturedLog(t);

    const browser = newBrowser(app);
    expect((await logIn(browser, user.email, TEST_PASSWORD)).status).toBe(303);
    const newPassword = 'another long passphrase here';
    const csrf = await fetchCsrfToken(browser, '/account');
    await browser.post('/account/password').type('form').send({
      _csrf: csrf,
      current_password: TEST_PASSWORD,
      password: newPassword,
      password_confirmation: newPassword,
    });
    await browser
      .post('/account/sessions/revoke-others')
      .type('form')
      .send({ _csrf: await fetchCsrfToken(browser, '/account') });
    await browser
      .post('/logout')
      .type('form')
      .send({ _csrf: await fetchCsrfToken(browser, '/account') });
    for (let i = 0; i < 3; i += 1) await logIn(newBrowser(app), user.email, 'wrong password here');

    const audits = auditLines(lines());
    expect(audits.map((line) => line.audit)).toEqual([
      'login_succeeded',
      'password_changed',
      'sessions_revoked',
      'logout',
      'login_failed',
      'login_failed',
      'login_throttled',
    ]);
    for (const line of audits) {
      expect(line.userId).toBe(user.id);
      expect(line.ip).toMatch(/127\.0\.0\.1/);
    }
    // Only ids and addresses: the passwords never reach the log.
    const all = JSON.stringify(lines());
    expect(all).not.toContain(TEST_PASSWORD);
    expect(all).not.toContain(newPassword);
  });

  it('are written for the administrator disabling an account', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const { logger, lines } = captureLog();
    const admin = createUserAdmin({
      db: t.db,
      hasher: t.hasher,
      clock: t.clock,
      policy: { minLength: t.config.passwordMinLength },
      accountMail: t.accountMail,
      logger,
    });
    await admin.setActive('ada@example.com', false);
    expect(auditLines(lines()).map((line) => line.audit)).toEqual(['account_disabled']);
  });
});
