import { newBrowser } from '../helpers/browser';
import {
  createResetWorld,
  requestResetLink,
  RESET_LINK_PREFIX,
  type ResetWorld,
} from './reset-support';

const SENT_PAGE = 'If an account exists for';

describe('GET/POST /password/forgot', () => {
  let world: ResetWorld;
  beforeEach(async () => {
    world = await createResetWorld();
  });
  afterEach(() => world.close());

  const resetRows = () => world.t.db.selectFrom('password_resets').selectAll().execute();

  it('shows a one-field form with a CSRF token, linked from the login page', async () => {
    const login = await newBrowser(world.t.app).get('/login');
    expect(login.text).toContain('href="/password/forgot"');
    const res = await newBrowser(world.t.app).get('/password/forgot');
    expect(res.status).toBe(200);
    expect(res.text).toContain('name="email"');
    expect(res.text).toContain('name="_csrf"');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('mails a single-use link to an existing account and stores only its SHA-256', async () => {
    const user = await world.t.createUser({ email: 'ada@example.com', fullName: 'Ada' });
    const res = await requestResetLink(newBrowser(world.t.app), 'Ada@Example.com');
    expect(res.status).toBe(200);
    expect(res.text).toContain(SENT_PAGE);
    await world.t.background.drain();
    const [mail] = await world.smtp.waitForMessages(1);
    expect(mail?.envelopeTo).toEqual(['ada@example.com']);
    expect(mail?.parsed.subject).toBe('Reset your Gatehouse password');
    const text = mail?.parsed.text ?? '';
    expect(text.split('\n')[0]).toBe('Hello,');
    expect(text).not.toContain('Ada');
    expect(text).toContain('within 30 minutes');
    const link = text.split(/\s+/).find((word) => word.startsWith(RESET_LINK_PREFIX)) ?? '';
    const token = link.slice(RESET_LINK_PREFIX.length);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mail?.parsed.html).toContain(`href="${link}"`);

    const rows = await resetRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.user_id).toBe(user.id);
    expect(rows[0]?.used_at).toBeNull();
    expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(token);
    const lifetimeMs =
      new Date(rows[0]?.expires_at ?? 0).getTime() - new Date(rows[0]?.created_at ?? 0).getTime();
    expect(lifetimeMs).toBe(30 * 60_000);
  });

  it('answers an unknown address with the very same page, and sends nothing', async () => {
    await world.t.createUser({ email: 'ada@example.com' });
    const known = await requestResetLink(newBrowser(world.t.app), 'ada@example.com');
    const unknown = await requestResetLink(newBrowser(world.t.app), 'nobody@example.com');
    await world.t.background.drain();
    expect(unknown.status).toBe(known.status);
    const strip = (html: string) => html.replace(/(ada|nobody)@example\.com/g, 'EMAIL');
    expect(strip(unknown.text)).toBe(strip(known.text));
    expect(world.smtp.messages.map((mail) => mail.envelopeTo)).toEqual([['ada@example.com']]);
    expect(await resetRows()).toHaveLength(1);
  });

  it('sends no link to a disabled account', async () => {
    const user = await world.t.createUser({ email: 'ada@example.com' });
    await world.t.db.updateTable('users').set({ is_active: 0 }).where('id', '=', user.id).execute();
    const res = await requestResetLink(newBrowser(world.t.app), 'ada@example.com');
    await world.t.background.drain();
    expect(res.text).toContain(SENT_PAGE);
    expect(world.smtp.messages).toHaveLength(0);
    expect(await resetRows()).toHaveLength(0);
  });

  it('records the request in the audit trail of the account', async () => {
    const user = await world.t.createUser({ email: 'ada@example.com' });
    await requestResetLink(newBrowser(world.t.app), 'ada@example.com');
    await world.t.background.drain();
    const events = await world.t.db
      .selectFrom('auth_events')
      .select(['type', 'user_id'])
      .where('type', '=', 'password_reset_requested')
      .execute();
    expect(events).toEqual([{ type: 'password_reset_requested', user_id: user.id }]);
  });

  it.each([
    ['no address', {}, 'Enter your e-mail address.'],
    ['not an address', { email: 'not-an-address' }, 'Enter an e-mail address like'],
    ['two addresses', { email: ['a@example.com', 'b@example.com'] }, 'not several'],
  ])('refuses %s with a 400 and the reason, sending nothing', async (_label, fields, message) => {
    const browser = newBrowser(world.t.app);
    const page = await browser.get('/password/forgot');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const res = await browser
      .post('/password/forgot')
      .type('form')
      .send({ _csrf: csrf, ...fields });
    expect(res.status).toBe(400);
    expect(res.text).toContain(message);
    await world.t.background.drain();
    expect(world.smtp.messages).toHaveLength(0);
  });

  it('refuses a post without the CSRF token', async () => {
    await world.t.createUser({ email: 'ada@example.com' });
    const res = await newBrowser(world.t.app)
      .post('/password/forgot')
      .type('form')
      .send({ email: 'ada@example.com' });
    expect(res.status).toBe(403);
    await world.t.background.drain();
    expect(world.smtp.messages).toHaveLength(0);
  });
});

describe('throttling "forgot password"', () => {
  let world: ResetWorld;
  afterEach(() => world.close());

  it('limits requests per address (in any letter case) with 429 and Retry-After', async () => {
    world = await createResetWorld({
      RATE_LIMIT_RESET_EMAIL: '2/1h',
      RATE_LIMIT_RESET_IP: '100/1h',
    });
    await world.t.createUser({ email: 'ada@example.com' });
    const answers: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      answers.push((await requestResetLink(newBrowser(world.t.app), 'ada@example.com')).status);
    }
    expect(answers).toEqual([200, 200, 429]);
    const refused = await requestResetLink(newBrowser(world.t.app), 'ADA@example.com');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.text).toContain('Too many reset requests');
    await world.t.background.drain();
    expect(world.smtp.messages).toHaveLength(2);
    // Another address is not affected by this one's limit.
    expect((await requestResetLink(newBrowser(world.t.app), 'bob@example.com')).status).toBe(200);
  });

  it('limits requests per IP across addresses, the same for known and unknown ones', async () => {
    world = await createResetWorld({ RATE_LIMIT_RESET_IP: '3/1h' });
    await world.t.createUser({ email: 'ada@example.com' });
    const statuses: number[] = [];
    for (const email of [
      'ada@example.com',
      'x1@example.com',
      'x2@example.com',
      'ada@example.com',
      'x3@example.com',
    ]) {
      statuses.push((await requestResetLink(newBrowser(world.t.app), email)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    await world.t.background.drain();
    expect(world.smtp.messages).toHaveLength(1);
  });
});
