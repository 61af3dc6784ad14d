import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findSeriousViolations } from './support/axe';
import {
  isChromiumAvailable,
  launchChromium,
  openPage,
  screenshotBothWidths,
} from './support/chromium';
import { findLink } from '../helpers/smtp';
import { E2E_USER, startE2eApp, type E2eApp } from './support/gatehouse';

const describeInBrowser = isChromiumAvailable() ? describe : describe.skip;
jest.setTimeout(90_000);

/**
 * Every page, anonymous and logged in: no serious or critical axe-core
 * violation, no CSP violation in the console, and a screenshot at desktop
 * width and at 375 px in test/e2e/screenshots/.
 */
describeInBrowser('every page, checked with axe-core and photographed', () => {
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

  async function check(name: string): Promise<void> {
    expect(await findSeriousViolations(page)).toEqual([]);
    // Responsive down to 320 px: nothing sticks out sideways.
    const original = page.viewportSize() ?? { width: 1280, height: 800 };
    await page.setViewportSize({ width: 320, height: 640 });
    const overflow = await page.evaluate(() => {
      const root = (
        globalThis as unknown as {
          document: { documentElement: { scrollWidth: number; clientWidth: number } };
        }
      ).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect({ page: name, overflow }).toEqual({ page: name, overflow: 0 });
    await page.setViewportSize(original);
    // A CSP violation (inline style, foreign script) shows up as a console error.
    expect(consoleErrors.filter((text) => !text.includes('status of 4'))).toEqual([]);
    await screenshotBothWidths(page, name);
  }

  async function submitLogin(password: string): Promise<void> {
    await page.getByLabel('E-mail address').fill(E2E_USER.email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForLoadState();
  }

  it('the accessibility check itself finds a serious violation when there is one', async () => {
    await page.goto(`${app.url}/`);
    // An image without alt text and a form field without a label.
    await page.setContent('<main><img src="/favicon.svg"><input type="text"></main>');
    const found = (await findSeriousViolations(page)).map((violation) => violation.id);
    expect(found).toEqual(expect.arrayContaining(['image-alt', 'label']));
  });

  it('anonymous pages', async () => {
    await page.goto(`${app.url}/`);
    await check('home-anonymous');
    await page.goto(`${app.url}/login`);
    await check('login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('link', { name: 'Enter your e-mail address.' }).count()).toBe(1);
    await check('login-missing-fields');
    await page.goto(`${app.url}/login`);
    await submitLogin('not the right password');
    await check('login-error');
    await page.goto(`${app.url}/signup`);
    await check('signup');
    await page.getByLabel('E-mail address').fill('not-an-address');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForLoadState();
    expect(await page.getByLabel('E-mail address').getAttribute('aria-invalid')).toBe('true');
    await check('signup-errors');
    await page.goto(`${app.url}/no-such-page`);
    await check('not-found');
  });

  it('the confirmation pages: check your inbox, confirm, unconfirmed login, new link, dead link', async () => {
    const email = 'newcomer@example.com';
    const password = 'a passphrase for the pages';
    await page.goto(`${app.url}/signup`);
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Full name').fill('New Comer');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Confirm password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
    await check('check-inbox');
    const [mail] = await (app.smtp?.waitForMessages(1) ?? Promise.resolve([]));
    if (!mail) throw new Error('no confirmation mail');

    await page.goto(`${app.url}/login`);
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Send a new link' }).waitFor();
    await check('login-unconfirmed');
    await page.getByRole('button', { name: 'Send a new link' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
    await check('confirm-resent');

    await page.goto(findLink(mail, `${app.url}/confirm/`));
    await page.getByRole('button', { name: 'Confirm and log in' }).waitFor();
    await check('confirm');
    await page.goto(`${app.url}/confirm/not-a-real-link`);
    await check('confirm-link-invalid');
  });

  it('logged-in pages', async () => {
    await page.goto(`${app.url}/login`);
    await submitLogin(E2E_USER.password);
    await page.waitForURL(`${app.url}/private`);
    await check('private');
    await page.goto(`${app.url}/`);
    await check('home-logged-in');
    await page.goto(`${app.url}/account`);
    await check('account');
    await page.getByLabel('Current password').fill('wrong current password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForLoadState();
    await check('account-password-error');
    await page.goto(`${app.url}/reauth?next=%2Faccount`);
    await check('reauth');
    await page.getByLabel('Password').fill('not the right password');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForLoadState();
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    await check('reauth-error');
    await page.getByLabel('Password').fill(E2E_USER.password);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(`${app.url}/account`);
    await page.goto(`${app.url}/account/email`);
    await check('email-change');
    await page.getByLabel('New e-mail address').fill('not an address');
    await page.getByRole('button', { name: 'Send confirmation link' }).click();
    await page.waitForLoadState();
    await check('email-change-error');
    await page.getByLabel('New e-mail address').fill('ada.new@example.com');
    await page.getByRole('button', { name: 'Send confirmation link' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your new inbox' }).waitFor();
    await check('email-change-sent');
    await page.goto(`${app.url}/no-such-page`);
    await check('not-found-logged-in');
  });

  it('the throttled login page', async () => {
    const throttled = await startE2eApp({ RATE_LIMIT_LOGIN_EMAIL_IP: '1/15m' });
    try {
      await page.goto(`${throttled.url}/login`);
      await submitLogin('wrong once');
      await submitLogin('wrong twice');
      expect(await page.getByRole('alert').textContent()).toMatch(
        /Too many attempts: try again in \d+ minutes?/,
      );
      await check('login-throttled');
    } finally {
      await throttled.stop();
    }
  });
});
