import path from 'node:path';
import { z } from 'zod';
import {
  field,
  matching,
  parseHttpUrl,
  refuse,
  text,
  type ConfigContext,
  type ConfigRule,
  type FieldValues,
} from '../config-fields';
import { projectRoot } from '../paths';

/** Where account e-mail goes: an SMTP server, the development mailbox folder, or nowhere. */
export type MailTransportConfig =
  { kind: 'smtp'; url: string } | { kind: 'directory'; dir: string } | { kind: 'off' };

export interface MailConfig {
  transport: MailTransportConfig;
  /** The From header of every message. */
  from: string;
  /** Where links in e-mails point: never taken from a request's Host header. */
  publicUrl: string;
}

export interface MailSettings {
  mail: MailConfig;
}

const DEVELOPMENT_MAIL_FROM = 'Gatehouse <no-reply@localhost>';

export const mailVariables = {
  SMTP_URL: field(
    z
      .string()
      .trim()
      .regex(
        /^smtps?:\/\/\S+$/,
        'must look like smtp://user:password@mail.example.com:587 (or smtps:// for TLS on connect)',
      )
      // Only a value of the right shape is parsed: one mistake, one message.
      .pipe(
        z
          .string()
          .refine(
            (url) => URL.canParse(url),
            'is not a valid URL (percent-encode special characters in the password)',
          ),
      )
      .optional(),
  ),
  MAIL_FROM: matching(
    /^(?:[^<>@\s][^<>]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/,
    'must be an address, e.g. no-reply@example.com or "Gatehouse <no-reply@example.com>"',
  ),
  MAIL_DIR: text(),
  PUBLIC_URL: field(
    z
      .string()
      .trim()
      .transform(
        (url, ctx) =>
          parsePublicUrl(url) ??
          refuse(
            ctx,
            'must be the address people use to reach Gatehouse, like https://login.example.com (http or https, no query or #fragment)',
          ),
      )
      .optional(),
  ),
};

/** A production instance that sends mail must say who sends it and where its links lead. */
export const mailRules: ConfigRule = ({ isProduction, isSet }) => {
  if (!isProduction || !isSet('SMTP_URL')) return [];
  const problems: string[] = [];
  if (!isSet('MAIL_FROM')) {
    problems.push(
      'MAIL_FROM must be set in production when SMTP_URL is set (e.g. no-reply@example.com)',
    );
  }
  if (!isSet('PUBLIC_URL')) {
    problems.push(
      'PUBLIC_URL must be set in production when SMTP_URL is set: links in e-mails are built from it (e.g. https://login.example.com)',
    );
  }
  return problems;
};

/**
 * The mail settings. With SMTP_URL, mail goes to that server. Without it,
 * development and tests write each message to the mailbox folder (MAIL_DIR,
 * default data/mail) so the reset flow works with the two-command start, and
 * production sends nothing (reset is off, with a warning at start-up).
 */
export function readMailSettings(
  values: FieldValues<typeof mailVariables> & { PORT: number },
  { isProduction }: ConfigContext,
): MailSettings {
  const transport: MailTransportConfig =
    values.SMTP_URL !== undefined
      ? { kind: 'smtp', url: values.SMTP_URL }
      : isProduction
        ? { kind: 'off' }
        : {
            kind: 'directory',
            dir: path.resolve(values.MAIL_DIR ?? path.join(projectRoot, 'data', 'mail')),
          };
  return {
    mail: {
      transport,
      from: values.MAIL_FROM ?? DEVELOPMENT_MAIL_FROM,
      publicUrl: values.PUBLIC_URL ?? `http://localhost:${values.PORT}`,
    },
  };
}

/** An http(s) base URL without credentials, query or fragment; no trailing slash. */
function parsePublicUrl(text: string): string | undefined {
  const url = parseHttpUrl(text);
  if (url === undefined) return undefined;
  const isPlain =
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    !text.includes('?') &&
    !text.includes('#');
  return isPlain ? `${url.origin}${url.pathname.replace(/\/+$/, '')}` : undefined;
}
