import { Writable } from 'node:stream';
import pino from 'pino';
import { createApp } from '../../src/app';
import { redactUrl } from '../../src/http/redact-url';
import { REDACTED_PATHS } from '../../src/logger';
import { newBrowser } from '../helpers/browser';
import { CONFIRM_LINK_PREFIX, confirmWith, submitSignup } from '../helpers/signup';
import { findLink } from '../helpers/smtp';
import { createResetWorld, mailedResetToken, resetWith, type ResetWorld } from './reset-support';

/** The app with a redacting logger (as in production) writing to a string. */
function appWithCapturedLog(world: ResetWorld) {
  let output = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString('utf8');
      done();
    },
  });
  const logger = pino({ level: 'trace', redact: REDACTED_PATHS }, sink);
  const app = createApp({
    config: world.t.config,
    database: world.t.database,
    clock: world.t.clock,
    logger,
    background: world.t.background,
  });
  return { app, output: () => output };
}

describe('request logs around password reset', () => {
  let world: ResetWorld;
  afterEach(() => world.close());

  it('never contain the reset token, while the path is still recognisable', async () => {
    world = await createResetWorld();
    await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, 'ada@example.com');

    const { app, output } = appWithCapturedLog(world);
    const res = await resetWith(newBrowser(app), token);
    expect(res.status).toBe(303);

    expect(output()).toContain('/password/reset/[redacted]');
    expect(output()).not.toContain(token);
  });

  it('never contain the token when the link is typed in another case, which Express still routes', async () => {
    world = await createResetWorld();
    await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, 'ada@example.com');

    const { app, output } = appWithCapturedLog(world);
    const res = await newBrowser(app).get(`/PASSWORD/RESET/${token}`);
    expect(res.status).toBe(303);

    expect(output()).toContain('/PASSWORD/RESET/[redacted]');
    expect(output()).not.toContain(token);
  });
});

describe('request logs around a confirmation link', () => {
  let world: ResetWorld;
  afterEach(() => world.close());

  it('never contain the confirmation token', async () => {
    world = await createResetWorld();
    const { app, output } = appWithCapturedLog(world);
    const browser = newBrowser(app);
    await submitSignup(browser, {
      email: 'ada@example.com',
      full_name: 'Ada Lovelace',
      password: 'analytical engine notes',
    });
    await world.t.background.drain();
    const [mail] = await world.smtp.waitForMessages(1);
    if (!mail) throw new Error('no confirmation mail');
    const token = findLink(mail, CONFIRM_LINK_PREFIX).slice(CONFIRM_LINK_PREFIX.length);
    expect((await confirmWith(browser, token)).status).toBe(303);
    expect(output()).toContain('/confirm/[redacted]');
    expect(output()).not.toContain(token);
  });
});

describe('redactUrl', () => {
  it.each([
    ['/password/reset/abc123', '/password/reset/[redacted]'],
    ['/password/reset/abc123?x=1', '/password/reset/[redacted]'],
    ['/PASSWORD/Reset/abc123', '/PASSWORD/Reset/[redacted]'],
    ['/password/reset/abc123/', '/password/reset/[redacted]/'],
    ['/password/reset', '/password/reset'],
    ['/private?next=/x', '/private'],
    ['/confirm/abc123', '/confirm/[redacted]'],
    ['/CONFIRM/abc123?x=1', '/CONFIRM/[redacted]'],
    ['/confirm', '/confirm'],
    ['/confirm/resend', '/confirm/resend'],
  ])('logs %s as %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});
