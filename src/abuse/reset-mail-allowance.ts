import { RateLimiterRes } from 'rate-limiter-flexible';
import { withStore, type LimiterFactory } from './rate-limit';

/**
 * How many reset mails one address receives per hour, whoever asks. Anyone
 * may trigger all but one of them; the last is kept for requests from the
 * owner's own browser (a valid device cookie), so strangers who spend the
 * allowance cannot stop the owner from getting a link.
 */
export function createResetMailAllowance(perHour: number, factory: LimiterFactory) {
  const anyone = factory({ keyPrefix: 'reset_mail', points: perHour, duration: 3600 });
  const strangers = factory({
    keyPrefix: 'reset_mail_stranger',
    points: perHour - 1,
    duration: 3600,
  });
  const tryConsume = async (counter: typeof anyone, key: string) => {
    try {
      await withStore(() => counter.consume(key));
      return true;
    } catch (error) {
      if (error instanceof RateLimiterRes) return false;
      throw error;
    }
  };
  return {
    /** Takes one mail from the address's allowance; false when none is left for this sender. */
    async take(address: string, isOwnerDevice: boolean): Promise<boolean> {
      if (!isOwnerDevice && !(await tryConsume(strangers, address))) return false;
      if (await tryConsume(anyone, address)) return true;
      if (!isOwnerDevice) await strangers.reward(address);
      return false;
    },
  };
}

export type ResetMailAllowance = ReturnType<typeof createResetMailAllowance>;
