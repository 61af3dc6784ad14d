import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findLink, startSmtpServer, type TestSmtpServer } from '../helpers/smtp';
import { findSeriousViolations } from './support/axe';
import {
  isChromiumAvailable,
  launchChromium,
  openPage,
  screenshotBothWidths,
} from './support/chromium';
import { E2E_USER, freePort, startE2eApp, type E2eApp } from './support/gatehouse';

const describeInBrowser = isChromiumAvailable() ? describe : describe.skip;
jest.setTimeout(90_000);

const NEW_PASSWORD = 'difference engine blueprints';
const MAIL_FROM = 'Gatehouse <no-reply@gatehouse.example>';

async function expectHeading(page: Page, text: string): Promise<void> {
  await page.getByRole('heading', { level: 1, name: text }).waitFor({ timeout: 5000 });
}

/**
 * The password reset flow in Chromium against the built server in production
 * mode, with its mail going to a real SMTP server in this process.
 */
describeInBrowser('password reset in a real browser', () => {
  let smtp: TestSmtpServer;
  let app: E2eApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let consoleErrors: string[];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    const port = await freePort();
    [app, browser] = await Promise.all([
      startE2eApp({
        PORT: String(port),
        PUBLIC_URL: `http://localhost:${port}`,
        SMTP_URL: smtp.url,
        MAIL_FROM,
      }),
      launchChromium(),
    ]);
    expect(app.url).toBe(`http://localhost:${port}`);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await smtp?.close();
  });
  beforeEach(async () => {
    smtp.messages.length = 0;
    ({ context, page, consoleErrors } = await openPage(browser));
  });
  afterEach(() => context.close());

  /** axe-core (no serious or critical violation), no CSP error, and a screenshot. */
  async function check(name: string): Promise<void> {
    expect({ page: name, violations: await findSeriousViolations(page) }).toEqual({
      page: name,
      violations: [],
    });
    // The invalid-link page is a 400: its "Failed to load resource" line is expected.
    expect(consoleErrors.filter((text) => !text.includes('status of 4'))).toEqual([]);
    await screenshotBothWidths(page, name);
  }

  async function logIn(password: string): Promise<void> {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('E-mail address').fill(E2E_USER.email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForLoadState();
  }

  it('forgot password → e-mail → link → new password → logged in; the link then stops working', async () => {
    // The log-in page offers the way in.
    await page.goto(`${app.url}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(`${app.url}/password/forgot`);
    await expectHeading(page, 'Forgot your password?');
    await check('forgot-password');

    await page.getByLabel('E-mail address').fill(E2E_USER.email);
    await page.getByRole('button', { name: 'Send me a reset link' }).click();
    await expectHeading(page, 'Check your e-mail');
    expect(await page.getByRole('status').textContent()).toContain(E2E_USER.email);
    await check('forgot-password-sent');

    // The message arrives at the mail server, with a link on PUBLIC_URL.
    const [mail] = await smtp.waitForMessages(1, 10_000);
    if (!mail) throw new Error('no reset mail');
    expect(mail.parsed.subject).toBe('Reset your Gatehouse password');
    expect(mail.envelopeTo).toEqual([E2E_USER.email]);
    expect(mail.parsed.from?.value[0]?.address).toBe('no-reply@gatehouse.example');
    const link = findLink(mail, `${app.url}/password/reset/`);
    expect(link).toMatch(new RegExp(`^${app.url}/password/reset/[A-Za-z0-9_-]{43}$`));
    expect(mail.parsed.html).toContain(`href="${link}"`);

    // Opening it: the token leaves the address bar at once.
    await page.goto(link);
    await page.waitForURL(`${app.url}/password/reset`);
    expect(page.url()).toBe(`${app.url}/password/reset`);
    await expectHeading(page, 'Choose a new password');
    expect(await page.locator('main').textContent()).toContain(E2E_USER.email);
    await check('reset-password');

    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.waitForURL(`${app.url}/private`);
    await expectHeading(page, `Hello, ${E2E_USER.fullName}`);
    expect(await page.getByRole('status').textContent()).toContain(
      'Your new password is set and you are logged in.',
    );
    // No page seen after the link kept the token in its address.
    expect(page.url()).not.toContain(link.split('/').pop() ?? '');

    // The owner also hears that the password changed.
    const both = await smtp.waitForMessages(2, 10_000);
    expect(both[1]?.parsed.subject).toBe('Your Gatehouse password was changed');
    expect(both[1]?.envelopeTo).toEqual([E2E_USER.email]);

    await page.getByRole('link', { name: 'Log out' }).click();
    await page.waitForURL(`${app.url}/`);

    await logIn(E2E_USER.password);
    expect(await page.getByRole('alert').textContent()).toContain('Incorrect email or password');
    await logIn(NEW_PASSWORD);
    await page.waitForURL(`${app.url}/private`);
    await expectHeading(page, `Hello, ${E2E_USER.fullName}`);

    // The same link a second time.
    await page.goto(link);
    await expectHeading(page, 'This link does not work');
    expect(page.url()).toBe(`${app.url}/password/reset`);
    expect(await page.getByRole('link', { name: 'Send me a new link' }).getAttribute('href')).toBe(
      '/password/forgot',
    );
    await check('reset-link-invalid');
  });

  it('a broken link shows the same "This link does not work" page', async () => {
    const response = await page.goto(`${app.url}/password/reset/not-a-real-token`);
    expect(response?.status()).toBe(400);
    await expectHeading(page, 'This link does not work');
    expect(await findSeriousViolations(page)).toEqual([]);
  });

  it('an address without an account gets the same answer and no mail', async () => {
    await page.goto(`${app.url}/password/forgot`);
    await page.getByLabel('E-mail address').fill('nobody-here@example.com');
    await page.getByRole('button', { name: 'Send me a reset link' }).click();
    await expectHeading(page, 'Check your e-mail');
    const unknownText = (await page.getByRole('status').textContent()) ?? '';

    // Then one for a real account: only that one arrives.
    await page.goto(`${app.url}/password/forgot`);
    await page.getByLabel('E-mail address').fill(E2E_USER.email);
    await page.getByRole('button', { name: 'Send me a reset link' }).click();
    await expectHeading(page, 'Check your e-mail');
    const knownText = (await page.getByRole('status').textContent()) ?? '';
    expect(unknownText.replace('nobody-here@example.com', E2E_USER.email)).toBe(knownText);

    await smtp.waitForMessages(1, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.messages.map((mail) => mail.envelopeTo)).toEqual([[E2E_USER.email]]);
  });
});
