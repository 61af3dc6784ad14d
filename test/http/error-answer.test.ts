import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import pino from 'pino';
import request from 'supertest';
import { RateLimitUnavailableError, TooManyAttemptsError } from '../../src/abuse/rate-limit';
import { createApiErrorHandler } from '../../src/api/api-errors';
import { AccountDisabledError, InvalidCredentialsError } from '../../src/auth/auth.errors';
import { HashingBusyError } from '../../src/auth/hashing-limiter';
import { badRequest, forbidden, HttpError, notFound } from '../../src/errors';
import { describeError } from '../../src/http/error-answer';
import { createErrorHandler } from '../../src/http/error-handler';
import { configureViews } from '../../src/http/views';
import { InvalidResetLinkError } from '../../src/password-reset/password-reset.service';
import { EmailTakenError } from '../../src/users/user';

const FIXED_500_MESSAGE = 'Something went wrong on our side.';

/** Every error of ours, by name, with the answer it carries. */
const DOMAIN_ERRORS: Record<
  string,
  { make: () => Error; status: number; code: string; retryAfter?: number }
> = {
  'invalid credentials': {
    make: () => new InvalidCredentialsError(7),
    status: 401,
    code: 'invalid_credentials',
  },
  'account disabled': {
    make: () => new AccountDisabledError(7),
    status: 403,
    code: 'account_disabled',
  },
  'too many attempts': {
    make: () => new TooManyAttemptsError(90),
    status: 429,
    code: 'too_many_attempts',
    retryAfter: 90,
  },
  'rate limit store down': {
    make: () => new RateLimitUnavailableError(new Error('ECONNREFUSED')),
    status: 503,
    code: 'busy',
    retryAfter: 5,
  },
  'hashing busy': { make: () => new HashingBusyError(), status: 503, code: 'busy', retryAfter: 5 },
  'invalid reset link': {
    make: () => new InvalidResetLinkError(),
    status: 400,
    code: 'invalid_reset_link',
  },
  'email taken': { make: () => new EmailTakenError(), status: 409, code: 'email_taken' },
  'bad request': { make: () => badRequest('Choose a session.'), status: 400, code: 'bad_request' },
  'not found': { make: () => notFound(), status: 404, code: 'not_found' },
  forbidden: { make: () => forbidden('No.'), status: 403, code: 'forbidden' },
};
const NAMES = Object.keys(DOMAIN_ERRORS);

function domainError(name: string) {
  const entry = DOMAIN_ERRORS[name];
  if (!entry) throw new Error(`no error named ${name}`);
  return entry;
}

describe('the one mapping from a thrown value to its answer', () => {
  it.each(NAMES)('%s: status, code and Retry-After come from the error itself', (name) => {
    const { make, status, code, retryAfter } = domainError(name);
    const error = make();
    expect(error).toBeInstanceOf(HttpError);
    const answer = describeError(error);
    expect(answer).toMatchObject({ status, code, message: error.message });
    expect(answer.retryAfterSeconds).toBe(retryAfter);
    expect(answer.title.length).toBeGreaterThan(0);
  });

  it('an error of ours is named after its class (logs show which one it was)', () => {
    expect(new TooManyAttemptsError(60).name).toBe('TooManyAttemptsError');
    expect(new InvalidCredentialsError().name).toBe('InvalidCredentialsError');
  });

  it("libraries' errors are known by their shape", () => {
    expect(describeError({ code: 'EBADCSRFTOKEN' })).toMatchObject({ status: 403, code: 'csrf' });
    expect(describeError({ type: 'entity.too.large', status: 413 })).toMatchObject({
      status: 413,
      code: 'too_large',
    });
    expect(describeError({ type: 'charset.unsupported', status: 415 })).toMatchObject({
      status: 415,
      code: 'bad_request',
    });
    expect(describeError({ code: 'SQLITE_READONLY' })).toMatchObject({
      status: 503,
      code: 'database_unavailable',
      retryAfterSeconds: 60,
    });
  });

  it('anything else is a 500 with a fixed message that tells nothing of the error', () => {
    const answer = describeError(new Error('secret row value in /srv/app.ts:12'));
    expect(answer).toMatchObject({ status: 500, code: 'internal', message: FIXED_500_MESSAGE });
    expect(describeError('a thrown string')).toMatchObject({ status: 500, code: 'internal' });
  });
});

/** A site whose pages and API each throw the error named in the path. */
function createThrowingApp() {
  const logger = pino({ level: 'silent' });
  const app = express();
  configureViews(app, { isProduction: true });
  const throwNamed = (name: string) => {
    if (name === 'unknown') throw new Error('boom at /srv/app.ts:12');
    if (name === 'invalid token') throw new HttpError(401, 'invalid_token', 'Send a token.');
    throw domainError(name).make();
  };
  const api = Router();
  api.get('/api/:name', (req) => throwNamed(req.params.name));
  api.use(createApiErrorHandler({ logger }));
  app.use(api);
  app.get('/page/:name', (req) => throwNamed(req.params.name));
  app.use(createErrorHandler({ logger, isProduction: true }));
  return app;
}

describe('pages answer by Accept', () => {
  const app = createThrowingApp();

  it.each(NAMES)('%s: JSON { error, message } with its status and Retry-After', async (name) => {
    const { make, status, code, retryAfter } = domainError(name);
    const res = await request(app)
      .get(`/page/${encodeURIComponent(name)}`)
      .set('Accept', 'application/json');
    expect(res.status).toBe(status);
    expect(res.headers['retry-after']).toBe(
      retryAfter === undefined ? undefined : String(retryAfter),
    );
    expect(res.body).toEqual({ error: code, message: make().message });
  });

  it('a browser (or a client sending no Accept) gets the HTML error page', async () => {
    for (const accept of ['text/html', undefined]) {
      const call = request(app).get('/page/too%20many%20attempts');
      const res = await (accept === undefined ? call.unset('Accept') : call.set('Accept', accept));
      expect(res.status).toBe(429);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['retry-after']).toBe('90');
      expect(res.text).toContain('<h1>Too many attempts</h1>');
      expect(res.text).toContain('Too many attempts: try again in 2 minutes.');
    }
  });

  it('plain text when the client accepts neither', async () => {
    const res = await request(app).get('/page/not%20found').set('Accept', 'image/png');
    expect(res.status).toBe(404);
    expect(res.text).toBe('Page not found: There is no page at this address.');
  });

  it('an unknown error is a fixed 500 with no stack in production', async () => {
    const res = await request(app).get('/page/unknown').set('Accept', 'text/html');
    expect(res.status).toBe(500);
    expect(res.text).toContain(FIXED_500_MESSAGE);
    expect(res.text).not.toMatch(/boom|Stack trace|app\.ts/);
  });
});

describe("the API router's errors are always JSON, in OAuth's shapes", () => {
  const app = createThrowingApp();
  const api = (name: string) =>
    request(app)
      .get(`/api/${encodeURIComponent(name)}`)
      .unset('Accept');

  it.each(['invalid credentials', 'account disabled'])(
    '%s: RFC 6749 invalid_grant at 400',
    async (name) => {
      const res = await api(name);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        error: 'invalid_grant',
        error_description: domainError(name).make().message,
      });
      expect(res.headers['www-authenticate']).toBeUndefined();
    },
  );

  it('too many attempts: 429 too_many_attempts with Retry-After', async () => {
    const res = await api('too many attempts');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('90');
    expect(res.body).toEqual({
      error: 'too_many_attempts',
      error_description: 'Too many attempts: try again in 2 minutes.',
    });
  });

  it.each(['hashing busy', 'rate limit store down'])(
    '%s: 503 temporarily_unavailable with Retry-After',
    async (name) => {
      const res = await api(name);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toEqual({
        error: 'temporarily_unavailable',
        error_description: domainError(name).make().message,
      });
    },
  );

  it('a refused bearer token: 401 with the RFC 6750 challenge', async () => {
    const res = await api('invalid token');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'Send a token.' });
  });

  it("what is not a refusal gets the site's JSON error, even without Accept", async () => {
    const missing = await api('not found');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: 'not_found',
      message: 'There is no page at this address.',
    });
    const fault = await api('unknown');
    expect(fault.status).toBe(500);
    expect(fault.body).toEqual({ error: 'internal', message: FIXED_500_MESSAGE });
  });
});

describe('the error handler stays generic', () => {
  it.each(['error-handler.ts', 'error-answer.ts'])(
    'src/http/%s imports no feature folder: it knows errors by their base class',
    (file) => {
      const source = readFileSync(path.join(__dirname, '../../src/http', file), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
      for (const specifier of imports) {
        expect(specifier).toMatch(/^(express|\.\/[\w-]+|\.\.\/(errors|logger|db\/[\w-]+))$/);
      }
    },
  );
});
