import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { viewsDir } from '../paths';

export type MailTemplateName =
  | 'password-reset'
  | 'password-changed'
  | 'signed-up'
  | 'sessions-revoked'
  | 'confirm-signup'
  | 'signup-attempt'
  | 'confirm-change'
  | 'email-change-requested'
  | 'two-step-enabled'
  | 'two-step-disabled'
  | 'recovery-code-used';

const mailDir = path.join(viewsDir, 'mail');

/**
 * The plain-text and HTML bodies of each message, from views/mail/. A private
 * Handlebars instance: the text bodies are compiled without HTML escaping
 * (an "&" in an address must stay an "&"), the HTML ones with it.
 */
export function createMailTemplates() {
  const handlebars = Handlebars.create();
  const compile = (file: string, noEscape: boolean) =>
    handlebars.compile(readFileSync(path.join(mailDir, file), 'utf8'), { noEscape, strict: true });
  const layout = compile('layout.html.hbs', false);
  const cache = new Map<
    MailTemplateName,
    { text: HandlebarsTemplateDelegate; html: HandlebarsTemplateDelegate }
  >();

  return function render(name: MailTemplateName, context: object): { text: string; html: string } {
    let pair = cache.get(name);
    if (!pair) {
      pair = { text: compile(`${name}.text.hbs`, true), html: compile(`${name}.html.hbs`, false) };
      cache.set(name, pair);
    }
    return { text: pair.text(context), html: layout({ ...context, body: pair.html(context) }) };
  };
}

export type RenderMail = ReturnType<typeof createMailTemplates>;
