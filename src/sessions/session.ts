import type { User } from '../users/user';

export type SessionKind = 'browser' | 'api';

export interface Session {
  id: string;
  userId: number;
  kind: SessionKind;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
  /** When the owner last proved who they are: the login, or a re-entered password. */
  authenticatedAt: Date;
}

/** A session as the account page lists it: where it was started from, too. */
export interface SessionListing extends Session {
  userAgent: string | null;
  ip: string | null;
}

/** A live session together with its (active) user, as one lookup returns them. */
export interface AuthenticatedSession {
  session: Session;
  user: User;
}

/** A signed token and the life it was issued for (what the cookie or /token hands out). */
export interface IssuedToken {
  token: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface ResumedSession extends AuthenticatedSession {
  /** Set when the session was rolled forward and the client needs a new token. */
  renewed?: IssuedToken;
}
