import path from 'node:path';
import { create } from 'express-handlebars';
import type { Express } from 'express';
import { viewsDir } from '../paths';

const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** Handlebars with one layout and shared partials; Express caches compiled views in production. */
export function configureViews(app: Express): void {
  const engine = create({
    extname: '.hbs',
    defaultLayout: 'main',
    layoutsDir: path.join(viewsDir, 'layouts'),
    partialsDir: path.join(viewsDir, 'partials'),
    helpers: {
      formatDate: (value: unknown) =>
        value instanceof Date ? `${dateTimeFormat.format(value)} UTC` : 'never',
      isoDate: (value: unknown) => (value instanceof Date ? value.toISOString() : ''),
      eq: (a: unknown, b: unknown) => a === b,
      // Handlebars passes its options object last; join only the real arguments.
      concat: (...parts: unknown[]) => parts.slice(0, -1).map(String).join(''),
    },
  });
  app.engine('.hbs', engine.engine);
  app.set('view engine', '.hbs');
  app.set('views', viewsDir);
}
