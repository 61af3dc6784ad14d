import { createPasswordHasher } from '../auth/password';
import { systemClock } from '../clock';
import { loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { openDatabase } from '../db/open-database';
import { registerUser } from '../users/users.service';
import { createTimingClient, expectStatus, isWithinGoal, report } from './timing-client';

// The timed requests of `npm run check:timing`: each kind for the one known
// account and for unknown addresses, true when the medians meet the goal.

const LOGIN_ROUNDS = 50;
const FORGOT_ROUNDS = 100;
const SIGNUP_ROUNDS = 50;
/**
 * Between two "forgot password" samples. Without it the check asked for a
 * known address's link ~100 times a second, and the mail work of earlier
 * requests (a few ms each, at a random later moment) kept the server busy a
 * third of the time, on timed requests of both kinds: medians swung 0.73–1.2.
 * A real address is throttled to 5 requests an hour. The pause hides no leak:
 * work that follows its own answer at once still meets the next request.
 */
const FORGOT_PAUSE_MS = 25;
const KNOWN = 'known@example.com';
const UNKNOWN = 'nobody@example.com';
const PASSWORD = 'the right password for timing';

/** A fresh database with the one known account, hashed with `env`'s argon2 parameters. */
export async function seedDatabase(env: Record<string, string>): Promise<void> {
  const config = loadConfig(env);
  const database = openDatabase(config.database);
  try {
    await migrateToLatest(database);
    await registerUser(
      { db: database.db, hasher: createPasswordHasher(config.argon2), clock: systemClock },
      { email: KNOWN, password: PASSWORD, fullName: 'Known User' },
    );
  } finally {
    await database.close();
  }
}

/** Failed logins: an unknown e-mail against a wrong password for the known one. */
export async function timeFailedLogins(base: string, label: string): Promise<boolean> {
  const client = createTimingClient(base);
  const login = async (email: string) =>
    expectStatus(
      await client.postForm('/login', { email, password: 'a wrong password, surely' }),
      401,
      'login',
    );
  try {
    // Warm-up: the first of each kind pays for compiling views and opening counters.
    await login(UNKNOWN);
    await login(KNOWN);
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let round = 0; round < LOGIN_ROUNDS; round += 1) {
      unknown.push(await login(`nobody${round}@example.com`));
      wrong.push(await login(KNOWN));
    }
    const ratio = report(
      `${label} failed login`,
      { label: 'unknown e-mail', samples: unknown },
      { label: 'wrong password', samples: wrong },
    );
    return isWithinGoal(ratio);
  } finally {
    client.close();
  }
}

/**
 * "Forgot password", and the next request on the same connection (the login
 * page, as a browser following a link would ask for it), for one unknown
 * and one known address each round, in alternating order. One address of
 * each kind: the per-address throttle makes a counter the first time it
 * sees an address, so fresh unknown addresses timed that, not the lookup.
 */
export async function timeForgotPassword(base: string, label: string): Promise<boolean> {
  const client = createTimingClient(base);
  const forgot = async (email: string) => {
    const answer = expectStatus(
      await client.postForm('/password/forgot', { email }),
      200,
      'forgot password',
    );
    const next = await client.send('GET', '/login');
    if (!next.isReusedConnection) throw new Error('the next request used a new connection');
    return { answer, next: expectStatus(next, 200, 'the next request') };
  };
  try {
    await forgot(UNKNOWN);
    await forgot(KNOWN);
    const newSamples = () => ({ answer: [] as number[], next: [] as number[] });
    const samples = { unknown: newSamples(), known: newSamples() };
    for (let round = 0; round < FORGOT_ROUNDS; round += 1) {
      const order = round % 2 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const kind of order) {
        const { answer, next } = await forgot(kind === 'known' ? KNOWN : UNKNOWN);
        samples[kind].answer.push(answer);
        samples[kind].next.push(next);
        await new Promise((resolve) => setTimeout(resolve, FORGOT_PAUSE_MS));
      }
    }
    const ratios = (['answer', 'next'] as const).map((part) =>
      report(
        `${label} forgot password${part === 'next' ? ', the next request' : ''}`,
        { label: 'unknown e-mail', samples: samples.unknown[part] },
        { label: 'known e-mail', samples: samples.known[part] },
      ),
    );
    return ratios.every(isWithinGoal);
  } finally {
    client.close();
  }
}

/**
 * Sign-up (CONFIRMATION=required): a new address against the registered one,
 * alternating, and the next request on the same connection. Both hash the
 * password before answering; the account, the link and the mail (or the
 * notice to the registered owner) come after the answer.
 */
export async function timeSignup(base: string, label: string): Promise<boolean> {
  const client = createTimingClient(base);
  const signUp = async (email: string) => {
    const answer = expectStatus(
      await client.postForm('/signup', {
        email,
        full_name: 'Timing Check',
        password: PASSWORD,
        password_confirmation: PASSWORD,
      }),
      200,
      'sign-up',
    );
    const next = await client.send('GET', '/login');
    if (!next.isReusedConnection) throw new Error('the next request used a new connection');
    return { answer, next: expectStatus(next, 200, 'the next request') };
  };
  try {
    await signUp('warm-up@example.com');
    await signUp(KNOWN);
    const newSamples = () => ({ answer: [] as number[], next: [] as number[] });
    const samples = { fresh: newSamples(), known: newSamples() };
    for (let round = 0; round < SIGNUP_ROUNDS; round += 1) {
      const order = round % 2 ? (['known', 'fresh'] as const) : (['fresh', 'known'] as const);
      for (const kind of order) {
        const { answer, next } = await signUp(kind === 'known' ? KNOWN : `new${round}@example.com`);
        samples[kind].answer.push(answer);
        samples[kind].next.push(next);
        await new Promise((resolve) => setTimeout(resolve, FORGOT_PAUSE_MS));
      }
    }
    const ratios = (['answer', 'next'] as const).map((part) =>
      report(
        `${label} sign-up${part === 'next' ? ', the next request' : ''}`,
        { label: 'new e-mail', samples: samples.fresh[part] },
        { label: 'registered e-mail', samples: samples.known[part] },
      ),
    );
    return ratios.every(isWithinGoal);
  } finally {
    client.close();
  }
}
