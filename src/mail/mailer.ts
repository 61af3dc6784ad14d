import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MailConfig } from './mail.config';
import type { Logger } from '../logger';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Links the development mailbox prints, so the flow works without a mail client. */
  links: readonly string[];
}

export interface Mailer {
  /** False in production without SMTP_URL: nothing can be sent. */
  readonly isEnabled: boolean;
  send(message: MailMessage): Promise<void>;
}

/**
 * Short SMTP timeouts: mail is sent in the background, and a dead server must
 * not hold a graceful shutdown for nodemailer's default two minutes.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

export function createMailer(config: MailConfig, logger: Logger): Mailer {
  const { transport } = config;
  if (transport.kind === 'off') {
    return {
      isEnabled: false,
      send: () => Promise.reject(new Error('mail is off: SMTP_URL is not set')),
    };
  }
  // Loaded only when mail is on: a production instance without SMTP_URL
  // does not carry nodemailer's ~2 MiB.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodemailer = require('nodemailer') as typeof import('nodemailer');
  if (transport.kind === 'smtp') {
    const smtp = nodemailer.createTransport({ url: transport.url, ...SMTP_TIMEOUTS });
    return {
      isEnabled: true,
      async send(message) {
        const { to, subject, text, html } = message;
        await smtp.sendMail({ from: config.from, to, subject, text, html });
      },
    };
  }
  // The development mailbox: each message as an .eml file any mail client opens.
  const composer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  const { dir } = transport;
  return {
    isEnabled: true,
    async send(message) {
      const { to, subject, text, html, links } = message;
      const info = await composer.sendMail({ from: config.from, to, subject, text, html });
      await mkdir(dir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = path.join(dir, `${stamp}-${randomBytes(3).toString('hex')}.eml`);
      await writeFile(file, info.message);
      // Development only (production never uses the mailbox): the link is
      // printed so the reset flow can be followed from the console.
      logger.info(
        { to: message.to, subject: message.subject, file, links },
        `dev mailbox: "${message.subject}" to ${message.to} saved in ${file}${links.map((link) => `\n  ${link}`).join('')}`,
      );
    },
  };
}
