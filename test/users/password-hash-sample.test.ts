import { sampleUserPasswordHashes } from '../../src/users/password-hash-sample.repository';
import { insertUser } from '../../src/users/users.repository';
import { createTestApp, type TestApp } from '../helpers/test-app';

describe('sampling stored password hashes', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  /** Users whose "hash" names them, so the test can see which ones were picked. */
  async function addUsers(count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let index = 1; index <= count; index += 1) {
      const user = await insertUser(t.db, {
        email: `user${index}@example.com`,
        fullName: `User ${index}`,
        passwordHash: `hash-of-user-${index}`,
        now: t.clock.now(),
        isConfirmed: true,
      });
      ids.push(user.id);
    }
    return ids;
  }

  /** A "random" source that returns the given values in turn. */
  const sequence = (...values: number[]) => {
    let next = 0;
    return () => values[next++ % values.length] ?? 0;
  };

  it('finds nothing in an empty table', async () => {
    expect(await sampleUserPasswordHashes(t.db, 64)).toEqual([]);
  });

  it('reads as many hashes as asked, one user per random point between the lowest and highest id', async () => {
    await addUsers(10);
    const hashes = await sampleUserPasswordHashes(t.db, 4, sequence(0, 0.999, 0.5, 0.05));
    expect(hashes).toEqual([
      'hash-of-user-1',
      'hash-of-user-10',
      'hash-of-user-6',
      'hash-of-user-1',
    ]);
  });

  it('takes the next user after a point where one was deleted', async () => {
    const ids = await addUsers(5);
    await t.db
      .deleteFrom('users')
      .where('id', 'in', [ids[1] ?? 0, ids[2] ?? 0])
      .execute();
    // Points 0.2 and 0.4 of the way fall on the two deleted users.
    const hashes = await sampleUserPasswordHashes(t.db, 2, sequence(0.2, 0.4));
    expect(hashes).toEqual(['hash-of-user-4', 'hash-of-user-4']);
  });

  it('picks the one user for every point when there is only one', async () => {
    await addUsers(1);
    expect(await sampleUserPasswordHashes(t.db, 3)).toEqual([
      'hash-of-user-1',
      'hash-of-user-1',
      'hash-of-user-1',
    ]);
  });
});
