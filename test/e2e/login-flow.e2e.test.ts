import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { isChromiumAvailable, launchChromium, screenshotBothWidths } from './support/chromium';
import { findLink } from '../helpers/smtp';
import { E2E_USER, startE2eApp, type E2eApp } from './support/gatehouse';

const describeInBrowser = isChromiumAvailable() ? describe : describe.skip;
jest.setTimeout(60_000);

describeInBrowser('Gatehouse in a real browser', () => {
  let app: E2eApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startE2eApp(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  });
  afterEach(() => context.close());

  async function logInThroughForm(target: Page, password = E2E_USER.password) {
    await target.goto(`${app.url}/login`);
    await target.getByLabel('E-mail address').fill(E2E_USER.email);
    await target.getByLabel('Password').fill(password);
    await target.getByRole('button', { name: 'Log in' }).click();
  }

  it('logs in through the form and lands on the private page with the name shown', async () => {
    await logInThroughForm(page);
    await page.waitForURL(`${app.url}/private`);
    await expectHeading(page, `Hello, ${E2E_USER.fullName}`);
    expect(await page.getByRole('status').textContent()).toContain('You are logged in.');
    // The flash is shown once: a reload no longer shows it.
    await page.reload();
    expect(await page.getByRole('status').count()).toBe(0);
  });

  it('shows the error next to the kept e-mail after a wrong password', async () => {
    await logInThroughForm(page, 'not the right password');
    expect(await page.getByRole('alert').textContent()).toContain('Incorrect email or password');
    expect(await page.getByLabel('E-mail address').inputValue()).toBe(E2E_USER.email);
    expect(await page.getByLabel('Password').inputValue()).toBe('');
  });

  it('logs out through the link, and Back then shows no private content', async () => {
    await logInThroughForm(page);
    await page.waitForURL(`${app.url}/private`);
    await page.getByRole('link', { name: 'Log out' }).click();
    await page.waitForURL(`${app.url}/`);
    expect(await page.getByRole('status').textContent()).toContain('You have been logged out.');
    await page.goBack();
    // no-store makes the browser refetch /private, which redirects to the login page.
    await page.waitForURL(/\/login\?next=%2Fprivate$/);
    expect(await page.content()).not.toContain(`Hello, ${E2E_USER.fullName}`);
  });

  it('can be used with the keyboard alone', async () => {
    await page.goto(`${app.url}/login`);
    // Tab from the top of the page until the e-mail field has focus.
    for (let presses = 0; presses < 15; presses += 1) {
      await page.keyboard.press('Tab');
      if (
        await page.evaluate(
          () =>
            (globalThis as unknown as { document: { activeElement: { id?: string } | null } })
              .document.activeElement?.id === 'email',
        )
      )
        break;
    }
    // Focus is visible: the focused field draws an outline (strings copied
    // out of the page, since a live style object does not serialise).
    const outline = await page.locator('#email').evaluate((element) => {
      const style = (
        globalThis as unknown as {
          getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string };
        }
      ).getComputedStyle(element);
      return { outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth };
    });
    expect(outline.outlineStyle).toBe('solid');
    expect(outline.outlineWidth).not.toBe('0px');
    await page.keyboard.type(E2E_USER.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(E2E_USER.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/private`);
    await expectHeading(page, `Hello, ${E2E_USER.fullName}`);
  });

  it('signs up, opens the account page, changes the password, and the other browser is logged out', async () => {
    const email = 'grace@example.com';
    const oldPassword = 'first compiler ever built';
    const newPassword = 'nanoseconds of wire length';
    await page.goto(`${app.url}/signup`);
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Full name').fill('Grace Hopper');
    await page.getByLabel('Password', { exact: true }).fill(oldPassword);
    await page.getByLabel('Confirm password').fill(oldPassword);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expectHeading(page, 'Check your inbox');
    // Not logged in until the address is confirmed: the link comes by mail.
    const [mail] = await (app.smtp?.waitForMessages(1) ?? Promise.resolve([]));
    if (!mail) throw new Error('no confirmation mail');
    expect(mail.envelopeTo).toEqual([email]);
    await page.goto(findLink(mail, `${app.url}/confirm/`));
    await page.getByRole('button', { name: 'Confirm and log in' }).click();
    await page.waitForURL(`${app.url}/private`);
    await expectHeading(page, 'Hello, Grace Hopper');
    expect(await page.getByRole('status').textContent()).toContain(
      'Your e-mail address is confirmed and you are logged in.',
    );

    // A second browser logged in as the same person.
    const otherContext = await browser.newContext();
    const other = await otherContext.newPage();
    try {
      await other.goto(`${app.url}/login`);
      await other.getByLabel('E-mail address').fill(email);
      await other.getByLabel('Password').fill(oldPassword);
      await other.getByRole('button', { name: 'Log in' }).click();
      await other.waitForURL(`${app.url}/private`);

      await page.getByRole('link', { name: 'Account' }).click();
      await expectHeading(page, 'Your account');
      expect(await page.locator('.session').count()).toBe(2);
      await page.getByLabel('Current password').fill(oldPassword);
      await page.getByLabel('New password', { exact: true }).fill(newPassword);
      await page.getByLabel('Confirm new password').fill(newPassword);
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.waitForURL(`${app.url}/account`);
      expect(await page.getByRole('status').textContent()).toContain('Password changed');
      expect(await page.locator('.session').count()).toBe(1);

      // The other browser's next request finds its session gone.
      await other.goto(`${app.url}/private`);
      await other.waitForURL(/\/login\?next=%2Fprivate$/);
      // This browser stays logged in.
      await page.goto(`${app.url}/private`);
      await expectHeading(page, 'Hello, Grace Hopper');
    } finally {
      await otherContext.close();
    }
  });

  it('shows the friendly 403 page for an expired form', async () => {
    await page.goto(`${app.url}/login`);
    // The CSRF secret cookie is gone (expired, cleared): the form's token no longer matches.
    await context.clearCookies({ name: 'csrf' });
    await page.getByLabel('E-mail address').fill(E2E_USER.email);
    await page.getByLabel('Password').fill(E2E_USER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(
      page.getByText('This form has expired: reload the page and try again').count(),
    ).resolves.toBe(1);
    await screenshotBothWidths(page, 'error-403-csrf');
  });

  it('asks for confirmation before a log-out link from another site logs anyone out', async () => {
    await logInThroughForm(page);
    await page.waitForURL(`${app.url}/private`);
    const attacker = await startAttackerPage(`${app.url}/logout`);
    try {
      await page.goto(attacker.url);
      await page.getByRole('link', { name: 'free prize' }).click();
      await expectHeading(page, 'Log out?');
      await screenshotBothWidths(page, 'logout-confirm');
      // Still logged in until the person presses the button.
      const privatePage = await context.newPage();
      await privatePage.goto(`${app.url}/private`);
      await expectHeading(privatePage, `Hello, ${E2E_USER.fullName}`);
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(`${app.url}/`);
      await privatePage.goto(`${app.url}/private`);
      await privatePage.waitForURL(/\/login/);
    } finally {
      attacker.server.close();
    }
  });
});

async function expectHeading(page: Page, text: string): Promise<void> {
  await page.getByRole('heading', { level: 1, name: text }).waitFor({ timeout: 5000 });
}

/** A page on another site (127.0.0.1 vs localhost) with a link to our logout. */
async function startAttackerPage(target: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<!doctype html><title>Prizes</title><a href="${target}">free prize</a>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/` };
}
