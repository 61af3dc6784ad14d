import { RateLimitUnavailableError, TooManyAttemptsError } from '../../src/abuse/rate-limit';
import { AccountDisabledError, InvalidCredentialsError } from '../../src/auth/auth.errors';
import { HashingBusyError } from '../../src/auth/hashing-limiter';
import { badRequest, forbidden, HttpError, notFound } from '../../src/errors';
import { describeError } from '../../src/http/error-answer';
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
