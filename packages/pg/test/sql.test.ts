import { analyzeSql, MAX_SQL_SCAN, MAX_SUMMARY_LENGTH, sanitizeSql, summarizeSql } from '../src/sql';

describe('sanitizeSql', () => {
  it.each([
    // strings
    ["SELECT * FROM users WHERE name = 'alice'", 'SELECT * FROM users WHERE name = ?'],
    ["SELECT 'O''Brien', 'it''s ''quoted'''", 'SELECT ?, ?'],
    ["SELECT '' AS empty", 'SELECT ? AS empty'],
    ["SELECT 'a\\' FROM t WHERE x = 'b'", 'SELECT ? FROM t WHERE x = ?'], // standard strings: a backslash is just a character
    ["SELECT E'it\\'s', e'a\\\\', E'tab\\t' FROM t", 'SELECT ?, ?, ? FROM t'],
    ["SELECT E'it''s \\' still' AS s", 'SELECT ? AS s'],
    ["SELECT U&'d\\0061t\\+000061', N'national' FROM t", 'SELECT ?, ? FROM t'],
    ["SELECT X'1F', x'ff', B'0101', b'1'", 'SELECT ?, ?, ?, ?'],
    ["SELECT DATE '2024-01-31', INTERVAL '1 day', '{1,2}'::int[]", 'SELECT DATE ?, INTERVAL ?, ?::int[]'],
    // dollar quoting
    ['SELECT $$secret$$', 'SELECT ?'],
    ["SELECT $tag$ it's $$ nested $ $tag$, 1", 'SELECT ?, ?'],
    ['SELECT $a$x$b$y$b$z$a$ AS v', 'SELECT ? AS v'],
    ["CREATE FUNCTION f() RETURNS int AS $body$ SELECT 42 $body$ LANGUAGE sql", 'CREATE FUNCTION f() RETURNS int AS ? LANGUAGE sql'],
    ['SELECT a$b FROM t$1 WHERE c = $1', 'SELECT a$b FROM t$1 WHERE c = $1'], // $ inside names, and a placeholder
    // numbers
    ['SELECT 42, -7, 3.14, .5, 1e10, 2.5E-3, 1_000_000', 'SELECT ?, -?, ?, ?, ?, ?, ?'],
    ['SELECT 0x1F, 0o17, 0b101', 'SELECT ?, ?, ?'],
    ['SELECT t1.c2, "col1", "x""9" FROM t1 WHERE t1.id = 5', 'SELECT t1.c2, "col1", "x""9" FROM t1 WHERE t1.id = ?'],
    ['SELECT arr[1], x::numeric(10,2) FROM t', 'SELECT arr[?], x::numeric(?,?) FROM t'],
    // keywords stay
    ['SELECT * FROM t WHERE a IS NULL AND b = TRUE AND c <> FALSE', 'SELECT * FROM t WHERE a IS NULL AND b = TRUE AND c <> FALSE'],
    // placeholders stay
    ['INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id', 'INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id'],
    // IN lists
    ['SELECT * FROM t WHERE id IN (1, 2, 3)', 'SELECT * FROM t WHERE id IN (?)'],
    ["SELECT * FROM t WHERE s NOT IN ('a','b') AND n in(-1, +2.5)", 'SELECT * FROM t WHERE s NOT IN (?) AND n in(?)'],
    ['SELECT * FROM t WHERE id IN ($1, $2)', 'SELECT * FROM t WHERE id IN ($1, $2)'],
    ['SELECT * FROM t WHERE id IN (1, $1, 2)', 'SELECT * FROM t WHERE id IN (?, $1, ?)'],
    ['SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE n = 1)', 'SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE n = ?)'],
    ["SELECT * FROM t WHERE id IN ( 1 /* one */, 2 -- two\n )", 'SELECT * FROM t WHERE id IN (?)'],
    // comments
    ['/* leading 123 */ SELECT 1', 'SELECT ?'],
    ["SELECT 1 -- the answer is 'secret'\nFROM t", 'SELECT ? FROM t'],
    ['SELECT 1 /* one */ + 2', 'SELECT ? + ?'],
    ['SELECT/*x*/1', 'SELECT ?'],
    ['SELECT a/* c */FROM t', 'SELECT a FROM t'],
    ['SELECT /* outer /* nested */ still comment */ 1', 'SELECT ?'],
    ["SELECT 1 /*traceparent='00-abc-def-01'*/", 'SELECT ?'],
    ['SELECT 5--4', 'SELECT ?'],
    ['SELECT 5 - -4, a-b', 'SELECT ? - -?, a-b'],
    ["SELECT '--not a comment', '/* nor this */'", 'SELECT ?, ?'],
    // multi-statement
    ["BEGIN; UPDATE accounts SET balance = balance - 100 WHERE id = 7; COMMIT;", 'BEGIN; UPDATE accounts SET balance = balance - ? WHERE id = ?; COMMIT;'],
    // unicode
    ["SELECT * FROM \"Ünïcödé\" WHERE naïve = '日本語 🎉' AND größe > 3", 'SELECT * FROM "Ünïcödé" WHERE naïve = ? AND größe > ?'],
    ['SELECT δ1 FROM t', 'SELECT δ1 FROM t'],
    // unterminated: the rest is a literal, nothing leaks
    ["SELECT * FROM t WHERE s = 'unterminated secret", 'SELECT * FROM t WHERE s = ?'],
    ["SELECT E'abc\\", 'SELECT ?'],
    ['SELECT $x$ never closed', 'SELECT ?'],
    ['SELECT "unterminated name', 'SELECT "unterminated name'],
    ['SELECT 1 /* unterminated comment 2', 'SELECT ?'],
    // odd input
    ['', ''],
    ['   ', ''],
    ['$', '$'],
    ["'", '?'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeSql(input)).toBe(expected);
  });

  it('never throws, whatever the input', () => {
    const pieces = ["'", '"', '$', '$$', '$a$', 'E', "E'", '\\', '--', '/*', '*/', '1', '.', 'IN', '(', ')', ',', 'x', ' ', '\n', 'é', '🎉', '-', '0x'];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let round = 0; round < 2000; round++) {
      let text = '';
      const length = next() % 12;
      for (let i = 0; i < length; i++) text += pieces[next() % pieces.length];
      expect(() => analyzeSql(text)).not.toThrow();
    }
    expect(sanitizeSql(undefined as unknown as string)).toBe('');
  });

  it('does bounded work on huge input', () => {
    const huge = `SELECT * FROM t WHERE id IN (${Array.from({ length: 200_000 }, (_, i) => i).join(', ')})`;
    const started = process.hrtime.bigint();
    const result = sanitizeSql(huge);
    const millis = Number(process.hrtime.bigint() - started) / 1e6;
    expect(result.length).toBeLessThanOrEqual(MAX_SQL_SCAN);
    expect(result).not.toMatch(/\d{3}/);
    expect(millis).toBeLessThan(500);
  });
});

describe('summarizeSql', () => {
  it.each([
    ['SELECT * FROM products WHERE id = $1', 'SELECT products', 'SELECT', 'products'],
    ['select * from Products', 'SELECT Products', 'SELECT', 'Products'],
    ['SELECT * FROM public.users u', 'SELECT public.users', 'SELECT', 'public.users'],
    ['SELECT * FROM "song list", artists', 'SELECT "song list" artists', 'SELECT', undefined],
    ['SELECT * FROM orders o JOIN customers c ON o.cid = c.id', 'SELECT orders customers', 'SELECT', undefined],
    ['SELECT order_date FROM (SELECT * FROM orders o JOIN customers c ON o.customer_id = c.customer_id) x', 'SELECT SELECT orders customers', 'SELECT', undefined],
    ['SELECT 1', 'SELECT', 'SELECT', undefined],
    ['SELECT * FROM generate_series(1, 10) AS g', 'SELECT', 'SELECT', undefined],
    ['SELECT EXTRACT(YEAR FROM created) FROM events FOR UPDATE', 'SELECT events', 'SELECT', 'events'],
    ['SELECT a IS DISTINCT FROM b FROM t', 'SELECT t', 'SELECT', 't'],
    ['INSERT INTO products (id, name) VALUES ($1, $2)', 'INSERT products', 'INSERT', 'products'],
    ['INSERT INTO shipping_details (order_id, address) SELECT order_id, address FROM orders WHERE order_id = ?', 'INSERT shipping_details SELECT orders', 'INSERT', undefined],
    ['INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1', 'INSERT t', 'INSERT', 't'],
    ['UPDATE ONLY stock SET n = n - 1 WHERE sku = $1', 'UPDATE stock', 'UPDATE', 'stock'],
    ['UPDATE a SET x = b.x FROM b WHERE a.id = b.id', 'UPDATE a b', 'UPDATE', undefined],
    ['DELETE FROM sessions WHERE expires < now()', 'DELETE sessions', 'DELETE', 'sessions'],
    ['DELETE FROM sessions USING users WHERE sessions.uid = users.id', 'DELETE sessions users', 'DELETE', undefined],
    ['MERGE INTO stock s USING deliveries d ON s.sku = d.sku WHEN MATCHED THEN UPDATE SET n = s.n + d.n WHEN NOT MATCHED THEN INSERT VALUES (d.sku, d.n)', 'MERGE stock deliveries', 'MERGE', undefined],
    ['WITH recent AS (SELECT * FROM orders WHERE day > $1) SELECT count(*) FROM recent', 'SELECT orders SELECT recent', 'SELECT', undefined],
    ['WITH moved AS (DELETE FROM queue RETURNING *) INSERT INTO done SELECT * FROM moved', 'DELETE queue INSERT done SELECT moved', 'INSERT', undefined],
    ['SELECT * INTO backup FROM users', 'SELECT backup users', 'SELECT', undefined],
    ['TABLE products', 'TABLE products', 'TABLE', 'products'],
    ['CREATE TABLE IF NOT EXISTS public.products (id int PRIMARY KEY)', 'CREATE TABLE public.products', 'CREATE TABLE', 'public.products'],
    ['CREATE UNIQUE INDEX CONCURRENTLY idx_sku ON products (sku)', 'CREATE INDEX idx_sku', 'CREATE INDEX', undefined],
    ['CREATE OR REPLACE FUNCTION add(a int) RETURNS int AS $$ SELECT a + 1 FROM t $$ LANGUAGE sql', 'CREATE FUNCTION add', 'CREATE FUNCTION', undefined],
    ['CREATE MATERIALIZED VIEW totals AS SELECT sum(n) FROM stock', 'CREATE MATERIALIZED VIEW totals SELECT stock', 'CREATE MATERIALIZED VIEW', undefined],
    ['DROP TABLE IF EXISTS a, b', 'DROP TABLE a', 'DROP TABLE', 'a'],
    ['ALTER TABLE users ADD COLUMN age int', 'ALTER TABLE users', 'ALTER TABLE', 'users'],
    ['TRUNCATE TABLE a, b RESTART IDENTITY', 'TRUNCATE a b', 'TRUNCATE', undefined],
    ['COPY items (a, b) FROM STDIN', 'COPY items', 'COPY', 'items'],
    ['COPY (SELECT * FROM items) TO STDOUT', 'COPY SELECT items', 'COPY', 'items'],
    ['CALL refresh_totals($1)', 'CALL refresh_totals', 'CALL', undefined],
    ['BEGIN', 'BEGIN', 'BEGIN', undefined],
    ['commit', 'COMMIT', 'COMMIT', undefined],
    ['SET search_path TO app', 'SET', 'SET', undefined],
    ['EXPLAIN ANALYZE SELECT * FROM t', 'EXPLAIN SELECT t', 'EXPLAIN', 't'],
    ['/* app */ -- note\n SELECT * FROM t', 'SELECT t', 'SELECT', 't'],
    ['SELECT * FROM t;', 'SELECT t', 'SELECT', 't'],
  ])('%j → %j', (text, summary, operation, collection) => {
    const result = summarizeSql(text);
    expect(result.summary).toBe(summary);
    expect(result.operation).toBe(operation);
    expect(result.collection).toBe(collection);
  });

  it('names the procedure a lone CALL invokes', () => {
    expect(summarizeSql('CALL app.refresh_totals($1)').storedProcedure).toBe('app.refresh_totals');
    expect(summarizeSql('SELECT 1').storedProcedure).toBeUndefined();
  });

  it('gives no single operation or collection for multi-statement text', () => {
    expect(summarizeSql("INSERT INTO a VALUES (1); UPDATE a SET n = 2")).toEqual({
      summary: 'INSERT a UPDATE a',
      operation: undefined,
      collection: undefined,
      storedProcedure: undefined,
    });
    expect(summarizeSql('BEGIN; SELECT * FROM t; COMMIT').summary).toBe('BEGIN SELECT t COMMIT');
  });

  it('recognises nothing in text that is not SQL', () => {
    expect(summarizeSql('')).toEqual({ summary: undefined, operation: undefined, collection: undefined, storedProcedure: undefined });
    expect(summarizeSql('hello world').summary).toBeUndefined();
    expect(summarizeSql('SELEC 1').summary).toBeUndefined();
  });

  it('cuts the summary at 255 characters between parts', () => {
    const tables = Array.from({ length: 60 }, (_, i) => `table_number_${i}`);
    const { summary } = summarizeSql(`SELECT * FROM ${tables.join(', ')}`);
    expect(summary!.length).toBeLessThanOrEqual(MAX_SUMMARY_LENGTH);
    expect(summary!.split(' ').every((part) => part === 'SELECT' || tables.includes(part))).toBe(true);
  });

  it('finds no tables in literals, comments or dollar-quoted bodies', () => {
    expect(summarizeSql("SELECT 'FROM secret' FROM t /* FROM hidden */").summary).toBe('SELECT t');
    expect(summarizeSql('DO $$ BEGIN DELETE FROM x; END $$').summary).toBe('DO');
  });
});

describe('analyzeSql', () => {
  it('sanitizes and summarizes in one pass', () => {
    expect(analyzeSql("SELECT * FROM products WHERE sku = 'abc'")).toEqual({
      sanitized: 'SELECT * FROM products WHERE sku = ?',
      summary: 'SELECT products',
      operation: 'SELECT',
      collection: 'products',
      storedProcedure: undefined,
    });
  });
});
