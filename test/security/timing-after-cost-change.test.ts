import { createPasswordHasher } from '../../src/auth/password';
import { insertUser } from '../../src/users/users.repository';
import { logIn, newBrowser } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { countingHasher } from './attack-kit';

const WRONG_PASSWORD = 'not the password at all';
const CHEAP = { memoryCost: 1024, parallelism: 1 };

/** The time cost of a PHC string (argon2 writes `m=1024,p=1,t=2`). */
const timeCostOf = (hash: string | undefined) => /[$,]t=(\d+)/.exec(hash ?? '')?.[1];

/**
 * After ARGON2_TIME changes, stored hashes keep their old parameters until
 * their owner next logs in. An unknown e-mail must then cost what those
 * accounts cost, not what the new parameters cost: the dummy hash it is
 * verified against follows the parameters most stored hashes use.
 */
describe('the dummy hash for unknown e-mails after an argon2 cost change', () => {
  let t: TestApp;
  const counter = countingHasher();
  /** One hash per time cost, shared by every seeded account (argon2 is slow enough). */
  const hashes = new Map<number, Promise<string>>();
  const hashWithTime = (timeCost: number) => {
    if (!hashes.has(timeCost)) {
      hashes.set(timeCost, createPasswordHasher({ ...CHEAP, timeCost }).hash(TEST_PASSWORD));
    }
    return hashes.get(timeCost) as Promise<string>;
  };

  /** The app configured with ARGON2_TIME=`timeCost` (and cheap memory). */
  async function startApp(timeCost: number): Promise<void> {
    t = await createTestApp({
      env: { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME: String(timeCost) },
      wrapHasher: counter.wrap,
    });
    counter.reset();
  }
  afterEach(() => t.close());

  let seeded = 0;
  let unknown = 0;
  /** A fresh unknown address each time: the per-address throttle allows 5 attempts. */
  const unknownEmail = () => `nobody${(unknown += 1)}@example.com`;
  async function seedAccounts(count: number, timeCost: number): Promise<void> {
    const passwordHash = await hashWithTime(timeCost);
    for (let index = 0; index < count; index += 1) {
      seeded += 1;
      await insertUser(t.db, {
        email: `seeded${seeded}@example.com`,
        fullName: `Seeded ${seeded}`,
        passwordHash,
        now: t.clock.now(),
        isConfirmed: true,
      });
    }
  }

  /** Fails a login and returns the time cost of the hash it was verified against. */
  async function verifiedTimeCost(email: string): Promise<string | undefined> {
    counter.reset();
    const res = await logIn(newBrowser(t.app), email, WRONG_PASSWORD);
    expect(res.status).toBe(401);
    expect(counter.calls.verify).toBe(1);
    return timeCostOf(counter.calls.verifiedHashes[0]);
  }

  it('is made with the old parameters while the accounts still have them, once', async () => {
    await startApp(2);
    await seedAccounts(3, 1);
    let made = 0;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(await verifiedTimeCost(unknownEmail())).toBe('1');
      made += counter.calls.dummyHash;
    }
    // Made once, through the app's hashing queue (which is what calls the wrapper).
    expect(made).toBe(1);
    // Equal work: a wrong password for a real account verifies a t=1 hash too.
    expect(await verifiedTimeCost('seeded1@example.com')).toBe('1');
  });

  it('has the configured parameters when there are no accounts yet', async () => {
    await startApp(2);
    expect(await verifiedTimeCost(unknownEmail())).toBe('2');
  });

  it('has the parameters most accounts use, whatever is configured', async () => {
    await startApp(2);
    await seedAccounts(4, 1);
    await seedAccounts(12, 3);
    expect(await verifiedTimeCost(unknownEmail())).toBe('3');
  });

  it('follows the majority as accounts are rehashed: sampled again after 15 minutes, used once made', async () => {
    await startApp(2);
    await seedAccounts(6, 1);
    expect(await verifiedTimeCost(unknownEmail())).toBe('1');

    // Every account logs in and is rehashed with the configured t=2.
    await t.db
      .updateTable('users')
      .set({ password_hash: await hashWithTime(2) })
      .execute();
    t.clock.advanceMinutes(14);
    expect(await verifiedTimeCost(unknownEmail())).toBe('1');

    t.clock.advanceMinutes(2);
    // This login starts the new sample and is answered with the old dummy:
    // it does not wait for the sample, nor for a new dummy to be made.
    expect(await verifiedTimeCost(unknownEmail())).toBe('1');
    let timeCost: string | undefined = '1';
    // Within the per-IP throttle (50 attempts an hour).
    for (let tries = 0; tries < 40 && timeCost === '1'; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      timeCost = await verifiedTimeCost(unknownEmail());
    }
    expect(timeCost).toBe('2');
  });
});
