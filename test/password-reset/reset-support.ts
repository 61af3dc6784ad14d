import { fetchCsrfToken, newBrowser, type Agent } from '../helpers/browser';
import { findLink, startSmtpServer, type TestSmtpServer } from '../helpers/smtp';
import { createTestApp, type TestApp } from '../helpers/test-app';

export const NEW_PASSWORD = 'a fresh passphrase after forgetting';
export const RESET_LINK_PREFIX = 'http://gatehouse.test/password/reset/';

export interface ResetWorld {
  t: TestApp;
  smtp: TestSmtpServer;
  close(): Promise<void>;
}

/** A real app whose mail goes to a real SMTP server in this process. */
export async function createResetWorld(env: Record<string, string> = {}): Promise<ResetWorld> {
  const smtp = await startSmtpServer();
  const t = await createTestApp({ env: { SMTP_URL: smtp.url, ...env } });
  return {
    t,
    smtp,
    async close() {
      await t.close();
      await smtp.close();
    },
  };
}

/** Asks for a reset link through the form, as a browser would. */
export async function requestResetLink(browser: Agent, email: string) {
  const csrf = await fetchCsrfToken(browser, '/password/forgot');
  return browser.post('/password/forgot').type('form').send({ _csrf: csrf, email });
}

/** Asks for a link for `email` and returns the token from the delivered mail. */
export async function mailedResetToken(world: ResetWorld, email: string): Promise<string> {
  const before = world.smtp.messages.length;
  const res = await requestResetLink(newBrowser(world.t.app), email);
  if (res.status !== 200) throw new Error(`forgot answered ${res.status}`);
  // The mail waits a random moment after the answer; draining sends it now.
  await world.t.background.drain();
  const mail = (await world.smtp.waitForMessages(before + 1))[before];
  if (!mail) throw new Error('no reset mail');
  return findLink(mail, RESET_LINK_PREFIX).slice(RESET_LINK_PREFIX.length);
}

/**
 * Opens the mailed link and submits the new password, from one browser. The
 * form token comes from another page of the same browser, so the post is
 * made (and judged by the server) even when the link no longer shows a form.
 */
export async function resetWith(browser: Agent, token: string, password = NEW_PASSWORD) {
  await browser.get(`/password/reset/${token}`);
  const csrf = await fetchCsrfToken(browser, '/password/forgot');
  return browser
    .post('/password/reset')
    .type('form')
    .send({ _csrf: csrf, password, password_confirmation: password });
}
