import type { User } from '../../src/users/user';
import { signIn } from '../accounts/account-support';
import { logIn, newBrowser } from '../helpers/browser';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { codeFor, enableTwoStep, submitCode, twoStepRowOf } from './two-step-support';

/** A message's plain-text body with line wrapping undone. */
const textOf = (mail: ReceivedMail | undefined) => (mail?.parsed.text ?? '').replace(/\s+/g, ' ');

async function eventTypesOf(t: TestApp, user: User): Promise<string[]> {
  const rows = await t.db
    .selectFrom('auth_events')
    .select('type')
    .where('user_id', '=', user.id)
    .orderBy('id')
    .execute();
  return rows.map((row) => row.type);
}

describe('two-step notices (over real SMTP) and the audit trail', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let user: User;
  beforeEach(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'gatehouse@example.com' } });
    user = await t.createUser({ email: 'ada@example.com' });
  });
  afterEach(async () => {
    await t.close();
    await smtp.close();
  });

  async function received(count: number): Promise<ReceivedMail[]> {
    await t.background.drain();
    return smtp.waitForMessages(count);
  }

  it('mails the owner when two-step goes on, when a recovery code is used and when it goes off', async () => {
    const { browser } = await signIn(t, user);
    const { secret, recoveryCodes } = await enableTwoStep(t, browser);
    const [on] = await received(1);
    expect(on?.envelopeTo).toEqual(['ada@example.com']);
    expect(on?.parsed.subject).toBe('Two-step sign-in is on for your Gatehouse account');
    expect(textOf(on)).toContain('Two-step sign-in was turned on for your Gatehouse account on');
    expect(textOf(on)).toContain('http://gatehouse.test/password/forgot');
    expect(on?.parsed.html).toContain('Two-step sign-in was turned on');

    const other = newBrowser(t.app);
    await logIn(other, user.email, TEST_PASSWORD);
    const page = await other.get('/login/two-step');
    expect((await submitCode(other, page, '/login/two-step', recoveryCodes[0] ?? '')).status).toBe(
      303,
    );
    const [, used] = await received(2);
    expect(used?.parsed.subject).toBe('A recovery code was used on your Gatehouse account');
    expect(textOf(used)).toContain('You have 9 unused recovery code(s) left.');
    expect(textOf(used)).not.toContain(recoveryCodes[0]);

    const disable = await browser.get('/account/two-step/disable');
    expect(
      (await submitCode(browser, disable, '/account/two-step/disable', codeFor(t, secret))).status,
    ).toBe(303);
    const [, , off] = await received(3);
    expect(off?.parsed.subject).toBe('Two-step sign-in was turned off for your Gatehouse account');
    expect(textOf(off)).toContain('Logging in now needs only your password');
    for (const mail of smtp.messages) {
      expect(mail.parsed.text).not.toContain(secret);
      expect(mail.parsed.html).not.toContain(secret);
    }

    expect(await eventTypesOf(t, user)).toEqual(
      expect.arrayContaining(['two_step_enabled', 'recovery_code_used', 'two_step_disabled']),
    );
    const account = await browser.get('/account');
    expect(account.text).toContain('Two-step sign-in turned on');
  });

  it('records wrong codes in the audit trail', async () => {
    const { browser } = await signIn(t, user);
    await enableTwoStep(t, browser);
    const other = newBrowser(t.app);
    await logIn(other, user.email, TEST_PASSWORD);
    const page = await other.get('/login/two-step');
    expect((await submitCode(other, page, '/login/two-step', 'aaaa-bbbb-cccc-dddd')).status).toBe(
      401,
    );
    expect(await eventTypesOf(t, user)).toContain('two_step_failed');
  });

  it('user reset-2fa turns it off, ends every session and tells the owner', async () => {
    const { browser } = await signIn(t, user);
    await signIn(t, user);
    await enableTwoStep(t, browser);
    const result = await t.userAdmin().resetTwoStep('ADA@example.com');
    expect(result).toMatchObject({ wasOn: true, revoked: 2 });
    expect(await twoStepRowOf(t, user)).toBeUndefined();
    expect(await t.db.selectFrom('sessions').select('id').execute()).toHaveLength(0);
    expect(await t.db.selectFrom('recovery_codes').select('id').execute()).toHaveLength(0);
    expect((await browser.get('/private')).status).toBe(303);
    expect(await eventTypesOf(t, user)).toContain('two_step_reset');
    const [, reset] = await received(2);
    expect(reset?.parsed.subject).toBe(
      'Two-step sign-in was turned off for your Gatehouse account',
    );
    expect(textOf(reset)).toContain('by the Gatehouse administrator (command line)');
    // The password alone logs in again.
    const res = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD);
    expect(res.headers.location).toBe('/private');
    const listed = await t.userAdmin().listUsers();
    expect(listed.map((u) => u.isTwoStepOn)).toEqual([false]);
  });

  it('user list shows who has two-step on', async () => {
    await t.createUser({ email: 'grace@example.com' });
    const { browser } = await signIn(t, user);
    await enableTwoStep(t, browser);
    const listed = await t.userAdmin().listUsers();
    expect(listed.map((u) => [u.email, u.isTwoStepOn])).toEqual([
      ['ada@example.com', true],
      ['grace@example.com', false],
    ]);
  });
});
