import { signIn } from '../accounts/account-support';
import { fetchCsrfToken, newBrowser } from '../helpers/browser';
import { CONFIRM_LINK_PREFIX, confirmWith, submitSignup } from '../helpers/signup';
import { findLink, startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp';
import { createTestApp, type TestApp } from '../helpers/test-app';

const STRANGERS_NAME = 'Click http://evil.example to claim your prize';

/** Every part of a message a person could read. */
function readable(mail: ReceivedMail): string {
  return `${mail.parsed.subject ?? ''}\n${mail.parsed.text ?? ''}\n${String(mail.parsed.html)}`;
}

/** The confirmation mails as delivered over SMTP: to whom, what they say, which links. */
describe('confirmation mail over SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  beforeEach(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({ env: { SMTP_URL: smtp.url } });
  });
  afterEach(async () => {
    await t.close();
    await smtp.close();
  });

  async function delivered(count: number): Promise<ReceivedMail[]> {
    await t.background.drain();
    return smtp.waitForMessages(count);
  }

  it('a new address gets one link on PUBLIC_URL, when and from where, and never the chosen name', async () => {
    await submitSignup(newBrowser(t.app), {
      email: 'ada@example.com',
      full_name: STRANGERS_NAME,
      password: 'analytical engine notes',
    });
    const [mail] = await delivered(1);
    if (!mail) throw new Error('no mail');
    expect(mail.envelopeTo).toEqual(['ada@example.com']);
    expect(mail.parsed.subject).toBe('Confirm your Gatehouse account');
    const link = findLink(mail, CONFIRM_LINK_PREFIX);
    expect(link).toMatch(/^http:\/\/gatehouse\.test\/confirm\/[A-Za-z0-9_-]{43}$/);
    expect(mail.parsed.html).toContain(`href="${link}"`);
    expect(mail.parsed.text).toMatch(/on \d{1,2} \w+ \d{4} at \d\d:\d\d UTC, from 127\.0\.0\.1\./);
    expect(mail.parsed.text).toContain('within 24 hours');
    expect(readable(mail)).not.toContain('evil.example');
    expect(smtp.messages).toHaveLength(1);
  });

  it('a registered address gets a notice with the login and reset links, and no confirmation link', async () => {
    await t.createUser({ email: 'grace@example.com' });
    await submitSignup(newBrowser(t.app), {
      email: 'grace@example.com',
      full_name: STRANGERS_NAME,
      password: 'analytical engine notes',
    });
    const [mail] = await delivered(1);
    if (!mail) throw new Error('no mail');
    expect(mail.envelopeTo).toEqual(['grace@example.com']);
    expect(mail.parsed.subject).toBe('Someone tried to sign up with your address');
    expect(mail.parsed.text).toContain('http://gatehouse.test/login');
    expect(mail.parsed.text).toContain('http://gatehouse.test/password/forgot');
    expect(readable(mail)).not.toContain('/confirm/');
    expect(readable(mail)).not.toContain('evil.example');
  });

  it('an address change mails the new address its link and the old one a notice naming the new', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const { browser } = await signIn(t, user);
    const csrf = await fetchCsrfToken(browser, '/account/email');
    await browser
      .post('/account/email')
      .type('form')
      .send({ _csrf: csrf, email: 'ada.new@example.com' })
      .expect(200);
    const mails = await delivered(2);
    const toOld = mails.find((mail) => mail.envelopeTo.includes('ada@example.com'));
    const toNew = mails.find((mail) => mail.envelopeTo.includes('ada.new@example.com'));
    expect(toOld?.parsed.subject).toBe('Your Gatehouse e-mail address is being changed');
    expect(toOld?.parsed.text).toContain('ada.new@example.com');
    expect(toOld && readable(toOld)).not.toContain('/confirm/');
    expect(toNew?.parsed.subject).toBe('Confirm your new Gatehouse e-mail address');
    if (!toNew) throw new Error('no mail to the new address');
    const token = findLink(toNew, CONFIRM_LINK_PREFIX).slice(CONFIRM_LINK_PREFIX.length);
    expect((await confirmWith(browser, token)).status).toBe(303);
  });
});
