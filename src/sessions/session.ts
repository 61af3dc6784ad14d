import type { User } from '../users/user';

export type SessionKind = 'browser' | 'api';

export interface Session {
  id: string;
  userId: number;
  kind: SessionKind;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
}

/** A live session together with its (active) user, as one lookup returns them. */
export interface AuthenticatedSession {
  session: Session;
  user: User;
}
