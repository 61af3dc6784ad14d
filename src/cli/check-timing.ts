import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../app';
import { createPasswordHasher } from '../auth/password';
import { systemClock } from '../clock';
import { loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { openDatabase } from '../db/open-database';
import { registerUser } from '../users/users.service';
import { runMain } from './run-main';

/**
 * `npm run check:timing`: do failed logins take the same time whether or not
 * the e-mail exists? Medians of 50 unknown-e-mail and 50 wrong-password logins
 * against a real server with the production argon2 parameters, interleaved so
 * that drift hits both alike. Goal: a ratio within 0.9–1.1.
 */
const ROUNDS = 50;
const PASSWORD = 'the right password for timing';

async function timeFailedLogin(base: string, email: string): Promise<number> {
  const page = await fetch(`${base}/login`);
  const cookie = (page.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const body = new URLSearchParams({ _csrf: token, email, password: 'a wrong password, surely' });
  const started = process.hrtime.bigint();
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    body,
    headers: { cookie },
    redirect: 'manual',
  });
  await res.arrayBuffer();
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 401) throw new Error(`expected 401, got ${res.status}`);
  return elapsedMs;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

async function main(): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-timing-'));
  // Production hashing; throttling opened up so that it does not cut the run short.
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'timing-check-secret-0123456789abcdef0123456789',
    COOKIE_SECURE: 'false',
    LOG_LEVEL: 'silent',
    DATABASE_URL: `sqlite:${path.join(dir, 'timing.db')}`,
    RATE_LIMIT_LOGIN_EMAIL_IP: '100000/1m',
    RATE_LIMIT_LOGIN_IP: '100000/1m',
    RATE_LIMIT_LOGIN_EMAIL: '100000/1m',
  });
  const database = openDatabase(config.database);
  await migrateToLatest(database);
  const hasher = createPasswordHasher(config.argon2);
  await registerUser(
    { db: database.db, hasher, clock: systemClock },
    {
      email: 'known@example.com',
      password: PASSWORD,
      fullName: 'Known User',
    },
  );
  const server = createApp({ config, database }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    // Warm up both paths (the dummy hash is made on first use).
    await timeFailedLogin(base, 'nobody@example.com');
    await timeFailedLogin(base, 'known@example.com');
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      unknown.push(await timeFailedLogin(base, `nobody${round}@example.com`));
      wrong.push(await timeFailedLogin(base, 'known@example.com'));
    }
    const ratio = median(unknown) / median(wrong);
    console.log(
      `argon2id m=${config.argon2.memoryCost} KiB, t=${config.argon2.timeCost}, p=${config.argon2.parallelism}; ${ROUNDS} logins each`,
    );
    console.log(`unknown e-mail:  median ${median(unknown).toFixed(2)} ms`);
    console.log(`wrong password:  median ${median(wrong).toFixed(2)} ms`);
    const isWithinGoal = ratio >= 0.9 && ratio <= 1.1;
    console.log(
      `ratio unknown/wrong: ${ratio.toFixed(3)} (goal 0.9–1.1: ${isWithinGoal ? 'met' : 'NOT met'})`,
    );
    return isWithinGoal ? 0 : 1;
  } finally {
    server.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main, 'Timing check failed');
