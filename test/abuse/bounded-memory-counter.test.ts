import { RateLimiterRes } from 'rate-limiter-flexible';
import { BoundedMemoryCounter } from '../../src/abuse/bounded-memory-counter';

function counterAt(maxKeys: number, points = 2, durationSeconds = 60) {
  let now = 1_000_000;
  const counter = new BoundedMemoryCounter(
    { keyPrefix: 'test', points, duration: durationSeconds },
    maxKeys,
    () => now,
  );
  return {
    counter,
    advanceSeconds(seconds: number) {
      now += seconds * 1000;
    },
  };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('the bounded in-memory rate-limit counter', () => {
  it('allows `points` attempts per key and window, then refuses with the time left', async () => {
    const { counter } = counterAt(10);
    await counter.consume('a');
    await counter.consume('a');
    const refused = await refusal(counter.consume('a'));
    expect(refused).toBeInstanceOf(RateLimiterRes);
    expect((refused as RateLimiterRes).msBeforeNext).toBe(60_000);
    await expect(counter.consume('b')).resolves.toBeInstanceOf(RateLimiterRes);
  });

  it('starts a fresh window once the old one has ended', async () => {
    const { counter, advanceSeconds } = counterAt(10);
    await counter.consume('a');
    await counter.consume('a');
    advanceSeconds(61);
    await expect(counter.consume('a')).resolves.toBeDefined();
  });

  it('never holds more than maxKeys keys, however many new keys arrive', async () => {
    const { counter } = counterAt(1000);
    for (let i = 0; i < 50_000; i += 1) await counter.consume(`key${i}`);
    expect(counter.size).toBe(1000);
  });

  it('forgets the least recently touched key first, so a key in use keeps its count', async () => {
    const { counter } = counterAt(3);
    await counter.consume('victim');
    await counter.consume('victim');
    await counter.consume('old');
    await counter.consume('older');
    // 'victim' was touched before 'old' and 'older': touch it again, then add keys.
    await refusal(counter.consume('victim'));
    await counter.consume('new1');
    await counter.consume('new2');
    expect(await refusal(counter.consume('victim'))).toBeInstanceOf(RateLimiterRes);
    // 'old' was forgotten: it starts again from zero.
    await expect(counter.consume('old')).resolves.toBeDefined();
    await expect(counter.consume('old')).resolves.toBeDefined();
  });

  it('a reward back to zero frees the key; delete forgets it', async () => {
    const { counter } = counterAt(10);
    await counter.consume('a');
    await counter.reward('a');
    expect(counter.size).toBe(0);
    await counter.consume('b');
    await counter.consume('b');
    await counter.delete('b');
    await expect(counter.consume('b')).resolves.toBeDefined();
  });

  it('sweeps expired keys as it goes, without timers', async () => {
    const { counter, advanceSeconds } = counterAt(100);
    for (let i = 0; i < 50; i += 1) await counter.consume(`early${i}`);
    advanceSeconds(61);
    for (let i = 0; i < 10; i += 1) await counter.consume(`late${i}`);
    expect(counter.size).toBe(10);
  });
});
