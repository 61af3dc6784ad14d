import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import type { MailConfig } from '../../src/mail/mail.config';
import { createMailer, type MailMessage } from '../../src/mail/mailer';
import { startSmtpServer } from '../helpers/smtp';

const MESSAGE: MailMessage = {
  to: 'ada@example.com',
  subject: 'Reset your Gatehouse password',
  text: 'Open http://localhost:3000/password/reset/TOKEN within 30 minutes.',
  html: '<p>Open <a href="http://localhost:3000/password/reset/TOKEN">this link</a>.</p>',
  links: ['http://localhost:3000/password/reset/TOKEN'],
};

function captureLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const mailConfig = (transport: MailConfig['transport'], from = 'no-reply@example.com') => ({
  transport,
  from,
  publicUrl: 'http://localhost:3000',
});

describe('the development mailbox (no SMTP_URL outside production)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-mailbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each message as an .eml file a mail client can open, and prints its links', async () => {
    const { logger, lines } = captureLogger();
    const mailbox = path.join(dir, 'mail');
    const mailer = createMailer(
      mailConfig({ kind: 'directory', dir: mailbox }, 'Gatehouse <no-reply@localhost>'),
      logger,
    );
    expect(mailer.isEnabled).toBe(true);
    await mailer.send(MESSAGE);
    await mailer.send({ ...MESSAGE, to: 'bob@example.com' });

    const files = readdirSync(mailbox).filter((name) => name.endsWith('.eml'));
    expect(files).toHaveLength(2);
    const parsed = await Promise.all(
      files.map((name) => simpleParser(readFileSync(path.join(mailbox, name)))),
    );
    const recipients = parsed.map((mail) => (Array.isArray(mail.to) ? '' : mail.to?.text)).sort();
    expect(recipients).toEqual(['ada@example.com', 'bob@example.com']);
    expect(parsed[0]?.subject).toBe(MESSAGE.subject);
    expect(parsed[0]?.from?.value).toEqual([{ name: 'Gatehouse', address: 'no-reply@localhost' }]);
    expect(parsed[0]?.text?.trim()).toBe(MESSAGE.text);
    expect(parsed[0]?.html).toContain('href="http://localhost:3000/password/reset/TOKEN"');

    const logged = lines.map((line) => JSON.parse(line) as { msg: string });
    expect(logged).toHaveLength(2);
    expect(logged[0]?.msg).toContain('http://localhost:3000/password/reset/TOKEN');
    expect(logged[0]?.msg).toContain(mailbox);
  });
});

describe('SMTP delivery (SMTP_URL)', () => {
  it('delivers through the server in SMTP_URL, logging in with its credentials', async () => {
    const smtp = await startSmtpServer({ credentials: { user: 'mailer', pass: 'p@ss word' } });
    try {
      const { logger, lines } = captureLogger();
      const mailer = createMailer(mailConfig({ kind: 'smtp', url: smtp.url }), logger);
      await mailer.send(MESSAGE);
      const [mail] = await smtp.waitForMessages(1);
      expect(mail?.username).toBe('mailer');
      expect(mail?.envelopeTo).toEqual(['ada@example.com']);
      expect(mail?.parsed.from?.text).toBe('no-reply@example.com');
      expect(mail?.parsed.subject).toBe(MESSAGE.subject);
      expect(mail?.parsed.text?.trim()).toBe(MESSAGE.text);
      // Real delivery prints nothing: links are for the development mailbox only.
      expect(lines).toEqual([]);
    } finally {
      await smtp.close();
    }
  });

  it('fails the send (for the caller to log) when the server refuses the login', async () => {
    const smtp = await startSmtpServer({ credentials: { user: 'mailer', pass: 'right' } });
    try {
      const wrongUrl = smtp.url.replace('mailer:right@', 'mailer:wrong@');
      const mailer = createMailer(
        mailConfig({ kind: 'smtp', url: wrongUrl }),
        captureLogger().logger,
      );
      await expect(mailer.send(MESSAGE)).rejects.toThrow(/auth|invalid/i);
      expect(smtp.messages).toHaveLength(0);
    } finally {
      await smtp.close();
    }
  });
});

describe('mail off (production without SMTP_URL)', () => {
  it('says it cannot send', async () => {
    const mailer = createMailer(mailConfig({ kind: 'off' }), captureLogger().logger);
    expect(mailer.isEnabled).toBe(false);
    await expect(mailer.send(MESSAGE)).rejects.toThrow('SMTP_URL');
  });
});
