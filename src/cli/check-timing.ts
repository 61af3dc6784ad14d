import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { runMain } from './run-main';
import { hasScriptCommand, startServer, startSmtpSink } from './timing-processes';
import { seedDatabase, timeFailedLogins, timeForgotPassword, timeSignup } from './timing-requests';

const USAGE = `Usage: npm run check:timing [-- --production | --development | --cost-change]
Do failed logins, "forgot password" requests and sign-ups take the same time
whether or not the e-mail exists, and so does the request after each of the
last two?
Medians against a real server process with the production argon2 parameters,
the two kinds interleaved so that drift hits both alike. Goal: ratios 0.9–1.1.
  (default)       both modes below
  --production    NODE_ENV=production, mail to a local SMTP server
  --development   NODE_ENV=development: the mailbox folder, pretty logs on a terminal
  --cost-change   accounts hashed with ARGON2_TIME=2, served with ARGON2_TIME=4`;

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
    RATE_LIMIT_SIGNUP_IP: '100000/1m',
    RATE_LIMIT_CONFIRM_MAIL: '100000/1m',
    MAIL_FROM: 'timing@example.com',
    PUBLIC_URL: 'http://127.0.0.1',
  };
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
    const isSignupEqual = await timeSignup(server.base, 'production');
    return isLoginEqual && isForgotEqual && isSignupEqual;
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
