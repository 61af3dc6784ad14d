import pino from 'pino';
import { createBackgroundTasks } from '../src/background-tasks';

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info', base: undefined },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

describe('background tasks', () => {
  describe('on the clock', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('start neither with the answer nor on the next turn, but once their delay has passed', async () => {
      const background = createBackgroundTasks(pino({ level: 'silent' }), {
        minMs: 200,
        maxMs: 200,
      });
      let started = 0;
      background.run('mail', async () => {
        started += 1;
      });
      await jest.advanceTimersByTimeAsync(0);
      expect(started).toBe(0);
      await jest.advanceTimersByTimeAsync(199);
      expect(started).toBe(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(started).toBe(1);
    });

    it('start at random moments spread over the whole delay window', async () => {
      const background = createBackgroundTasks(pino({ level: 'silent' }), {
        minMs: 0,
        maxMs: 1000,
      });
      const begun = Date.now();
      const offsets: number[] = [];
      for (let index = 0; index < 200; index += 1) {
        background.run('mail', async () => {
          offsets.push(Date.now() - begun);
        });
      }
      await jest.advanceTimersByTimeAsync(1000);
      expect(offsets).toHaveLength(200);
      expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...offsets)).toBeLessThanOrEqual(1000);
      // 200 uniform draws: all in one half would be a 2^-199 event.
      expect(offsets.some((offset) => offset < 500)).toBe(true);
      expect(offsets.some((offset) => offset > 500)).toBe(true);
    });
  });

  it('drain starts a task still waiting for its delay at once, so shutdown drops nothing', async () => {
    // An hour's delay: drain can only resolve in time by starting the task itself.
    const hour = 3_600_000;
    const background = createBackgroundTasks(pino({ level: 'silent' }), {
      minMs: hour,
      maxMs: hour,
    });
    const done: string[] = [];
    background.run('reset link', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      done.push('reset link');
    });
    background.run('notice', async () => {
      done.push('notice');
    });
    await background.drain();
    expect(done.sort()).toEqual(['notice', 'reset link']);
  });

  it('drain also runs work that a task queues while draining', async () => {
    const background = createBackgroundTasks(pino({ level: 'silent' }), {
      minMs: 60_000,
      maxMs: 60_000,
    });
    const done: string[] = [];
    background.run('row', async () => {
      done.push('row');
      background.run('mail', async () => {
        done.push('mail');
      });
    });
    await background.drain();
    expect(done).toEqual(['row', 'mail']);
  });

  it('log a failure with its label, and the other tasks still run', async () => {
    const { logger, lines } = capturingLogger();
    const background = createBackgroundTasks(logger, { minMs: 0, maxMs: 0 });
    let isOtherDone = false;
    background.run('password reset request', () => Promise.reject(new Error('SMTP is down')));
    background.run('mail (signed-up)', async () => {
      isOtherDone = true;
    });
    await background.drain();
    expect(isOtherDone).toBe(true);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        task: 'password reset request',
        msg: 'password reset request failed',
        err: expect.objectContaining({ message: 'SMTP is down' }),
      }),
    ]);
  });
});
