import { needsArgon2Rehash } from '../../src/auth/argon2-phc';
import { createPasswordHasher } from '../../src/auth/password';

const PARAMS = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const SALT_AND_HASH = 'c29tZXNhbHRzb21lc2FsdA$3Xqa0mJ0nKn1vIZrSl6P6Bm2k3K0k5b6gmWQ1cS1Y1c';

describe('needsArgon2Rehash: the hashing worker’s parameter check, without argon2', () => {
  it('needs no rehash for a hash argon2 made with the configured parameters', async () => {
    const hash = await createPasswordHasher(PARAMS).hash('a password');
    expect(needsArgon2Rehash(hash, PARAMS)).toBe(false);
  });

  it('agrees with argon2 (the in-process hasher) on hashes made with other parameters', async () => {
    const others = [
      { ...PARAMS, memoryCost: 2048 },
      { ...PARAMS, timeCost: 2 },
      { ...PARAMS, parallelism: 2 },
    ];
    for (const other of others) {
      const hash = await createPasswordHasher(other).hash('a password');
      expect(needsArgon2Rehash(hash, PARAMS)).toBe(true);
      expect(createPasswordHasher(PARAMS).needsRehash(hash)).toBe(true);
    }
  });

  it('asks for a rehash of another argon2 variant or version', () => {
    expect(needsArgon2Rehash(`$argon2i$v=19$m=1024,t=1,p=1$${SALT_AND_HASH}`, PARAMS)).toBe(true);
    expect(needsArgon2Rehash(`$argon2id$v=16$m=1024,t=1,p=1$${SALT_AND_HASH}`, PARAMS)).toBe(true);
    expect(needsArgon2Rehash(`$argon2id$v=19$m=1024,t=1,p=1$${SALT_AND_HASH}`, PARAMS)).toBe(false);
  });

  it('reads the parameters in any order, as the PHC format allows', () => {
    expect(needsArgon2Rehash(`$argon2id$v=19$m=1024,p=1,t=1$${SALT_AND_HASH}`, PARAMS)).toBe(false);
    expect(needsArgon2Rehash(`$argon2id$v=19$t=1,p=1,m=1024$${SALT_AND_HASH}`, PARAMS)).toBe(false);
  });

  it('asks for a rehash of anything it cannot read', () => {
    for (const garbage of ['', 'not a hash', '$argon2id$v=19$m=1024', '$2b$10$abcdefghijklmnop']) {
      expect(needsArgon2Rehash(garbage, PARAMS)).toBe(true);
    }
    for (const params of ['m=1024,t=1,p=1,x=2', 'm=1024,t=1', 'm=1024,t=1,t=1', 'm=1024,t=1,p=']) {
      expect(needsArgon2Rehash(`$argon2id$v=19$${params}$${SALT_AND_HASH}`, PARAMS)).toBe(true);
    }
  });
});
