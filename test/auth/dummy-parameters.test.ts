import { parseArgon2Params } from '../../src/auth/argon2-phc';
import { chooseDummyParameters } from '../../src/auth/dummy-parameters';

const SALT_AND_HASH = 'FvYuSYNz+PUN0evpYABfhw$uJCZTPU5bdnVqo39jhwMbv2x0biZSlY31lVSXZwKMLU';
const phc = (params: string, type = 'argon2id') => `$${type}$v=19$${params}$${SALT_AND_HASH}`;
const CONFIGURED = { memoryCost: 19456, timeCost: 4, parallelism: 1 };
const T2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
const T3 = { memoryCost: 19456, timeCost: 3, parallelism: 1 };

describe('reading the parameters of a stored hash', () => {
  it('reads m, t and p in the order argon2 writes them, and in the PHC order', () => {
    expect(parseArgon2Params(phc('m=19456,p=1,t=2'))).toEqual(T2);
    expect(parseArgon2Params(phc('m=19456,t=2,p=1'))).toEqual(T2);
  });

  it('reads argon2i and argon2d hashes, and one without a version', () => {
    expect(parseArgon2Params(phc('m=4096,t=3,p=2', 'argon2i'))).toEqual({
      memoryCost: 4096,
      timeCost: 3,
      parallelism: 2,
    });
    expect(parseArgon2Params(phc('m=4096,t=3,p=2', 'argon2d'))).toMatchObject({ timeCost: 3 });
    expect(parseArgon2Params(`$argon2id$m=1024,t=1,p=1$${SALT_AND_HASH}`)).toMatchObject({
      memoryCost: 1024,
    });
  });

  it.each([
    ['a bcrypt hash', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'],
    ['no hash at all', 'not a hash'],
    ['an empty string', ''],
    ['a missing p', phc('m=19456,t=2')],
    ['a time cost of 0', phc('m=19456,t=0,p=1')],
    ['less memory than 8 KiB per lane', phc('m=15,t=2,p=2')],
    ['a memory cost past 2^32 - 1', phc('m=4294967296,t=2,p=1')],
    ['a number that is not one', phc('m=19456,t=2x,p=1')],
  ])('refuses %s', (_label, hash) => {
    expect(parseArgon2Params(hash)).toBeUndefined();
  });
});

describe('choosing the dummy hash parameters from a sample', () => {
  it('takes the parameters most sampled hashes use', () => {
    const hashes = [
      ...Array.from({ length: 40 }, () => phc('m=19456,p=1,t=2')),
      ...Array.from({ length: 24 }, () => phc('m=19456,p=1,t=4')),
    ];
    expect(chooseDummyParameters(hashes, CONFIGURED)).toEqual(T2);
  });

  it('falls back to the configured parameters with no hashes, or none it can read', () => {
    expect(chooseDummyParameters([], CONFIGURED)).toBe(CONFIGURED);
    expect(chooseDummyParameters(['not a hash', '$2b$12$x'], CONFIGURED)).toBe(CONFIGURED);
  });

  it('skips unreadable hashes and counts the rest', () => {
    const hashes = ['garbage', 'garbage', 'garbage', phc('m=19456,p=1,t=2')];
    expect(chooseDummyParameters(hashes, CONFIGURED)).toEqual(T2);
  });

  it('breaks a tie in favour of the configured parameters, else the costlier', () => {
    const tiedWithConfigured = [phc('m=19456,p=1,t=2'), phc('m=19456,p=1,t=4')];
    expect(chooseDummyParameters(tiedWithConfigured, CONFIGURED)).toEqual(CONFIGURED);
    const tiedWithoutIt = [phc('m=19456,p=1,t=2'), phc('m=19456,p=1,t=3')];
    expect(chooseDummyParameters(tiedWithoutIt, CONFIGURED)).toEqual(T3);
    expect(chooseDummyParameters([...tiedWithoutIt].reverse(), CONFIGURED)).toEqual(T3);
  });
});
