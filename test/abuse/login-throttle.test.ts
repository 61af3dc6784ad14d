import { BoundedMemoryCounter } from '../../src/abuse/bounded-memory-counter';
import { createLoginThrottle } from '../../src/abuse/login-throttle';
import { TooManyAttemptsError, type LimiterFactory } from '../../src/abuse/rate-limit';

/** Real bounded counters, kept by name so the test can see how many keys each holds. */
function recordingFactory() {
  const counters = new Map<string, BoundedMemoryCounter>();
  const factory: LimiterFactory = (options) => {
    const counter = new BoundedMemoryCounter(options, 1000);
    counters.set(options.keyPrefix, counter);
    return counter;
  };
  return { factory, size: (name: string) => counters.get(name)?.size ?? -1 };
}

const limits = {
  perEmailAndIp: { points: 5, durationSeconds: 900 },
  perIp: { points: 3, durationSeconds: 3600 },
  perEmail: { points: 100, durationSeconds: 86_400 },
  perDevice: { points: 2, durationSeconds: 900 },
};

const refusalOf = (promise: Promise<void>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('the login throttle', () => {
  it('an attempt refused by the per-IP limit creates no per-e-mail entry', async () => {
    const { factory, size } = recordingFactory();
    const throttle = createLoginThrottle(limits, factory);
    for (let i = 0; i < 3; i += 1) {
      await throttle.beginAttempt({ email: `a${i}@example.com`, ipKey: '203.0.113.1' });
    }
    expect([size('login_email'), size('login_email_ip')]).toEqual([3, 3]);
    for (let i = 3; i < 500; i += 1) {
      const refused = await refusalOf(
        throttle.beginAttempt({ email: `a${i}@example.com`, ipKey: '203.0.113.1' }),
      );
      expect(refused).toBeInstanceOf(TooManyAttemptsError);
      expect((refused as TooManyAttemptsError).isClientLimit).toBe(true);
    }
    expect([size('login_ip'), size('login_email'), size('login_email_ip')]).toEqual([1, 3, 3]);
  });

  it('a trusted device counts only on its own budget, whatever the e-mail and IP counters say', async () => {
    const { factory, size } = recordingFactory();
    const throttle = createLoginThrottle(limits, factory);
    for (let i = 0; i < 3; i += 1) {
      await throttle.beginAttempt({ email: `x${i}@example.com`, ipKey: '203.0.113.1' });
    }
    const owner = { email: 'owner@example.com', ipKey: '203.0.113.1', deviceId: 'device-1' };
    await throttle.beginAttempt(owner);
    await throttle.beginAttempt(owner);
    const refused = await refusalOf(throttle.beginAttempt(owner));
    expect(refused).toBeInstanceOf(TooManyAttemptsError);
    expect((refused as TooManyAttemptsError).isClientLimit).toBe(false);
    expect(size('login_email')).toBe(3);
    // A success clears the device's counter.
    await throttle.recordSuccess(owner);
    await throttle.beginAttempt(owner);
  });
});
