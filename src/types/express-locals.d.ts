import type { Session } from '../sessions/session';
import type { User } from '../users/user';

declare global {
  namespace Express {
    interface Request {
      /** This request's id, also sent as X-Request-Id (set by the request log). */
      id?: string;
    }
    interface Locals {
      /** The signed-in user, set by optionalUser / requireUser. */
      user?: User;
      session?: Session;
      /** Whether the session cookie has already been read for this request. */
      isUserLoaded?: boolean;
      /** A one-time message from the previous request. */
      flash?: string;
    }
  }
}

export {};
