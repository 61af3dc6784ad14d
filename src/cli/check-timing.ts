import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createPasswordHasher } from '../auth/password';
import { systemClock } from '../clock';
import { loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { openDatabase } from '../db/open-database';
import { registerUser } from '../users/users.service';
import { runMain } from './run-main';
import { createTimingClient, expectStatus, isWithinGoal, report } from './timing-client';
import { hasScriptCommand, startServer, startSmtpSink } from './timing-processes';

const USAGE = `Usage: npm run check:timing [-- --production | --development | --cost-change]
Do failed logins and "forgot password" requests take the same time whether or
not the e-mail exists, and so does the request after a "forgot password"?
Medians against a real server process with the production argon2 parameters,
the two kinds interleaved so that drift hits both alike. Goal: ratios 0.9–1.1.
  (default)       both modes below
  --production    NODE_ENV=production, mail to a local SMTP server
  --development   NODE_ENV=development: the mailbox folder, pretty logs on a terminal
  --cost-change   accounts hashed with ARGON2_TIME=2, served with ARGON2_TIME=4`;

const LOGIN_ROUNDS = 50;
const FORGOT_ROUNDS = 100;
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

/** What every mode's server shares; throttling opened up so it does not cut the run short. */
function baseEnv(dir: string): Record<string, string> {
  return {
    JWT_SECRET: 'timing-check-secret-0123456789abcdef0123456789',
    COOKIE_SECURE: 'false',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: `sqlite:${path.join(dir, 'timing.db')}`,
    RATE_LIMIT_LOGIN_EMAIL_IP: '100000/1m',
    RATE_LIMIT_LOGIN_IP: '100000/1m',
    RATE_LIMIT_LOGIN_EMAIL: '100000/1m',
    RATE_LIMIT_RESET_IP: '100000/1m',
    RATE_LIMIT_RESET_EMAIL: '100000/1m',
    MAIL_FROM: 'timing@example.com',
    PUBLIC_URL: 'http://127.0.0.1',
  };
}

/** A fresh database with the one known account, hashed with `env`'s argon2 parameters. */
async function seedDatabase(env: Record<string, string>): Promise<void> {
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
async function timeFailedLogins(base: string, label: string): Promise<boolean> {
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
async function timeForgotPassword(base: string, label: string): Promise<boolean> {
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

async function checkProduction(dir: string): Promise<boolean> {
  const sink = await startSmtpSink();
  const env = { ...baseEnv(dir), NODE_ENV: 'production', SMTP_URL: sink.url };
  await seedDatabase(env);
  const server = await startServer(env);
  try {
    const config = loadConfig(env);
    const { memoryCost, timeCost, parallelism } = config.argon2;
    console.log(`production: argon2id m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}`);
    const isLoginEqual = await timeFailedLogins(server.base, 'production');
    const isForgotEqual = await timeForgotPassword(server.base, 'production');
    return isLoginEqual && isForgotEqual;
  } finally {
    await server.stop();
    await sink.stop();
  }
}

async function checkDevelopment(dir: string): Promise<boolean> {
  const env = { ...baseEnv(dir), NODE_ENV: 'development', MAIL_DIR: path.join(dir, 'mail') };
  await seedDatabase(env);
  const isTerminal = hasScriptCommand();
  if (!isTerminal) console.log('development: script(1) not found: logs are JSON, not pretty');
  const server = await startServer(env, { isTerminal });
  try {
    console.log('development: mailbox folder, pretty logs on a terminal');
    return await timeForgotPassword(server.base, 'development');
  } finally {
    await server.stop();
  }
}

/**
 * After ARGON2_TIME goes from 2 to 4, accounts keep their t=2 hash until they
 * next log in: an unknown e-mail must cost what such an account costs.
 */
async function checkCostChange(dir: string): Promise<boolean> {
  const env = { ...baseEnv(dir), NODE_ENV: 'production', ARGON2_TIME: '2' };
  await seedDatabase(env);
  const server = await startServer({ ...env, ARGON2_TIME: '4' });
  try {
    console.log('cost change: account hashed with t=2, server configured with t=4');
    return await timeFailedLogins(server.base, 'cost change');
  } finally {
    await server.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      production: { type: 'boolean', default: false },
      development: { type: 'boolean', default: false },
      'cost-change': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const isAnyChosen = values.production || values.development || values['cost-change'];
  const checks = [
    { check: checkProduction, isChosen: values.production || !isAnyChosen },
    { check: checkDevelopment, isChosen: values.development || !isAnyChosen },
    { check: checkCostChange, isChosen: values['cost-change'] },
  ];
  let isEveryGoalMet = true;
  for (const { check, isChosen } of checks) {
    if (!isChosen) continue;
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-timing-'));
    try {
      isEveryGoalMet = (await check(dir)) && isEveryGoalMet;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return isEveryGoalMet ? 0 : 1;
}

runMain(main, 'Timing check failed');
