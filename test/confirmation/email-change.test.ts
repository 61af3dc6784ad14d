import { signIn } from '../accounts/account-support';
import { fetchCsrfToken, logIn, newBrowser, type Agent } from '../helpers/browser';
import { confirmationTokenFor, confirmWith, mailboxMessages } from '../helpers/signup';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

const NEW_ADDRESS = 'ada.new@example.com';

async function askForChange(browser: Agent, email: string) {
  const csrf = await fetchCsrfToken(browser, '/account/email');
  return browser.post('/account/email').type('form').send({ _csrf: csrf, email });
}

async function emailOf(t: TestApp, id: number) {
  const row = await t.db
    .selectFrom('users')
    .select('email')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.email;
}

describe('changing the e-mail address', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('mails a link to the new address and a notice to the old; the change applies only when confirmed', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const { browser } = await signIn(t, user);
    const account = await browser.get('/account').expect(200);
    expect(account.text).toContain('href="/account/email"');

    const res = await askForChange(browser, '  Ada.New@Example.com ');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Check your new inbox');
    expect(res.text).toContain(NEW_ADDRESS);
    expect(await emailOf(t, user.id)).toBe('ada@example.com');

    const notice = await mailboxMessages(t, 'ada@example.com');
    expect(notice).toHaveLength(1);
    expect(notice[0]?.subject).toBe('Your Gatehouse e-mail address is being changed');
    expect(notice[0]?.text).toContain(NEW_ADDRESS);
    expect(notice[0]?.text).toContain('http://gatehouse.test/password/forgot');
    expect(notice[0]?.text).not.toContain('/confirm/');
    const link = await mailboxMessages(t, NEW_ADDRESS);
    expect(link[0]?.subject).toBe('Confirm your new Gatehouse e-mail address');

    // Until confirmed, the old address logs in and the new one does not.
    expect((await logIn(newBrowser(t.app), NEW_ADDRESS, TEST_PASSWORD)).status).toBe(401);
    const confirmed = await confirmWith(browser, await confirmationTokenFor(t, NEW_ADDRESS));
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe('/account');
    const page = await browser.get('/account').expect(200);
    expect(page.text).toContain('Your e-mail address is changed.');
    expect(await emailOf(t, user.id)).toBe(NEW_ADDRESS);
    expect((await logIn(newBrowser(t.app), NEW_ADDRESS, TEST_PASSWORD)).status).toBe(303);
    expect((await logIn(newBrowser(t.app), 'ada@example.com', TEST_PASSWORD)).status).toBe(401);
    const events = await t.db
      .selectFrom('auth_events')
      .select('type')
      .where('user_id', '=', user.id)
      .execute();
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['email_change_requested', 'email_changed']),
    );
  });

  it('needs a recent login: after REAUTH_MINUTES the page asks for the password first', async () => {
    const user = await t.createUser();
    const { browser } = await signIn(t, user);
    t.clock.advanceMinutes(11);
    const page = await browser.get('/account/email').expect(303);
    expect(page.headers.location).toBe('/reauth?next=%2Faccount%2Femail');
    const csrf = await fetchCsrfToken(browser, '/account');
    const post = await browser
      .post('/account/email')
      .type('form')
      .send({ _csrf: csrf, email: NEW_ADDRESS });
    expect(post.status).toBe(303);
    expect(post.headers.location).toBe('/reauth?next=%2Faccount%2Femail');
    expect(await mailboxMessages(t, NEW_ADDRESS)).toHaveLength(0);
  });

  it('anonymous visitors are sent to the login page', async () => {
    const res = await newBrowser(t.app).get('/account/email').expect(303);
    expect(res.headers.location).toBe('/login?next=%2Faccount%2Femail');
  });

  it('answers the same for an address another account has, and mails it nothing', async () => {
    await t.createUser({ email: 'grace@example.com' });
    const user = await t.createUser({ email: 'ada@example.com' });
    const { browser } = await signIn(t, user);
    const taken = await askForChange(browser, 'grace@example.com');
    const free = await askForChange(browser, NEW_ADDRESS);
    expect(taken.status).toBe(free.status);
    expect(taken.text.replaceAll('grace@example.com', '<email>')).toBe(
      free.text.replaceAll(NEW_ADDRESS, '<email>'),
    );
    expect(await mailboxMessages(t, 'grace@example.com')).toHaveLength(0);
    expect(await mailboxMessages(t, NEW_ADDRESS)).toHaveLength(1);
  });

  it('refuses a malformed address and the current one, with the reason, sending nothing', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const { browser } = await signIn(t, user);
    const bad = await askForChange(browser, 'not an address');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Enter an e-mail address like name@example.com.');
    const same = await askForChange(browser, 'ADA@example.com');
    expect(same.status).toBe(400);
    expect(same.text).toContain('That is already your e-mail address');
    const missing = await askForChange(browser, '');
    expect(missing.status).toBe(400);
    expect(await mailboxMessages(t, 'ada@example.com')).toHaveLength(0);
  });

  it('is throttled per account (RATE_LIMIT_EMAIL_CHANGE, 5/1h)', async () => {
    const user = await t.createUser();
    const { browser } = await signIn(t, user);
    for (let i = 0; i < 5; i += 1) {
      expect((await askForChange(browser, `new${i}@example.com`)).status).toBe(200);
    }
    const refused = await askForChange(browser, 'new6@example.com');
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('Too many address changes');
    expect(await mailboxMessages(t, 'new6@example.com')).toHaveLength(0);
  });

  it('refuses the link once another account took the address meanwhile, and keeps the old one', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const { browser } = await signIn(t, user);
    await askForChange(browser, NEW_ADDRESS);
    const token = await confirmationTokenFor(t, NEW_ADDRESS);
    await t.createUser({ email: NEW_ADDRESS });
    const res = await confirmWith(browser, token);
    expect(res.status).toBe(400);
    expect(await emailOf(t, user.id)).toBe('ada@example.com');
  });

  it('a change voids reset links sent to the old address', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const { browser } = await signIn(t, user);
    const other = newBrowser(t.app);
    const csrf = await fetchCsrfToken(other, '/password/forgot');
    await other.post('/password/forgot').type('form').send({ _csrf: csrf, email: user.email });
    await t.background.drain();
    await askForChange(browser, NEW_ADDRESS);
    await confirmWith(browser, await confirmationTokenFor(t, NEW_ADDRESS));
    const open = await t.db
      .selectFrom('password_resets')
      .select('id')
      .where('used_at', 'is', null)
      .execute();
    expect(open).toHaveLength(0);
  });
});
