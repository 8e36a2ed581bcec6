import { Attributes, AttributeValue, Span } from '@tracewire/core';
import {
  connectionAttributes,
  MAX_RECORDED_PARAMETERS,
  parameterAttributes,
  parameterText,
  queryTextAttributes,
  querySpanName,
  setConnectionAttributes,
  setQueryTextAttributes,
  sqlState,
} from '../src/conventions';
import { returnedRows } from '../src/spans';
import { summarizeSql } from '../src/sql';

describe('querySpanName', () => {
  it.each([
    ['SELECT * FROM products', 'shop', 'SELECT products'],
    ['SELECT 1', 'shop', 'SELECT'],
    ['SELEC 1', 'shop', 'shop'],
    ['SELEC 1', undefined, 'postgresql'],
  ])('%j on %j → %j', (text, namespace, name) => {
    expect(querySpanName(summarizeSql(text), namespace)).toBe(name);
  });

  it('falls back without any text', () => {
    expect(querySpanName(undefined, 'shop')).toBe('shop');
    expect(querySpanName(undefined, undefined)).toBe('postgresql');
  });
});

describe('sqlState', () => {
  it.each([
    [{ code: '42601' }, '42601'],
    [{ code: '22P02' }, '22P02'],
    [{ code: 'ECONNREFUSED' }, undefined],
    [{ code: 42601 }, undefined],
    [new Error('x'), undefined],
    [null, undefined],
    ['42601', undefined],
  ])('%j → %j', (error, code) => {
    expect(sqlState(error)).toBe(code);
  });
});

describe('connectionAttributes', () => {
  it('reads host, port and database, leaving out what is not there', () => {
    expect(connectionAttributes('db.internal', 6432, 'shop')).toEqual({ 'server.address': 'db.internal', 'server.port': 6432, 'db.namespace': 'shop' });
    expect(connectionAttributes('/var/run/postgresql', '5432', '')).toEqual({ 'server.address': '/var/run/postgresql', 'server.port': 5432, 'db.namespace': undefined });
    expect(connectionAttributes(undefined, 'x', undefined)).toEqual({ 'server.address': undefined, 'server.port': undefined, 'db.namespace': undefined });
  });
});

/** A span that only records what is set on it, as setAttribute keeps it (undefined values ignored). */
function recordingOf(): { span: Span; attributes: Attributes } {
  const attributes: Attributes = {};
  const span = {
    setAttribute(key: string, value: AttributeValue | undefined) {
      if (value !== undefined) attributes[key] = value;
      return span;
    },
  } as unknown as Span;
  return { span, attributes };
}

const defined = (attributes: Attributes): Attributes => Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));

describe('the setters per query set what the attribute objects hold, without making one', () => {
  it.each([
    ['db.internal', 6432, 'shop'],
    ['/var/run/postgresql', '5432', ''],
    [undefined, 'x', undefined],
    ['', 0, 'orders'],
  ])('setConnectionAttributes(%j, %j, %j)', (host, port, database) => {
    const { span, attributes } = recordingOf();
    const namespace = setConnectionAttributes(span, host, port, database);
    expect(attributes).toEqual(defined(connectionAttributes(host, port, database)));
    expect(namespace).toBe(connectionAttributes(host, port, database)['db.namespace']);
  });

  it.each(['SELECT * FROM products WHERE id = $1', 'CALL refresh_totals()', 'SELEC 1'])('setQueryTextAttributes for %j', (text) => {
    const { span, attributes } = recordingOf();
    const summary = summarizeSql(text);
    setQueryTextAttributes(span, text, summary);
    expect(attributes).toEqual(defined(queryTextAttributes(text, summary)));
    expect(attributes['db.query.text']).toBe(text);
  });
});

describe('parameters', () => {
  it('records positional values 0-based as text', () => {
    const date = new Date('2024-05-01T12:00:00Z');
    expect(parameterAttributes(['alice', 42, true, null, undefined, date, Buffer.from('abc'), { a: 1 }, [1, 2], 10n])).toEqual({
      'db.query.parameter.0': 'alice',
      'db.query.parameter.1': '42',
      'db.query.parameter.2': 'true',
      'db.query.parameter.3': 'NULL',
      'db.query.parameter.4': 'NULL',
      'db.query.parameter.5': '2024-05-01T12:00:00.000Z',
      'db.query.parameter.6': '<3 bytes>',
      'db.query.parameter.7': '{"a":1}',
      'db.query.parameter.8': '[1,2]',
      'db.query.parameter.9': '10',
    });
  });

  it('bounds how many it records and never throws on odd values', () => {
    const many = Array.from({ length: 1000 }, (_, i) => i);
    expect(Object.keys(parameterAttributes(many))).toHaveLength(MAX_RECORDED_PARAMETERS);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(parameterText(cyclic)).toBe('[object Object]');
    expect(parameterText(new Date(NaN))).toBe('Invalid Date');
  });
});

describe('returnedRows', () => {
  const result = (fields: number, rowCount: number | null): object => ({ fields: new Array(fields).fill({}), rowCount, rows: [] });
  it.each([
    ['a row set', result(2, 3), 3],
    ['no row set (INSERT without RETURNING)', result(0, 5), 0],
    ['a multi-statement result', [result(1, 2), result(0, 1), result(1, 4)], 6],
    ['a closed cursor (count unknown)', result(1, null), undefined],
    ['something else', { rows: [] }, undefined],
    ['nothing', undefined, undefined],
  ])('%s', (_, value, rows) => {
    expect(returnedRows(value)).toBe(rows);
  });
});
