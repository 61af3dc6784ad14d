import pino from 'pino';
import { startSessionPurger } from '../../src/sessions/session-purger';
import { insertSession } from '../../src/sessions/sessions.repository';
import { createTestApp, type TestApp } from '../helpers/test-app';

describe('the expired-session purger', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  async function addSession(id: string, userId: number, expiresInMinutes: number) {
    const now = t.clock.now();
    await insertSession(t.db, {
      id,
      userId,
      kind: 'browser',
      createdAt: now,
      expiresAt: new Date(now.getTime() + expiresInMinutes * 60_000),
      userAgent: null,
      ip: null,
    });
  }

  async function sessionIds(): Promise<string[]> {
    const rows = await t.db.selectFrom('sessions').select('id').orderBy('id').execute();
    return rows.map((row) => row.id);
  }

  it('deletes expired rows as soon as it starts, and keeps live ones', async () => {
    const user = await t.createUser();
    await addSession('expired-session-aaaaaaa', user.id, -1);
    await addSession('live-session-bbbbbbbbbb', user.id, 30);
    const stop = startSessionPurger({
      db: t.db,
      clock: t.clock,
      logger: pino({ level: 'silent' }),
    });
    try {
      for (let tries = 0; tries < 50 && (await sessionIds()).length > 1; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await sessionIds()).toEqual(['live-session-bbbbbbbbbb']);
    } finally {
      stop();
    }
  });
});
