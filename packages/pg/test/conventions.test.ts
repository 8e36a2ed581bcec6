import { Attributes, getTracer, InMemoryExporter, Span, start } from '@tracewire/core';
import {
  connectionAttributes,
  MAX_RECORDED_PARAMETERS,
  parameterAttributes,
  parameterText,
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

describe('the setters set a query\'s attributes on its span without making an object', () => {
  const exporter = new InMemoryExporter();
  let sdk: ReturnType<typeof start>;
  beforeAll(() => {
    sdk = start({ exporter, processor: 'simple', flushOnExit: false });
  });
  afterAll(() => sdk.shutdown());

  /** The attributes a real span ends with after `set` ran on it. */
  function recorded(set: (span: Span) => void): Attributes {
    exporter.reset();
    const span = getTracer('conventions-test').startSpan('q');
    set(span);
    span.end();
    return exporter.spans[0].attributes;
  }

  const defined = (attributes: Attributes): Attributes => Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));

  it.each([
    ['db.internal', 6432, 'shop'],
    ['/var/run/postgresql', '5432', ''],
    [undefined, 'x', undefined],
    ['', 0, 'orders'],
  ])('setConnectionAttributes(%j, %j, %j) sets what connectionAttributes holds and returns the namespace', (host, port, database) => {
    let namespace: string | undefined;
    const attributes = recorded((span) => {
      namespace = setConnectionAttributes(span, host, port, database);
    });
    expect(attributes).toEqual(defined(connectionAttributes(host, port, database)));
    expect(namespace).toBe(connectionAttributes(host, port, database)['db.namespace']);
  });

  it.each([
    ['SELECT * FROM products WHERE id = $1', { 'db.query.summary': 'SELECT products', 'db.operation.name': 'SELECT', 'db.collection.name': 'products' }],
    ['CALL refresh_totals()', { 'db.query.summary': 'CALL refresh_totals', 'db.operation.name': 'CALL', 'db.stored_procedure.name': 'refresh_totals' }],
    ['SELEC 1', {}],
  ])('setQueryTextAttributes for %j: the text and what its summary found', (text, found) => {
    const attributes = recorded((span) => setQueryTextAttributes(span, text, summarizeSql(text)));
    expect(attributes).toEqual({ 'db.query.text': text, ...found });
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
