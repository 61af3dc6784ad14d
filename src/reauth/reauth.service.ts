import type { ActionThrottle } from '../abuse/action-throttle';
import type { AuthService } from '../auth/auth.service';
import type { AuditLog } from '../events/audit-log';
import type { RequestOrigin } from '../events/auth-event';
import type { AuthenticatedSession } from '../sessions/session';
import type { SessionsService } from '../sessions/sessions.service';

export type ReauthService = ReturnType<typeof createReauthService>;

/** Re-entering the password inside a session, before a sensitive change. */
export function createReauthService(deps: {
  auth: AuthService;
  sessions: SessionsService;
  audit: AuditLog;
  /** Per user, like the login's per-account budget: a stolen cookie cannot guess on. */
  throttle: ActionThrottle;
}) {
  /**
   * Checks the password of the session's own user (the same argon2 path and
   * hashing queue as a login) and marks the session as freshly proven.
   * Throws InvalidCredentialsError, AccountDisabledError or TooManyAttemptsError.
   */
  async function confirmWithPassword(
    current: AuthenticatedSession,
    password: string,
    origin: RequestOrigin,
  ): Promise<void> {
    await deps.throttle.consume(String(current.user.id));
    try {
      await deps.auth.checkCredentials(current.user.email, password);
    } catch (error) {
      await deps.audit(current.user.id, 'reauth_failed', origin);
      throw error;
    }
    await deps.sessions.recordReauthentication(current);
    await deps.audit(current.user.id, 'reauthenticated', origin);
  }

  return { confirmWithPassword };
}
