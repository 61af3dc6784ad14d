import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import { createDeviceTrust } from './abuse/device-trust';
import type { LimiterFactory } from './abuse/rate-limit';
import { createThrottles } from './abuse/throttles';
import { createAccountRouter } from './accounts/account.routes';
import { createAccountsService, type AccountServiceDeps } from './accounts/accounts.service';
import { createSignupRouter } from './accounts/signup.routes';
import { createApiRouter } from './api/api.routes';
import { createAuthRouter } from './auth/auth.routes';
import { createAuthService } from './auth/auth.service';
import { createSecondStepRouter } from './auth/second-step.routes';
import {
  createStoredParameters,
  followStoredParameters,
  type StoredParameters,
} from './auth/dummy-hash';
import { limitHashing } from './auth/hashing-limiter';
import { createPasswordHasher, type PasswordHasher } from './auth/password';
import { createBackgroundTasks, type BackgroundTasks } from './background-tasks';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import { createConfirmationRouter } from './confirmation/confirmation.routes';
import { createConfirmationService } from './confirmation/confirmation.service';
import { createEmailChangeRouter } from './confirmation/email-change.routes';
import { createResendTicket } from './confirmation/resend-ticket';
import type { DatabaseHandle } from './db/database';
import { createAuditLog } from './events/audit-log';
import { createRefusalLog } from './events/refusal-log';
import { createHealthRouter } from './health/health.routes';
import { createCsrfProtection } from './http/csrf';
import { createDeviceCookie } from './http/device-cookie';
import { createErrorHandler, notFoundHandler } from './http/error-handler';
import { createFlash } from './http/flash';
import { parseFormBody } from './http/form-body';
import { keepCookiesPlain } from './http/plain-cookies';
import { createRequestLog } from './http/request-log';
import { createSecurityHeaders } from './http/security-headers';
import { serveStaticFiles } from './http/static-files';
import { configureViews } from './http/views';
import { createLogger, type Logger } from './logger';
import { createPagesRouter } from './pages/pages.routes';
import { accountMailFromConfig } from './mail/account-mail';
import { createPasswordResetRouter } from './password-reset/password-reset.routes';
import { createPasswordResetService } from './password-reset/password-reset.service';
import { createReauthRouter } from './reauth/reauth.routes';
import { createReauthService } from './reauth/reauth.service';
import { createRecentLoginGate } from './reauth/recent-login';
import { createCurrentUser } from './sessions/current-user';
import { createSessionCookie } from './sessions/session-cookie';
import { createSessionsService } from './sessions/sessions.service';
import { createChallengeCookie } from './two-step/challenge-cookie';
import { createLoginChallenges } from './two-step/login-challenges';
import { createSecretBox } from './two-step/secret-box';
import { createTwoStepRouter } from './two-step/two-step.routes';
import { createTwoStepService } from './two-step/two-step.service';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  clock?: Clock;
  logger?: Logger;
  /** Tests pass a counting wrapper around the real hasher. */
  hasher?: PasswordHasher;
  /**
   * The parameters of the dummy hash for unknown e-mails: the server starts
   * sampling them (and making that dummy) at start-up, so that no login
   * waits for it; otherwise the first unknown e-mail samples them.
   */
  storedParameters?: StoredParameters;
  /** Where rate-limit counters live: memory unless a shared store is given. */
  limiterFactory?: LimiterFactory;
  /** Work after the answer (e-mail): the server drains it at shutdown, tests await it. */
  background?: BackgroundTasks;
}

/** Builds the whole app without I/O: no listening, no timers, no environment. */
export function createApp(deps: AppDeps): Express {
  const { config } = deps;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config);
  const db = deps.database.db;
  const storedParameters =
    deps.storedParameters ??
    createStoredParameters({ db, configured: config.argon2, clock, logger });
  const hasher = followStoredParameters(
    limitHashing(deps.hasher ?? createPasswordHasher(config.argon2), config.hashing),
    storedParameters,
  );
  const throttles = createThrottles(config.rateLimits, deps.limiterFactory);
  const audit = createAuditLog({ db, clock, logger });
  const sessions = createSessionsService({
    db,
    clock,
    audit,
    secret: config.jwtSecret,
    sessionMinutes: config.sessionMinutes,
    sessionAbsoluteHours: config.sessionAbsoluteHours,
  });
  const background = deps.background ?? createBackgroundTasks(logger);
  const deviceTrust = createDeviceTrust(config.jwtSecret);
  const accountMail = accountMailFromConfig({ config, logger, clock, background });
  const twoStep = createTwoStepService({
    db,
    clock,
    // DATA_KEY when set, so JWT_SECRET can be rotated without losing every authenticator.
    box: createSecretBox(config.dataKey ?? config.jwtSecret),
    audit,
    accountMail,
    throttle: throttles.twoStepPerUser,
  });
  const challenges = createLoginChallenges({ db, clock });
  const auth = createAuthService({
    db,
    hasher,
    sessions,
    clock,
    audit,
    throttle: throttles.login,
    deviceTrust,
    refusals: createRefusalLog({ db, clock, logger, background }),
    isConfirmationRequired: config.isConfirmationRequired,
    twoStep,
    challenges,
  });
  const deviceCookie = createDeviceCookie(config);
  const challengeCookie = createChallengeCookie(config);
  const cookie = createSessionCookie(config);
  const currentUser = createCurrentUser({ sessions, cookie });
  const csrf = createCsrfProtection(config);
  const flash = createFlash({ secret: config.jwtSecret, cookieSecure: config.cookieSecure });
  // What the account services share: the database, hashing, time, sessions, mail, audit.
  const accountDeps: AccountServiceDeps = { db, hasher, clock, sessions, accountMail, audit };
  const accounts = createAccountsService({
    ...accountDeps,
    auth,
    signupThrottle: throttles.signupPerIp,
    passwordChangeThrottle: throttles.passwordChangePerUser,
  });
  const policy = { minLength: config.passwordMinLength };
  const recentLogin = createRecentLoginGate({ clock, minutes: config.reauthMinutes });
  const reauth = createReauthService({
    auth,
    sessions,
    audit,
    throttle: throttles.reauthPerUser,
  });
  const resendTicket = createResendTicket(config.jwtSecret, clock);
  const confirmations = createConfirmationService({
    ...accountDeps,
    background,
    tokenMinutes: config.confirmTokenMinutes,
    signupPerIp: throttles.signupPerIp,
    mailsPerAddress: throttles.confirmMailsPerAddress,
    emailChangePerUser: throttles.emailChangePerUser,
    resendTicket,
  });
  const confirmationRoutes = {
    confirmations,
    tokenMinutes: config.confirmTokenMinutes,
    cookieSecure: config.cookieSecure,
  };
  // Confirmation needs mail: without it (production without SMTP_URL) nobody could finish signing up.
  const isSignupOpen =
    config.isSignupOpen && (accountMail.isEnabled || !config.isConfirmationRequired);
  const resets = createPasswordResetService({
    ...accountDeps,
    background,
    tokenMinutes: config.resetTokenMinutes,
    perIpThrottle: throttles.resetPerIp,
    perEmailThrottle: throttles.resetPerEmail,
    perDeviceThrottle: throttles.resetPerDevice,
    mailAllowance: throttles.resetMails,
    deviceTrust,
  });

  const app = express();
  app.disable('x-powered-by');
  // Dynamic pages are no-store, so an ETag (a hash of every body) buys nothing.
  app.set('etag', false);
  // Without TRUST_PROXY the socket address is the client: X-Forwarded-For cannot be spoofed.
  app.set('trust proxy', config.trustProxy);
  configureViews(app, { isProduction: config.isProduction });
  // Fixed for the app's life: set once for every view, not per request.
  app.locals.isSignupOpen = isSignupOpen;
  // Without a way to send mail (production without SMTP_URL) there is no reset.
  app.locals.isPasswordResetOn = accountMail.isEnabled;
  app.locals.isEmailChangeOn = accountMail.isEnabled;

  app.use(createRequestLog(logger));
  app.use(createSecurityHeaders(config));
  serveStaticFiles(app, { isProduction: config.isProduction });
  app.use(createHealthRouter({ database: deps.database, logger }));

  // Everything below is dynamic and may show personal data or carry a CSRF
  // token: never store it, so Back after logout refetches (and redirects).
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use(cookieParser(), keepCookiesPlain);
  app.use(flash.read);
  // Home and private pages hold no form and change nothing: they come before
  // CSRF, which would otherwise mint a secret cookie on every page view, and
  // before the form parser, which they do not need.
  app.use(createPagesRouter({ currentUser }));
  // Bearer-token routes come before CSRF (they read no cookie) and answer their own errors.
  app.use(createApiRouter({ auth, sessions, corsOrigins: config.corsOrigins, logger }));
  app.use(parseFormBody);
  app.use(csrf.middleware);
  app.use(
    createAuthRouter({
      auth,
      sessions,
      cookie,
      deviceCookie,
      currentUser,
      flash,
      clearCsrfSecret: csrf.clearSecret,
      resendTicket,
      challengeCookie,
      clock,
    }),
  );
  app.use(
    createSecondStepRouter({
      auth,
      challenges,
      challengeCookie,
      cookie,
      deviceCookie,
      currentUser,
      flash,
      clearCsrfSecret: csrf.clearSecret,
    }),
  );
  if (isSignupOpen) {
    app.use(
      createSignupRouter({
        accounts,
        cookie,
        currentUser,
        flash,
        policy,
        clearCsrfSecret: csrf.clearSecret,
        ...(config.isConfirmationRequired ? { confirmation: confirmationRoutes } : {}),
      }),
    );
  }
  app.use(createReauthRouter({ reauth, currentUser }));
  app.use(
    createAccountRouter({ accounts, cookie, currentUser, flash, policy, recentLogin, twoStep }),
  );
  app.use(createTwoStepRouter({ twoStep, currentUser, recentLogin, flash }));
  if (accountMail.isEnabled) {
    app.use(
      createConfirmationRouter({
        ...confirmationRoutes,
        cookie,
        flash,
        clearCsrfSecret: csrf.clearSecret,
      }),
    );
    app.use(createEmailChangeRouter({ ...confirmationRoutes, currentUser, recentLogin }));
    app.use(
      createPasswordResetRouter({
        resets,
        cookie,
        deviceCookie,
        clearCsrfSecret: csrf.clearSecret,
        flash,
        policy,
        cookieSecure: config.cookieSecure,
        tokenMinutes: config.resetTokenMinutes,
      }),
    );
  }

  // 404s read the session too, so the error page's navigation matches the visitor.
  app.use(currentUser.optionalUser, notFoundHandler);
  app.use(createErrorHandler({ logger, isProduction: config.isProduction }));
  return app;
}
