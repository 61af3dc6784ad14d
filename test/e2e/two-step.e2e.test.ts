import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findSeriousViolations } from './support/axe';
import {
  isChromiumAvailable,
  launchChromium,
  openPage,
  screenshotBothWidths,
} from './support/chromium';
import { E2E_USER, startE2eApp, type E2eApp } from './support/gatehouse';

const describeInBrowser = isChromiumAvailable() ? describe : describe.skip;
jest.setTimeout(90_000);

/** What an authenticator app shows now, `steps` × 30 s ahead (the server accepts one step of drift). */
function codeFor(secret: string, steps = 0): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    timestamp: Date.now() + steps * 30_000,
  });
}

describeInBrowser('two-step sign-in in a real browser', () => {
  let app: E2eApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let consoleErrors: string[];

  beforeAll(async () => {
    [app, browser] = await Promise.all([startE2eApp(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    ({ context, page, consoleErrors } = await openPage(browser));
  });
  afterEach(() => context.close());

  /** axe-core (no serious or critical violation), no CSP error, and a screenshot. */
  async function check(name: string): Promise<void> {
    expect({ page: name, violations: await findSeriousViolations(page) }).toEqual({
      page: name,
      violations: [],
    });
    // A refused code is a 401: its "Failed to load resource" line is expected.
    expect(consoleErrors.filter((text) => !text.includes('status of 4'))).toEqual([]);
    await screenshotBothWidths(page, name);
  }

  async function enterPassword(): Promise<void> {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('E-mail address').fill(E2E_USER.email);
    await page.getByLabel('Password').fill(E2E_USER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForLoadState();
  }

  async function logOut(): Promise<void> {
    await page.getByRole('link', { name: 'Log out' }).click();
    await page.waitForURL(`${app.url}/`);
  }

  it('turns on with the key read from the page, then logs in with a code and with a recovery code', async () => {
    await enterPassword();
    await page.waitForURL(`${app.url}/private`);
    await page.goto(`${app.url}/account`);
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await page.waitForURL(`${app.url}/account/two-step/setup`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'Turn on two-step sign-in',
    );
    // The QR code is an image the browser drew from the data: URI (CSP allows it).
    const qrWidth = await page
      .locator('img.qr-code')
      .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    expect(qrWidth).toBeGreaterThan(0);
    await check('two-step-setup');

    // Typed, as a person would copy it into the app: the groups' spaces do not count.
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel('6-digit code').fill('000000' === codeFor(secret) ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('alert').textContent()).toContain('That code is not right.');
    await check('two-step-setup-error');
    await page.getByLabel('6-digit code').fill(codeFor(secret));
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await page.waitForURL(`${app.url}/account/two-step/enable`);
    const codes = (await page.locator('.recovery-codes code').allTextContents()).map((c) =>
      c.trim(),
    );
    expect(codes).toHaveLength(10);
    await check('recovery-codes');
    // The download is a text file holding the codes.
    const download = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download the codes (.txt)' }).click(),
    ]).then(([event]) => event);
    expect(download.suggestedFilename()).toBe('gatehouse-recovery-codes.txt');
    await page.getByRole('link', { name: 'I have saved my codes' }).click();
    await page.waitForURL(`${app.url}/account`);
    await check('account-two-step-on');
    await logOut();

    // Password, then the code: one step ahead, since the current one was just used.
    await enterPassword();
    await page.waitForURL(`${app.url}/login/two-step`);
    expect(await context.cookies()).not.toContainEqual(
      expect.objectContaining({ name: 'session' }),
    );
    await check('login-two-step');
    await page.getByLabel('6-digit code').fill('abcd-efgh-ijkl-mnop');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('alert').textContent()).toContain('not right or was already used');
    await check('login-two-step-error');
    await page.getByLabel('6-digit code').fill(codeFor(secret, 1));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${app.url}/private`);
    await logOut();

    // Password, then a recovery code.
    await enterPassword();
    await page.waitForURL(`${app.url}/login/two-step`);
    await page.getByLabel('6-digit code').fill(codes[0] ?? '');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${app.url}/private`);

    await page.goto(`${app.url}/account`);
    expect(await page.locator('#two-step-title + p').textContent()).toContain('On');
    await page.getByRole('link', { name: 'Turn off two-step sign-in' }).click();
    await page.waitForURL(`${app.url}/account/two-step/disable`);
    await check('two-step-disable');
    await page.getByLabel('6-digit code or recovery code').fill(codes[1] ?? '');
    await page.getByRole('button', { name: 'Turn off two-step sign-in' }).click();
    await page.waitForURL(`${app.url}/account`);
    expect(await page.getByRole('status').textContent()).toContain('Two-step sign-in is off.');
  });
});
