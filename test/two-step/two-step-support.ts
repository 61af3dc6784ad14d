import { Secret, TOTP } from 'otpauth';
import type { Response } from 'supertest';
import type { User } from '../../src/users/user';
import { extractCsrfToken, submitAccountForm, type Agent } from '../helpers/browser';
import type { TestApp } from '../helpers/test-app';

/** The code an authenticator app shows for `secret` at the app's clock, `steps` × 30 s off. */
export function codeFor(t: TestApp, secret: string, steps = 0): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    timestamp: t.clock.now().getTime() + steps * 30_000,
  });
}

/** Half a minute on: a new code, since a used one is refused for the rest of its step. */
export function nextStep(t: TestApp): void {
  t.clock.advanceMinutes(0.5);
}

/** The secret the setup page shows as text (what a person types into the app). */
export function secretIn(html: string): string {
  const match = /data-secret="([A-Z2-7]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no secret on the page');
  return match[1];
}

export function recoveryCodesIn(html: string): string[] {
  return [...html.matchAll(/<li><code>([a-z2-7-]{19})<\/code><\/li>/g)].map((m) => m[1] ?? '');
}

/** Starts the setup from the account page and returns the setup page. */
export async function startSetup(browser: Agent): Promise<Response> {
  const started = await submitAccountForm(browser, '/account/two-step/setup');
  expect(started.status).toBe(303);
  expect(started.headers.location).toBe('/account/two-step/setup');
  return browser.get('/account/two-step/setup');
}

export async function submitCode(
  browser: Agent,
  page: Response,
  action: string,
  code: string,
): Promise<Response> {
  // The form's hidden `next`, as a browser would send it.
  const next = /name="next" value="([^"]*)"/.exec(page.text)?.[1];
  return browser
    .post(action)
    .type('form')
    .send({ _csrf: extractCsrfToken(page.text), code, ...(next ? { next } : {}) });
}

/** Turns two-step on through the pages, as a person would; the clock moves to a fresh step. */
export async function enableTwoStep(
  t: TestApp,
  browser: Agent,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const page = await startSetup(browser);
  const secret = secretIn(page.text);
  const done = await submitCode(browser, page, '/account/two-step/enable', codeFor(t, secret));
  expect(done.status).toBe(200);
  nextStep(t);
  return { secret, recoveryCodes: recoveryCodesIn(done.text) };
}

export async function twoStepRowOf(t: TestApp, user: User) {
  return t.db
    .selectFrom('two_step_credentials')
    .selectAll()
    .where('user_id', '=', user.id)
    .executeTakeFirst();
}
