import type { Request, Response } from 'express';
import { createHostCookie } from './host-cookie';

/** OWASP suggests a long life: the owner's own browser should stay known between visits. */
const DEVICE_COOKIE_MAX_AGE_MS = 180 * 86_400_000;

/** Names, reads and sets the device cookie (its contents are the abuse module's business). */
export function createDeviceCookie(config: { cookieSecure: boolean }) {
  const cookie = createHostCookie('device', config);
  return {
    name: cookie.name,
    read: (req: Request): string | undefined => cookie.read(req),
    set: (res: Response, value: string): void => cookie.set(res, value, DEVICE_COOKIE_MAX_AGE_MS),
  };
}

export type DeviceCookie = ReturnType<typeof createDeviceCookie>;
