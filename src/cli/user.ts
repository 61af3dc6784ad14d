import { parseArgs } from 'node:util';
import { createPasswordHasher } from '../auth/password';
import { systemClock } from '../clock';
import { migrateToLatest } from '../db/migrate';
import { openDatabase } from '../db/open-database';
import { createBackgroundTasks } from '../background-tasks';
import { createLogger } from '../logger';
import { accountMailFromConfig } from '../mail/account-mail';
import { checkFullName, InvalidFullNameError } from '../users/full-name';
import { createUserAdmin, PasswordPolicyError } from '../users/users.admin';
import { EmailTakenError, isPlausibleEmail, normalizeEmail, type User } from '../users/user';
import { UnknownUserError } from '../users/users.service';
import { CliError, promptHiddenPassword, readPasswordFromStdin } from './read-password';
import { readConfigOrExit } from './read-config';

const HELP: Record<string, string> = {
  add: 'npm run user -- add <email> [--name NAME] [--password-stdin]\n  Creates a user. The password is asked for without echo, or read from standard input with --password-stdin.',
  disable:
    'npm run user -- disable <email>\n  Refuses further logins and ends every session of the user at once.',
  enable: 'npm run user -- enable <email>\n  Lets a disabled user log in again.',
  'set-password':
    'npm run user -- set-password <email> [--password-stdin]\n  Sets a new password (same policy as sign-up) and ends every session of the user.',
  revoke:
    'npm run user -- revoke <email>\n  Ends every session (cookies and API tokens) of the user.',
  'reset-2fa':
    'npm run user -- reset-2fa <email>\n  Turns two-step sign-in off for a user who lost the authenticator and the recovery codes, and ends every session of the user.',
  list: 'npm run user -- list\n  Lists every user: id, e-mail, name, active, address confirmed, two-step, last login.',
};

const USAGE = `Usage: npm run user -- <command> [arguments]\n\nCommands:\n${Object.values(HELP)
  .map((text) => `  ${text.split('\n')[0]}`)
  .join('\n')}\n\nnpm run user -- <command> --help for more on one command.`;

async function readNewPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) return readPasswordFromStdin();
  const first = await promptHiddenPassword('New password: ');
  const second = await promptHiddenPassword('Repeat it: ');
  if (first !== second) throw new CliError('the two passwords do not match');
  return first;
}

function formatTable(users: (User & { isTwoStepOn: boolean })[]): string {
  const header = ['id', 'email', 'name', 'active', 'confirmed', 'two-step', 'last login'];
  const rows = [
    header,
    ...users.map((user) => [
      String(user.id),
      user.email,
      user.fullName,
      user.isActive ? 'yes' : 'no',
      user.emailConfirmedAt ? 'yes' : 'no',
      user.isTwoStepOn ? 'on' : 'off',
      user.lastLoginAt ? user.lastLoginAt.toISOString() : 'never',
    ]),
  ];
  const widths = header.map((_, column) =>
    Math.max(...rows.map((row) => [...(row[column] ?? '')].length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function run(argv: string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, email, ...extra] = positionals;
  if (command === undefined) return USAGE;
  const help = HELP[command];
  if (help === undefined) {
    throw new CliError(
      `unknown command "${command}" (commands: ${Object.keys(HELP).join(', ')}; --help for usage)`,
    );
  }
  if (values.help) return help;
  if (command === 'list' ? email !== undefined : email === undefined || extra.length > 0) {
    throw new CliError(`wrong arguments; usage: ${help.split('\n')[0] ?? ''}`);
  }
  if (email !== undefined && !isPlausibleEmail(normalizeEmail(email))) {
    throw new CliError(`"${email}" is not an e-mail address`);
  }

  const config = readConfigOrExit(process.env);
  const database = openDatabase(config.database);
  const logger = createLogger(config, { toStderr: true });
  const background = createBackgroundTasks(logger);
  try {
    await migrateToLatest(database);
    const admin = createUserAdmin({
      db: database.db,
      hasher: createPasswordHasher(config.argon2),
      clock: systemClock,
      policy: { minLength: config.passwordMinLength },
      accountMail: accountMailFromConfig({ config, logger, clock: systemClock, background }),
      logger,
    });
    const target = email ?? '';
    switch (command) {
      case 'add': {
        const fullName = values.name?.trim() || (normalizeEmail(target).split('@')[0] ?? target);
        // Checked before the prompt, so nobody types a password for a name that is refused.
        const name = checkFullName(fullName);
        if (!name.isValid) throw new InvalidFullNameError(name.problem);
        const password = await readNewPassword(values['password-stdin']);
        const user = await admin.addUser({ email: target, fullName: name.fullName, password });
        return `Added user ${user.email} (id ${user.id}, name "${user.fullName}").`;
      }
      case 'disable': {
        const { user, revoked } = await admin.setActive(target, false);
        return `Disabled ${user.email}; ended ${revoked} session(s).`;
      }
      case 'enable': {
        const { user } = await admin.setActive(target, true);
        return `Enabled ${user.email}.`;
      }
      case 'set-password': {
        // Look the user up first, so nobody types a password twice for nothing.
        await admin.findUser(target);
        const password = await readNewPassword(values['password-stdin']);
        const { user, revoked } = await admin.setPassword(target, password);
        return `Set a new password for ${user.email}; ended ${revoked} session(s).`;
      }
      case 'revoke': {
        const { user, revoked } = await admin.revokeSessions(target);
        return `Ended ${revoked} session(s) of ${user.email}.`;
      }
      case 'reset-2fa': {
        const { user, wasOn, revoked } = await admin.resetTwoStep(target);
        return wasOn
          ? `Turned two-step sign-in off for ${user.email}; ended ${revoked} session(s).`
          : `Two-step sign-in was not on for ${user.email}; ended ${revoked} session(s).`;
      }
      default: {
        const users = await admin.listUsers();
        return users.length === 0 ? 'No users yet.' : formatTable(users);
      }
    }
  } finally {
    // The notice to the account's owner goes out before the command returns.
    await background.drain();
    await database.close();
  }
}

const EXPECTED_ERRORS = [
  CliError,
  UnknownUserError,
  PasswordPolicyError,
  EmailTakenError,
  InvalidFullNameError,
];

run(process.argv.slice(2)).then(
  (output) => {
    console.log(output);
    // exitCode rather than exit(): let stdout drain when it is a pipe.
    process.exitCode = 0;
  },
  (error: unknown) => {
    const isExpected =
      EXPECTED_ERRORS.some((type) => error instanceof type) ||
      (error instanceof Error &&
        'code' in error &&
        String(error.code).startsWith('ERR_PARSE_ARGS'));
    const message = error instanceof Error ? error.message : String(error);
    console.error(isExpected ? `Error: ${message}` : `Failed: ${message}`);
    process.exitCode = 1;
  },
);
