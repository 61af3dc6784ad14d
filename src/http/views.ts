import path from 'node:path';
import { create, type ExpressHandlebars } from 'express-handlebars';
import type { Express } from 'express';
import type { HelperDelegate, TemplateDelegate } from 'handlebars';
import { viewsDir } from '../paths';
import { formatShortUtc } from '../text/utc-date';

const helpers: Record<string, HelperDelegate> = {
  formatDate: (value: unknown) => (value instanceof Date ? formatShortUtc(value) : 'never'),
  isoDate: (value: unknown) => (value instanceof Date ? value.toISOString() : ''),
  eq: (a: unknown, b: unknown) => a === b,
  // Handlebars passes its options object last; join only the real arguments.
  concat: (...parts: unknown[]) => parts.slice(0, -1).map(String).join(''),
};

const LAYOUT = path.join(viewsDir, 'layouts', 'main.hbs');

type RenderCallback = (error: unknown, html?: string) => void;

/**
 * Handlebars with one layout and shared partials. In development
 * express-handlebars re-reads templates on every render, so edits show at once.
 * In production the compiled templates (loaded and compiled by express-handlebars
 * once) are applied directly and synchronously: express-handlebars' own render
 * path re-merges partials and helpers through several promises per page, which
 * cost more than the rest of a private-page request.
 */
export function configureViews(app: Express, options: { isProduction: boolean }): void {
  const hbs = create({
    extname: '.hbs',
    defaultLayout: 'main',
    layoutsDir: path.join(viewsDir, 'layouts'),
    partialsDir: path.join(viewsDir, 'partials'),
    helpers,
  });
  app.engine('.hbs', options.isProduction ? createCompiledEngine(hbs) : hbs.engine);
  app.set('view engine', '.hbs');
  app.set('views', viewsDir);
}

function createCompiledEngine(hbs: ExpressHandlebars) {
  const templates = new Map<string, TemplateDelegate>();
  let partials: Record<string, TemplateDelegate> | undefined;

  async function load(filePath: string): Promise<void> {
    partials ??= (await hbs.getPartials({ cache: true })) as Record<string, TemplateDelegate>;
    for (const file of [filePath, LAYOUT]) {
      if (!templates.has(file)) {
        templates.set(file, (await hbs.getTemplate(file, { cache: true })) as TemplateDelegate);
      }
    }
  }

  function render(filePath: string, context: object): string {
    const view = templates.get(filePath);
    const layout = templates.get(LAYOUT);
    if (!view || !layout || !partials) throw new Error(`view not loaded: ${filePath}`);
    const runtime = { helpers, partials };
    return layout({ ...context, body: view(context, runtime) }, runtime);
  }

  return (filePath: string, context: object, callback: RenderCallback): void => {
    // All three, not the view alone: while the first request for a page is
    // still loading the layout, a concurrent one must wait for it too.
    if (templates.has(filePath) && templates.has(LAYOUT) && partials) {
      let html: string;
      try {
        html = render(filePath, context);
      } catch (error) {
        return callback(error);
      }
      return callback(null, html);
    }
    load(filePath).then(
      () => callback(null, render(filePath, context)),
      (error: unknown) => callback(error),
    );
  };
}
