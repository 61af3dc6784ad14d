import { describeDatabaseFault, isDatabaseUnavailable } from '../../src/db/database-errors';

/** An error shaped like a driver's: a message and whatever fields it adds. */
function driverError(message: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), fields);
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['SQLITE_READONLY', 'attempt to write a readonly database'],
    ['SQLITE_READONLY_DBMOVED', 'attempt to write a readonly database'],
    ['SQLITE_FULL', 'database or disk is full'],
    ['SQLITE_IOERR', 'disk I/O error'],
    ['SQLITE_IOERR_WRITE', 'disk I/O error'],
    ['SQLITE_CANTOPEN', 'unable to open database file'],
    ['SQLITE_BUSY', 'database is locked'],
    ['SQLITE_BUSY_TIMEOUT', 'database is locked'],
  ])('recognises SQLite %s', (code, message) => {
    expect(isDatabaseUnavailable(driverError(message, { code }))).toBe(true);
  });

  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ['ECONNRESET', 'read ECONNRESET'],
    ['ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.5:5432'],
    ['57P01', 'terminating connection due to administrator command'],
    ['57P02', 'terminating connection due to crash of another server process'],
    ['57P03', 'the database system is starting up'],
    ['08006', 'connection failure'],
    ['08P01', 'protocol violation'],
    ['53300', 'sorry, too many clients already'],
  ])('recognises the Postgres connection fault %s', (code, message) => {
    expect(isDatabaseUnavailable(driverError(message, { code, severity: 'FATAL' }))).toBe(true);
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
  ])("recognises pg's own connection error %j", (message) => {
    expect(isDatabaseUnavailable(new Error(message))).toBe(true);
  });

  it('looks inside an AggregateError (every address of a host refused) and a cause', () => {
    const refused = driverError('connect ECONNREFUSED ::1:5432', { code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(new AggregateError([refused], ''))).toBe(true);
    expect(isDatabaseUnavailable(new Error('query failed', { cause: refused }))).toBe(true);
  });

  it.each([
    [
      'a unique violation (SQLite)',
      driverError('UNIQUE constraint failed', { code: 'SQLITE_CONSTRAINT_UNIQUE' }),
    ],
    ['a unique violation (Postgres)', driverError('duplicate key value', { code: '23505' })],
    ['a missing table', driverError('no such table: sessions', { code: 'SQLITE_ERROR' })],
    ['a corrupt file', driverError('database disk image is malformed', { code: 'SQLITE_CORRUPT' })],
    ['a syntax error', driverError('syntax error at or near "selec"', { code: '42601' })],
    ['a destroyed Kysely instance (shutdown)', new Error('driver has already been destroyed')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a string', 'SQLITE_FULL'],
    ['null', null],
  ])('does not take %s for an outage', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('describeDatabaseFault', () => {
  it('keeps the code and message only, never row values a driver attaches', () => {
    const error = driverError('terminating connection due to administrator command', {
      code: '57P01',
      detail: 'Key (email)=(ada@example.com) already exists.',
      parameters: ['ada@example.com', '$argon2id$...'],
    });
    expect(describeDatabaseFault(error)).toEqual({
      code: '57P01',
      message: 'terminating connection due to administrator command',
    });
  });
});
