import pino from 'pino';
import { sql } from 'kysely';
import { migrateDown, migrateToLatest } from '../../src/db/migrate';
import { startSessionPurger } from '../../src/sessions/session-purger';
import { newBrowser } from '../helpers/browser';
import { submitSignup } from '../helpers/signup';
import { createTestApp, type TestApp } from '../helpers/test-app';

/** What the database keeps of confirmation, on SQLite and Postgres. */
describe('confirmation state in the database', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('the migration counts existing accounts as confirmed when they were created', async () => {
    const steps: string[] = [];
    while (!steps.includes('Down 0009_confirm_email_addresses')) {
      const step = await migrateDown(t.database);
      if (step.length === 0) break;
      steps.push(...step);
    }
    expect(steps).toContain('Down 0009_confirm_email_addresses');
    const created = '2025-06-01T12:00:00.000Z';
    await sql`insert into users (email, full_name, password_hash, created_at, updated_at)
      values ('old@example.com', 'Old Timer', 'x', ${created}, ${created})`.execute(t.db);
    await migrateToLatest(t.database);
    const row = await t.db
      .selectFrom('users')
      .select('email_confirmed_at')
      .where('email', '=', 'old@example.com')
      .executeTakeFirstOrThrow();
    expect(row.email_confirmed_at).toBe(created);
  });

  async function purgeOnce(app: TestApp = t): Promise<void> {
    const stop = startSessionPurger({
      db: app.db,
      clock: app.clock,
      logger: pino({ level: 'silent' }),
      auditRetentionDays: 90,
      confirmTokenMinutes: app.config.confirmTokenMinutes,
    });
    stop();
    // The first purge starts at once; wait for its queries to finish.
    for (let tries = 0; tries < 50; tries += 1) await new Promise((r) => setTimeout(r, 10));
  }

  const emails = async () =>
    (await t.db.selectFrom('users').select('email').orderBy('email').execute()).map(
      (row) => row.email,
    );

  it('the purger deletes sign-ups nobody confirmed a day after their last link expired, and nothing else', async () => {
    await t.createUser({ email: 'confirmed@example.com' });
    const abandoned = await submitSignup(newBrowser(t.app), {
      email: 'abandoned@example.com',
      full_name: 'Never Came Back',
      password: 'a passphrase nobody confirmed',
    });
    expect(abandoned.status).toBe(200);
    await t.background.drain();
    // Still within the link's day and the grace day after it: kept.
    t.clock.advanceMinutes(24 * 60 + 23 * 60);
    await purgeOnce();
    expect(await emails()).toEqual(['abandoned@example.com', 'confirmed@example.com']);
    // A fresh sign-up now, still pending, is kept when the old one goes.
    const pending = await submitSignup(newBrowser(t.app), {
      email: 'pending@example.com',
      full_name: 'Still Deciding',
      password: 'a passphrase still undecided',
    });
    expect(pending.status).toBe(200);
    await t.background.drain();
    t.clock.advanceMinutes(2 * 60);
    await purgeOnce();
    expect(await emails()).toEqual(['confirmed@example.com', 'pending@example.com']);
    // Its links went with it (cascade); the stale-link purge found nothing else to keep.
    const links = await t.db.selectFrom('email_confirmations').select('email').execute();
    expect(links.map((link) => link.email)).toEqual(['pending@example.com']);
  });

  it('the purger keeps an unconfirmed account that has logged in (signed up with CONFIRMATION=off)', async () => {
    const off = await createTestApp({ env: { CONFIRMATION: 'off' } });
    try {
      const signedUp = await submitSignup(newBrowser(off.app), {
        email: 'closed@example.com',
        full_name: 'Closed Deployment',
        password: 'a passphrase without a link',
      });
      expect(signedUp.status).toBe(303);
      off.clock.advanceMinutes(30 * 24 * 60);
      await purgeOnce(off);
      const rows = await off.db
        .selectFrom('users')
        .select(['email', 'email_confirmed_at'])
        .execute();
      expect(rows).toEqual([{ email: 'closed@example.com', email_confirmed_at: null }]);
    } finally {
      await off.close();
    }
  });
});
