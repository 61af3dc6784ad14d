import { sql } from 'kysely';
import { createSecretBox } from '../../src/two-step/secret-box';
import { eachTestWithAppAndUser, signIn } from '../accounts/account-support';
import { extractCsrfToken, submitAccountForm } from '../helpers/browser';
import { TEST_SECRET } from '../helpers/test-app';
import {
  codeFor,
  enableTwoStep,
  nextStep,
  recoveryCodesIn,
  secretIn,
  startSetup,
  submitCode,
  twoStepRowOf,
} from './two-step-support';

describe('turning two-step sign-in on from the account page', () => {
  const given = eachTestWithAppAndUser();

  it('shows it off, with a button to turn it on', async () => {
    const { browser } = await signIn(given.t, given.user);
    const page = await browser.get('/account');
    expect(page.text).toContain('<h2 id="two-step-title">Two-step sign-in</h2>');
    expect(page.text).toContain('action="/account/two-step/setup"');
  });

  it('shows a server-drawn QR code and the secret as text, and is not on yet', async () => {
    const { t, user } = given;
    const { browser } = await signIn(t, user);
    const page = await startSetup(browser);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(
      /<img class="qr-code" src="data:image\/svg\+xml;base64,([A-Za-z0-9+/]|&#x3D;)+"/,
    );
    const secret = secretIn(page.text);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(page.text).toContain('autocomplete="one-time-code"');
    expect(page.text).not.toMatch(/<script/);
    expect((await twoStepRowOf(t, user))?.enabled_at).toBeNull();
    // Reloading shows the same secret: the QR code already scanned stays valid.
    expect(secretIn((await browser.get('/account/two-step/setup')).text)).toBe(secret);
  });

  it('refuses a wrong code (401) and changes nothing', async () => {
    const { t, user } = given;
    const { browser } = await signIn(t, user);
    const page = await startSetup(browser);
    const secret = secretIn(page.text);
    const wrong = String((Number(codeFor(t, secret)) + 1) % 1_000_000).padStart(6, '0');
    const res = await submitCode(browser, page, '/account/two-step/enable', wrong);
    expect(res.status).toBe(401);
    expect(res.text).toContain('That code is not right.');
    expect((await twoStepRowOf(t, user))?.enabled_at).toBeNull();
    const empty = await submitCode(browser, page, '/account/two-step/enable', '');
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Enter the code.');
    const long = await submitCode(browser, page, '/account/two-step/enable', '1'.repeat(65));
    expect(long.status).toBe(400);
  });

  it('turns on with the right code and shows ten recovery codes once', async () => {
    const { t, user } = given;
    const { browser } = await signIn(t, user);
    const page = await startSetup(browser);
    const secret = secretIn(page.text);
    const res = await submitCode(browser, page, '/account/two-step/enable', codeFor(t, secret));
    expect(res.status).toBe(200);
    const codes = recoveryCodesIn(res.text);
    expect(codes).toHaveLength(10);
    expect(res.text).toContain('download="gatehouse-recovery-codes.txt"');
    // Handlebars writes = as &#x3D; in attributes, which browsers read back as =.
    const shown = res.text.replace(/&#x3D;/g, '=');
    const href = /href="data:text\/plain;charset=utf-8;base64,([^"]+)"/.exec(shown)?.[1] ?? '';
    expect(Buffer.from(href, 'base64').toString('utf8')).toContain(codes[0]);
    expect((await twoStepRowOf(t, user))?.enabled_at).not.toBeNull();

    // Never again: not on the account page, not on the setup page.
    const account = await browser.get('/account');
    expect(account.text).not.toContain(codes[0]);
    expect(account.text).toMatch(/Recovery codes left<\/dt>\s*<dd>10<\/dd>/);
    expect(account.text).toMatch(/Recovery codes used<\/dt>\s*<dd>0<\/dd>/);
    const again = await browser.get('/account/two-step/setup');
    expect(again.status).toBe(303);
    const stored = await t.db.selectFrom('recovery_codes').select('code_hash').execute();
    expect(stored).toHaveLength(10);
    for (const row of stored)
      expect(codes.map((c) => c.replace(/-/g, ''))).not.toContain(row.code_hash);
  });

  it('stores the secret encrypted, not as the base32 text', async () => {
    const { t, user } = given;
    const { browser } = await signIn(t, user);
    const { secret } = await enableTwoStep(t, browser);
    const row = await twoStepRowOf(t, user);
    expect(row?.secret_sealed).toMatch(/^v1\./);
    expect(row?.secret_sealed).not.toContain(secret);
    const dump = await sql<Record<string, unknown>>`select * from two_step_credentials`.execute(
      t.db,
    );
    expect(JSON.stringify(dump.rows)).not.toContain(secret);
    // Sealed under a key derived from JWT_SECRET (no DATA_KEY set), bound to the user.
    expect(
      createSecretBox(TEST_SECRET).open(
        row?.secret_sealed ?? '',
        `two-step secret of user ${user.id}`,
      ),
    ).toBe(secret);
  });

  it('needs a recent login to start or finish the setup', async () => {
    const { t, user } = given;
    const { browser } = await signIn(t, user);
    const page = await startSetup(browser);
    t.clock.advanceMinutes(11);
    const res = await submitCode(
      browser,
      page,
      '/account/two-step/enable',
      codeFor(t, secretIn(page.text)),
    );
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/reauth?next=%2Faccount%2Ftwo-step%2Fsetup');
    expect((await twoStepRowOf(t, user))?.enabled_at).toBeNull();
    const start = await submitAccountForm(browser, '/account/two-step/setup');
    expect(start.headers.location).toBe('/reauth?next=%2Faccount');
    const view = await browser.get('/account/two-step/setup');
    expect(view.headers.location).toBe('/reauth?next=%2Faccount%2Ftwo-step%2Fsetup');
  });

  it('makes new recovery codes on request; the old ones stop counting', async () => {
    const { t, user } = given;
    const { browser } = await signIn(t, user);
    const { recoveryCodes } = await enableTwoStep(t, browser);
    const res = await submitAccountForm(browser, '/account/two-step/recovery-codes');
    expect(res.status).toBe(200);
    const fresh = recoveryCodesIn(res.text);
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes[0]);
    expect(await t.db.selectFrom('recovery_codes').select('id').execute()).toHaveLength(10);
  });
});

describe('turning two-step sign-in off', () => {
  const given = eachTestWithAppAndUser();

  it('needs a code, then removes the secret and every recovery code', async () => {
    const { t, user } = given;
    const { browser } = await signIn(t, user);
    const { secret } = await enableTwoStep(t, browser);
    const page = await browser.get('/account/two-step/disable');
    expect(page.status).toBe(200);
    const wrong = await submitCode(browser, page, '/account/two-step/disable', '000000');
    expect(wrong.status).toBe(401);
    expect(await twoStepRowOf(t, user)).toBeDefined();
    const noCode = await submitCode(browser, page, '/account/two-step/disable', '');
    expect(noCode.status).toBe(400);
    const res = await submitCode(browser, page, '/account/two-step/disable', codeFor(t, secret));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
    expect(await twoStepRowOf(t, user)).toBeUndefined();
    expect(await t.db.selectFrom('recovery_codes').select('id').execute()).toHaveLength(0);
    const account = await browser.get('/account');
    expect(account.text).toContain('Two-step sign-in is off.');
  });

  it('needs a recent login too: a stale session is sent to /reauth, and it stays on', async () => {
    const { t, user } = given;
    const { browser } = await signIn(t, user);
    const { secret } = await enableTwoStep(t, browser);
    const page = await browser.get('/account/two-step/disable');
    t.clock.advanceMinutes(11);
    const res = await submitCode(browser, page, '/account/two-step/disable', codeFor(t, secret));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/reauth?next=%2Faccount%2Ftwo-step%2Fdisable');
    expect((await twoStepRowOf(t, user))?.enabled_at).not.toBeNull();
    const view = await browser.get('/account/two-step/disable');
    expect(view.headers.location).toBe('/reauth?next=%2Faccount%2Ftwo-step%2Fdisable');
    // After the password again, the same code (its step unused) turns it off.
    const reauth = await browser.get('/reauth?next=%2Faccount%2Ftwo-step%2Fdisable');
    await browser
      .post('/reauth')
      .type('form')
      .send({
        _csrf: extractCsrfToken(reauth.text),
        password: 'a perfectly fine passphrase',
        next: '/account/two-step/disable',
      })
      .expect(303);
    nextStep(t);
    const again = await browser.get('/account/two-step/disable');
    const off = await submitCode(browser, again, '/account/two-step/disable', codeFor(t, secret));
    expect(off.status).toBe(303);
    expect(await twoStepRowOf(t, user)).toBeUndefined();
  });
});
