import pino from 'pino';
import { recordAuthEvent } from '../../src/events/auth-events.repository';
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
      auditRetentionDays: 90,
      confirmTokenMinutes: 1440,
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

  it('deletes audit events older than AUDIT_RETENTION_DAYS and keeps younger ones', async () => {
    const user = await t.createUser();
    const now = t.clock.now().getTime();
    const day = 86_400_000;
    const insertEvent = (ageDays: number) =>
      recordAuthEvent(t.db, {
        userId: user.id,
        type: 'login_failed',
        origin: { ip: '203.0.113.9', userAgent: null },
        now: new Date(now - ageDays * day),
      });
    const oldIds = [await insertEvent(31), await insertEvent(400)];
    const keptIds = [await insertEvent(29), await insertEvent(0)];
    const remaining = async () =>
      (await t.db.selectFrom('auth_events').select('id').orderBy('id').execute()).map((r) =>
        Number(r.id),
      );
    const stop = startSessionPurger({
      db: t.db,
      clock: t.clock,
      logger: pino({ level: 'silent' }),
      auditRetentionDays: 30,
      confirmTokenMinutes: 1440,
    });
    try {
      for (let tries = 0; tries < 50; tries += 1) {
        const ids = await remaining();
        if (!oldIds.some((id) => ids.includes(id))) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await remaining()).toEqual([...keptIds].sort((a, b) => a - b));
    } finally {
      stop();
    }
  });
});
