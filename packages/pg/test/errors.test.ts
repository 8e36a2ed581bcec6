// Database errors carry no values by default: the masker against messages a
// real PostgreSQL produced (see helpers/database.ts), then pg's query spans.
import { ReadableSpan, SpanStatusCode } from '@tracewire/core';
import pg = require('pg');
import { configurePg, maskErrorStack, maskErrorValues } from '../src';
import { usePg, useTracing } from './helpers/tracing';

// Per process: another run of the tests may use the same database at the same time.
const SCHEMA = `tw_errors_${process.pid}`;
const SECRET = 'hunter2';

const database = usePg(async (db) => {
  const client = new pg.Client(db.config);
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.end();
});
let client: pg.Client;

beforeAll(async () => {
  const setup = new pg.Client(database().config);
  await setup.connect();
  await setup.query(`
    CREATE SCHEMA ${SCHEMA};
    CREATE TABLE ${SCHEMA}.parents (id int PRIMARY KEY);
    CREATE TABLE ${SCHEMA}.accounts (
      id int PRIMARY KEY, email text UNIQUE, code varchar(3), balance int CHECK (balance >= 0),
      parent int REFERENCES ${SCHEMA}.parents (id), name text NOT NULL DEFAULT 'x');
    INSERT INTO ${SCHEMA}.accounts (id, email) VALUES (1, 'alice@example.com');
    CREATE FUNCTION ${SCHEMA}.lock_user(who text) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'user % is locked', who; END $$;
    CREATE FUNCTION ${SCHEMA}.claim(who text) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN RAISE unique_violation USING MESSAGE = 'email ' || who || ' is taken'; END $$;
    CREATE FUNCTION ${SCHEMA}.check_credit(who text) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN ASSERT false, 'no credit for ' || who; END $$;`);
  await setup.end();
});

beforeEach(async () => {
  client = new pg.Client(database().config);
  await client.connect();
});

afterEach(async () => {
  await client.end();
});

/** The error PostgreSQL answers `text` with. */
async function failure(text: string, values?: unknown[]): Promise<pg.DatabaseError> {
  try {
    await client.query(text, values);
  } catch (error) {
    return error as pg.DatabaseError;
  }
  throw new Error(`expected ${text} to fail`);
}

describe('maskErrorValues, on what PostgreSQL answers', () => {
  const accounts = `${SCHEMA}.accounts`;
  // [case, SQL, values, SQLSTATE, message masked, detail masked, what the raw text holds that the masked must not]
  const cases: Array<[string, string, unknown[] | undefined, string, string, string | undefined, string | undefined]> = [
    ['invalid integer', 'SELECT $1::int', [SECRET], '22P02', 'invalid input syntax for type integer: "?"', undefined, SECRET],
    ['invalid uuid', 'SELECT $1::uuid', [`${SECRET}-uuid`], '22P02', 'invalid input syntax for type uuid: "?"', undefined, SECRET],
    ['invalid json', 'SELECT $1::json', [`{"a": ${SECRET}}`], '22P02', 'invalid input syntax for type json', 'Token "?" is invalid.', SECRET],
    ['invalid date', 'SELECT $1::date', [`${SECRET}-date`], '22007', 'invalid input syntax for type date: "?"', undefined, SECRET],
    ['date out of range', 'SELECT $1::date', ['2020-13-45'], '22008', 'date/time field value out of range: "?"', undefined, '2020-13-45'],
    ['number out of range', 'SELECT $1::smallint', ['99999'], '22003', 'value "?" is out of range for type smallint', undefined, '99999'],
    [
      'unique violation',
      `INSERT INTO ${accounts} (id, email) VALUES ($1, $2)`,
      [2, 'alice@example.com'],
      '23505',
      'duplicate key value violates unique constraint "accounts_email_key"',
      'Key (email)=(?) already exists.',
      'alice@example.com',
    ],
    [
      'foreign key violation',
      `INSERT INTO ${accounts} (id, parent) VALUES ($1, $2)`,
      [3, 4242],
      '23503',
      'insert or update on table "accounts" violates foreign key constraint "accounts_parent_fkey"',
      'Key (parent)=(?) is not present in table "parents".',
      '4242',
    ],
    [
      'not-null violation',
      `INSERT INTO ${accounts} (id, email, name) VALUES ($1, $2, NULL)`,
      [4, 'bob@example.com'],
      '23502',
      'null value in column "name" of relation "accounts" violates not-null constraint',
      'Failing row contains (?).',
      'bob@example.com',
    ],
    [
      'check violation',
      `INSERT INTO ${accounts} (id, email, balance) VALUES ($1, $2, $3)`,
      [5, 'carol@example.com', -4242],
      '23514',
      'new row for relation "accounts" violates check constraint "accounts_balance_check"',
      'Failing row contains (?).',
      'carol@example.com',
    ],
    ['value too long', `INSERT INTO ${accounts} (id, code) VALUES ($1, $2)`, [6, SECRET], '22001', 'value too long for type character varying(3)', undefined, undefined],
    ['division by zero', 'SELECT $1::int / 0', [7], '22012', 'division by zero', undefined, undefined],
    ['RAISE EXCEPTION', `SELECT ${SCHEMA}.lock_user($1)`, ['alice'], 'P0001', '?', undefined, 'alice'],
    ['RAISE with a SQLSTATE of its own', `SELECT ${SCHEMA}.claim($1)`, ['alice'], '23505', '?', undefined, 'alice'],
    ['ASSERT', `SELECT ${SCHEMA}.check_credit($1)`, ['alice'], 'P0004', '?', undefined, 'alice'],
    ['syntax error at a literal', `SELECT 'secret' '${SECRET}'`, undefined, '42601', 'syntax error at or near "?"', undefined, SECRET],
    ['unterminated literal', `SELECT '${SECRET}`, undefined, '42601', 'unterminated quoted string at or near "?"', undefined, SECRET],
    ['syntax error at a keyword', 'SELECT * FROM FROM', undefined, '42601', 'syntax error at or near "FROM"', undefined, undefined],
    ['undefined column', `SELECT nosuch FROM ${accounts}`, undefined, '42703', 'column "nosuch" does not exist', undefined, undefined],
    ['undefined relation', `SELECT * FROM ${SCHEMA}.nosuch`, undefined, '42P01', `relation "${SCHEMA}.nosuch" does not exist`, undefined, undefined],
    [
      'invalid byte sequence',
      "SELECT convert_from($1::bytea, 'UTF8')",
      ['\\xe228a1'],
      '22021',
      'invalid byte sequence for encoding "UTF8": ?',
      undefined,
      '0xe2 0x28 0xa1',
    ],
  ];

  it.each(cases)('%s', async (_, text, values, code, message, detail, secret) => {
    const error = await failure(text, values);
    expect(error.code).toBe(code);
    expect(maskErrorValues(error.message, error.code, error.where)).toBe(message);
    if (detail !== undefined) expect(maskErrorValues(error.detail as string, error.code, error.where)).toBe(detail);
    if (secret !== undefined) {
      // The case is real: PostgreSQL did quote the value back.
      expect(`${error.message} ${error.detail}`).toContain(secret);
      expect(`${message} ${detail}`).not.toContain(secret);
    } else {
      expect(message).toBe(error.message);
    }
  });
});

describe('maskErrorValues, edges', () => {
  it.each([
    ['a value holding quotes', 'invalid input syntax for type integer: "a"b" c"', '22P02', 'invalid input syntax for type integer: "?"'],
    ['a value holding a parenthesis', 'Key (email)=(a) b) already exists.', '23505', 'Key (email)=(?) already exists.'],
    ['an expression key', 'Key (lower(email))=(alice@example.com) already exists.', '23505', 'Key (lower(email))=(?) already exists.'],
    ['spaced key and value', 'Partition key of the failing row contains (region) = (eu-secret).', '23514', 'Partition key of the failing row contains (?).'],
    ['an unterminated value', 'invalid input syntax for type integer: "abc', '22P02', 'invalid input syntax for type integer: "?"'],
    ['an unclosed list', 'Failing row contains (1, secret', '23502', 'Failing row contains (?'],
    ['a value first in the text', '"secret" is not valid', '22023', '"?" is not valid'],
    ['identifiers of every kind', 'column "a" of relation "b" and constraint "c" on table "d"', '42703', 'column "a" of relation "b" and constraint "c" on table "d"'],
    ['a quoted word no kind names', 'invalid value "x" for "YYYY"', '22007', 'invalid value "?"'],
    ['a dollar-quoted literal', 'unterminated dollar-quoted string at or near "$$secret"', '42601', 'unterminated dollar-quoted string at or near "?"'],
    ['a number', 'syntax error at or near "4242"', '42601', 'syntax error at or near "?"'],
    ['an escape string', "syntax error at or near \"E'secret'\"", '42601', 'syntax error at or near "?"'],
    ['punctuation', 'syntax error at or near ";"', '42601', 'syntax error at or near ";"'],
    // convert_to($1, 'LATIN1') with '€' (PGlite, the embedded server, has no such conversion):
    [
      'bytes in the middle',
      'character with byte sequence 0xe2 0x82 0xac in encoding "UTF8" has no equivalent in encoding "LATIN1"',
      '22P05',
      'character with byte sequence ? in encoding "UTF8" has no equivalent in encoding "LATIN1"',
    ],
    ['hex that is no byte run', 'operator 0xfoo', '42883', 'operator 0xfoo'],
  ])('%s', (_, text, code, masked) => {
    expect(maskErrorValues(text, code)).toBe(masked);
  });

  it('returns the very same string when nothing is masked', () => {
    const text = 'relation "orders" does not exist';
    expect(maskErrorValues(text, '42P01')).toBe(text);
  });

  it('masks whole what RAISE or ASSERT made, by SQLSTATE or by the innermost line of where', () => {
    expect(maskErrorValues('balance 42', 'P0001')).toBe('?');
    expect(maskErrorValues('balance 42', 'P0004')).toBe('?');
    expect(maskErrorValues('balance 42', '22000', 'PL/pgSQL function f(text) line 3 at RAISE\nSQL statement "SELECT f($1)"')).toBe('?');
    expect(maskErrorValues('division by zero', '22012', 'PL/pgSQL function f() line 3 at SQL statement\nPL/pgSQL function g() line 2 at RAISE')).toBe('division by zero');
  });

  it('masks anything that is not text', () => {
    expect(maskErrorValues(undefined as unknown as string, '22P02')).toBe('?');
  });
});

describe('maskErrorStack', () => {
  const frames = '\n    at /app/node_modules/pg/lib/client.js:526:17\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)';

  it.each([
    ['masks the message in the head, keeps the frames', `error: invalid input syntax for type integer: "${SECRET}"${frames}`, `invalid input syntax for type integer: "${SECRET}"`, '22P02', `error: invalid input syntax for type integer: "?"${frames}`],
    ['masks a raised message of several lines whole', `error: user alice\nbalance 42${frames}`, 'user alice\nbalance 42', 'P0001', `error: ?${frames}`],
    ['masks the head when the message was changed after the stack', `error: Key (email)=(a@b.c) already exists.${frames}`, 'changed', '23505', `error: Key (email)=(?) already exists.${frames}`],
    ['a stack with no frames', `PostgresError: value "${SECRET}" is out of range`, `value "${SECRET}" is out of range`, '22003', 'PostgresError: value "?" is out of range'],
  ])('%s', (_, stack, message, code, masked) => {
    expect(maskErrorStack(stack, message, code)).toBe(masked);
  });
});

describe('pg query spans', () => {
  const tracing = useTracing();
  const INSERT = `INSERT INTO ${SCHEMA}.accounts (id, email) VALUES ($1, $2)`;

  /** What the span says about its error: status message, exception message and stack. */
  function errorText(span: ReadableSpan): string[] {
    const event = span.events.find((e) => e.name === 'exception');
    return [span.status.message, event?.attributes?.['exception.message'], event?.attributes?.['exception.stacktrace']].map(String);
  }

  /** Errors as pg produced them, copied (message, stack, own fields) before any wrapper of ours could touch them. */
  function watchErrors(): { seen: Array<{ error: unknown; copy: Record<string, unknown> }>; restore(): void } {
    const seen: Array<{ error: unknown; copy: Record<string, unknown> }> = [];
    const original = pg.Query.prototype.handleError;
    pg.Query.prototype.handleError = function (this: pg.Query, error: Error, connection: unknown) {
      seen.push({ error, copy: { ...error, message: error.message } });
      return (original as unknown as (...args: unknown[]) => unknown).call(this, error, connection);
    } as typeof original;
    return { seen, restore: () => void (pg.Query.prototype.handleError = original) };
  }

  it('by default: no value in status.message, exception.message, exception.stacktrace; the SQLSTATE kept', async () => {
    const watch = watchErrors();
    const caught = await failure(INSERT, [9, 'alice@example.com']).finally(() => watch.restore());
    const span = tracing.span(`INSERT ${SCHEMA}.accounts`);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'error.type': '23505', 'db.response.status_code': '23505' });
    const [status, message, stack] = errorText(span);
    expect(status).toBe('duplicate key value violates unique constraint "accounts_email_key"');
    expect(message).toBe(status);
    expect(stack.split('\n')[0]).toBe(`error: ${status}`);
    expect(stack.split('\n').length).toBeGreaterThan(1);

    const value = await failure('SELECT $1::int', [SECRET]);
    const cast = tracing.span('SELECT');
    expect(errorText(cast)).toEqual([
      'invalid input syntax for type integer: "?"',
      'invalid input syntax for type integer: "?"',
      expect.stringMatching(/^error: invalid input syntax for type integer: "\?"\n {4}at /),
    ]);
    expect(JSON.stringify(cast)).not.toContain(SECRET);
    // The app's error: the very object pg made, message and fields as pg made them.
    expect(value.message).toBe(`invalid input syntax for type integer: "${SECRET}"`);
    expect(caught).toBe(watch.seen[0].error);
    expect({ ...caught, message: caught.message }).toEqual(watch.seen[0].copy);
  });

  it('masks pool queries and callbacks too', async () => {
    const pool = new pg.Pool({ ...database().config, max: 1 });
    try {
      await expect(pool.query(`SELECT ${SCHEMA}.lock_user($1)`, ['alice'])).rejects.toThrow('user alice is locked');
      const error = await new Promise<Error>((resolve) => pool.query('SELECT $1::uuid', [SECRET], (e: Error) => resolve(e)));
      expect(error.message).toContain(SECRET);
    } finally {
      await pool.end();
    }
    const texts = tracing.exporter.spans.filter((s) => s.name === 'SELECT').map(errorText);
    expect(texts).toHaveLength(2);
    expect(texts[0].slice(0, 2)).toEqual(['?', '?']);
    expect(texts[0][2]).toMatch(/^error: \?\n {4}at /);
    expect(JSON.stringify(texts)).not.toMatch(/alice|hunter2/);
  });

  it('with captureErrorValues: the text as the server sent it', async () => {
    configurePg({ captureErrorValues: true });
    const error = await failure('SELECT $1::int', [SECRET]);
    expect(errorText(tracing.span('SELECT'))).toEqual([error.message, error.message, expect.stringContaining(`error: ${error.message}\n`)]);
    expect(error.message).toContain(SECRET);
  });

  it('masks a failed connect as well', async () => {
    // PGlite, the embedded server, ignores startup options: nothing fails there.
    if (database().source === 'embedded') return;
    const refused = new pg.Client({ ...database().config, options: `-c statement_timeout=${SECRET}` });
    await expect(refused.connect()).rejects.toThrow(`invalid value for parameter "statement_timeout": "${SECRET}"`);
    const span = tracing.span('pg.connect');
    expect(errorText(span).slice(0, 2)).toEqual(Array(2).fill('invalid value for parameter "statement_timeout": "?"'));
    expect(JSON.stringify(span)).not.toContain(SECRET);
  });
});
