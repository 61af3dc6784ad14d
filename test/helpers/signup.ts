import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { fetchCsrfToken, type Agent } from './browser';
import type { TestApp } from './test-app';

export const CONFIRM_LINK_PREFIX = 'http://gatehouse.test/confirm/';
const CONFIRM_LINK = /http:\/\/gatehouse\.test\/confirm\/([A-Za-z0-9_-]{43})/;

export interface SignupFields {
  email: string;
  full_name: string;
  password: string;
}

/** Posts the sign-up form as a browser would (the CSRF token from the form itself). */
export async function submitSignup(browser: Agent, fields: SignupFields) {
  const csrf = await fetchCsrfToken(browser, '/signup');
  return browser
    .post('/signup')
    .type('form')
    .send({ _csrf: csrf, ...fields, password_confirmation: fields.password });
}

/** The messages in the development mailbox folder addressed to `email`, oldest first. */
export async function mailboxMessages(t: TestApp, email: string) {
  await t.background.drain();
  const files = (await readdir(t.mailDir).catch(() => [])).filter((f) => f.endsWith('.eml'));
  const parsed = await Promise.all(
    files.sort().map(async (file) => simpleParser(await readFile(path.join(t.mailDir, file)))),
  );
  return parsed.filter((mail) => mail.to !== undefined && JSON.stringify(mail.to).includes(email));
}

/** The token of the newest confirmation link mailed to `email` (development mailbox). */
export async function confirmationTokenFor(t: TestApp, email: string): Promise<string> {
  const messages = await mailboxMessages(t, email);
  for (const mail of messages.reverse()) {
    const match = CONFIRM_LINK.exec(mail.text ?? '');
    if (match?.[1]) return match[1];
  }
  throw new Error(`no confirmation link mailed to ${email}`);
}

/** Opens a mailed link and presses its button, from one browser, as a person would. */
export async function confirmWith(browser: Agent, token: string) {
  await browser.get(`/confirm/${token}`);
  // The form token comes from another page, so the post is made (and judged
  // by the server) even when the link no longer shows a form.
  // (/password/forgot: a form page for anonymous and logged-in browsers alike.)
  const csrf = await fetchCsrfToken(browser, '/password/forgot');
  return browser.post('/confirm').type('form').send({ _csrf: csrf });
}

/** Signs up through the form, then confirms through the mailed link: the browser is logged in. */
export async function signUpAndConfirm(t: TestApp, browser: Agent, fields: SignupFields) {
  const answer = await submitSignup(browser, fields);
  if (answer.status !== 200) throw new Error(`sign-up answered ${answer.status}`);
  const confirmed = await confirmWith(browser, await confirmationTokenFor(t, fields.email));
  if (confirmed.status !== 303) throw new Error(`confirmation answered ${confirmed.status}`);
  return confirmed;
}
