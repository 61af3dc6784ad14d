import request from 'supertest';
import { migrateDown, migrateToLatest } from '../../src/db/migrate';
import { createTestApp, type TestApp } from '../helpers/test-app';

describe('GET /readyz', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  // close() again after a test closed the database itself is harmless.
  afterEach(() => t.close());

  it('is ready when the database answers and every migration is applied', async () => {
    const res = await request(t.app).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ready', database: 'ok', migrations: 'current' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('is not ready while a migration is pending, and ready again once applied', async () => {
    await migrateDown(t.database);
    const res = await request(t.app).get('/readyz').expect(503);
    expect(res.body).toEqual({ status: 'unavailable', database: 'migrations pending' });
    await migrateToLatest(t.database);
    await request(t.app).get('/readyz').expect(200);
  });

  it('is not ready when the database does not answer', async () => {
    await t.database.close();
    const res = await request(t.app).get('/readyz').expect(503);
    expect(res.body).toEqual({ status: 'unavailable', database: 'unreachable' });
  });
});
