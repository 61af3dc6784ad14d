import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app';
import { createPasswordHasher } from '../../src/auth/password';
import { systemClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { migrateToLatest } from '../../src/db/migrate';
import { openDatabase } from '../../src/db/open-database';
import { registerUser } from '../../src/users/users.service';
import { FAST_ARGON2_ENV, TEST_PASSWORD } from '../helpers/test-app';
import { captureLogger, openReadOnly } from './support';

describe('the JSON API while the database cannot be written', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-api-fault-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers /token with 503 JSON and Retry-After, even to a client that sends no Accept', async () => {
    const dbFile = path.join(dir, 'gatehouse.db');
    const config = loadConfig({
      NODE_ENV: 'production',
      COOKIE_SECURE: 'false',
      JWT_SECRET: 'api-fault-secret-0123456789abcdef0123456789',
      DATABASE_URL: `sqlite:${dbFile}`,
      ...FAST_ARGON2_ENV,
    });
    const writable = openDatabase(config.database);
    await migrateToLatest(writable);
    await registerUser(
      { db: writable.db, hasher: createPasswordHasher(config.argon2), clock: systemClock },
      { email: 'ada@example.com', fullName: 'Ada', password: TEST_PASSWORD },
    );
    await writable.close();

    const database = openReadOnly(dbFile);
    try {
      const app = createApp({ config, database, logger: captureLogger().logger });
      // A good login must write its session row: the read-only file refuses it.
      const res = await request(app)
        .post('/token')
        .unset('Accept')
        .type('form')
        .send({ grant_type: 'password', username: 'ada@example.com', password: TEST_PASSWORD });
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body).toMatchObject({ error: 'database_unavailable' });
    } finally {
      await database.close();
    }
  });
});
