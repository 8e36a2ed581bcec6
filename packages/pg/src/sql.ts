// SQL text as tracing records it, for any Postgres driver: literals replaced
// by `?` (db.query.text) and a low-cardinality summary of the operations and
// the tables they touch (db.query.summary, the span name). One lexer serves
// both; it follows PostgreSQL's lexical rules closely enough never to leave a
// literal in place (an unterminated string swallows the rest of the text), and
// it never throws. Work is bounded: only the first MAX_SQL_SCAN characters are
// read. Pure functions, no state: the caller caches (apps repeat their SQL).

/** Characters of query text read at most; the rest is dropped from what is recorded. */
export const MAX_SQL_SCAN = 16 * 1024;

/** Longest summary, per the OTel conventions (cut between parts, never inside one). */
export const MAX_SUMMARY_LENGTH = 255;

export interface SqlSummary {
  /** `{operation} {target} …` in query order, e.g. `SELECT orders customers`; undefined when nothing was recognised. */
  summary: string | undefined;
  /** The statement's main verb (`SELECT`, `INSERT`, `CREATE TABLE`…) when the text holds one statement. */
  operation: string | undefined;
  /** The one table the statement reads or writes, as written (`public.users`), when there is exactly one. */
  collection: string | undefined;
  /** The procedure a lone `CALL` statement invokes. */
  storedProcedure: string | undefined;
}

export interface SqlAnalysis extends SqlSummary {
  /** The text with literals replaced by `?`, IN lists of literals collapsed, comments removed. */
  sanitized: string;
}

const enum Kind {
  Space,
  Comment,
  Word,
  QuotedName,
  Literal,
  Parameter,
  Punct,
  Operator,
}

interface Token {
  kind: Kind;
  start: number;
  end: number;
}

const OPERATOR_CHARS = '+-*/<>=~!@#%^&|`?:';
const PUNCT_CHARS = '(),;[]{}.';

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** PostgreSQL: letters, underscore and every non-ASCII character may start a name. */
function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
}

function isNamePart(c: number): boolean {
  return isNameStart(c) || isDigit(c) || c === 36;
}

/** End of a quoted run opened before `from`: `quote` doubled is an escape; with `backslash`, `\x` is too. */
function quotedEnd(text: string, from: number, quote: number, backslash: boolean): number {
  const n = text.length;
  for (let i = from; i < n; i++) {
    const c = text.charCodeAt(i);
    if (backslash && c === 92) {
      i++;
    } else if (c === quote) {
      if (text.charCodeAt(i + 1) !== quote) return i + 1;
      i++;
    }
  }
  return n;
}

/** `$$` or `$tag$` at `i`: the tag, else undefined. */
function dollarTag(text: string, i: number): string | undefined {
  let j = i + 1;
  const n = text.length;
  if (j < n && text.charCodeAt(j) !== 36) {
    if (!isNameStart(text.charCodeAt(j))) return undefined;
    while (j < n && isNamePart(text.charCodeAt(j)) && text.charCodeAt(j) !== 36) j++;
    if (j >= n || text.charCodeAt(j) !== 36) return undefined;
  }
  return j < n ? text.slice(i, j + 1) : undefined;
}

function numberEnd(text: string, i: number): number {
  const n = text.length;
  const next = text.charCodeAt(i + 1) | 32;
  if (text.charCodeAt(i) === 48 && (next === 120 || next === 111 || next === 98)) {
    // 0x1F, 0o17, 0b101 (PostgreSQL 16)
    let j = i + 2;
    while (j < n && (isNamePart(text.charCodeAt(j)) && text.charCodeAt(j) !== 36)) j++;
    return j;
  }
  let j = i;
  while (j < n && (isDigit(text.charCodeAt(j)) || text.charCodeAt(j) === 95)) j++;
  if (text.charCodeAt(j) === 46 && text.charCodeAt(j + 1) !== 46) {
    j++;
    while (j < n && (isDigit(text.charCodeAt(j)) || text.charCodeAt(j) === 95)) j++;
  }
  if ((text.charCodeAt(j) | 32) === 101) {
    let k = j + 1;
    if (text.charCodeAt(k) === 43 || text.charCodeAt(k) === 45) k++;
    if (isDigit(text.charCodeAt(k))) {
      j = k;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
    }
  }
  return j;
}

/** Splits `text` into tokens; covers every character, never throws. */
function lex(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    const start = i;
    let kind: Kind;
    if (isSpace(c)) {
      kind = Kind.Space;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
    } else if (c === 45 && next === 45) {
      kind = Kind.Comment;
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? n : eol;
    } else if (c === 47 && next === 42) {
      // Block comments nest in PostgreSQL.
      kind = Kind.Comment;
      let depth = 0;
      while (i < n) {
        if (text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 42) {
          depth++;
          i += 2;
        } else if (text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47) {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else {
          i++;
        }
      }
    } else if (c === 39) {
      kind = Kind.Literal;
      i = quotedEnd(text, i + 1, 39, false);
    } else if ((c | 32) === 101 && next === 39) {
      // E'…' escape string: backslash escapes, \' included.
      kind = Kind.Literal;
      i = quotedEnd(text, i + 2, 39, true);
    } else if (((c | 32) === 98 || (c | 32) === 120 || (c | 32) === 110) && next === 39) {
      // B'0101', X'1F', N'text'
      kind = Kind.Literal;
      i = quotedEnd(text, i + 2, 39, false);
    } else if ((c | 32) === 117 && next === 38 && text.charCodeAt(i + 2) === 39) {
      kind = Kind.Literal;
      i = quotedEnd(text, i + 3, 39, false);
    } else if ((c | 32) === 117 && next === 38 && text.charCodeAt(i + 2) === 34) {
      kind = Kind.QuotedName;
      i = quotedEnd(text, i + 3, 34, false);
    } else if (c === 34) {
      kind = Kind.QuotedName;
      i = quotedEnd(text, i + 1, 34, false);
    } else if (c === 36 && isDigit(next)) {
      kind = Kind.Parameter;
      i++;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    } else if (c === 36 && dollarTag(text, i) !== undefined) {
      kind = Kind.Literal;
      const tag = dollarTag(text, i) as string;
      const close = text.indexOf(tag, i + tag.length);
      i = close < 0 ? n : close + tag.length;
    } else if (isDigit(c) || (c === 46 && isDigit(next))) {
      kind = Kind.Literal;
      i = numberEnd(text, i);
    } else if (isNameStart(c)) {
      kind = Kind.Word;
      while (i < n && isNamePart(text.charCodeAt(i))) i++;
    } else if (PUNCT_CHARS.includes(text[i])) {
      kind = Kind.Punct;
      i++;
    } else {
      kind = Kind.Operator;
      i++;
      // An operator never contains the start of a comment.
      while (i < n && OPERATOR_CHARS.includes(text[i]) && !(text[i] === '-' && text[i + 1] === '-') && !(text[i] === '/' && text[i + 1] === '*')) i++;
    }
    tokens.push({ kind, start, end: i });
  }
  return tokens;
}

function bounded(text: string): string {
  if (typeof text !== 'string') return '';
  return text.length > MAX_SQL_SCAN ? text.slice(0, MAX_SQL_SCAN) : text;
}

// ---------------------------------------------------------------- sanitizing

function isInsignificant(token: Token): boolean {
  return token.kind === Kind.Space || token.kind === Kind.Comment;
}

function skipInsignificant(tokens: Token[], k: number): number {
  while (k < tokens.length && isInsignificant(tokens[k])) k++;
  return k;
}

function isChar(text: string, token: Token | undefined, char: string): boolean {
  return token !== undefined && token.end - token.start === 1 && text[token.start] === char;
}

/** After `IN`: the index past `( lit, -lit, … )` when the list holds literals only, else -1. */
function literalListEnd(text: string, tokens: Token[], k: number): number {
  k = skipInsignificant(tokens, k);
  if (!isChar(text, tokens[k], '(')) return -1;
  for (;;) {
    k = skipInsignificant(tokens, k + 1);
    const sign = tokens[k];
    if (sign?.kind === Kind.Operator && (isChar(text, sign, '-') || isChar(text, sign, '+'))) k = skipInsignificant(tokens, k + 1);
    if (tokens[k]?.kind !== Kind.Literal) return -1;
    k = skipInsignificant(tokens, k + 1);
    if (isChar(text, tokens[k], ')')) return k + 1;
    if (!isChar(text, tokens[k], ',')) return -1;
  }
}

function sanitizeTokens(text: string, tokens: Token[]): string {
  let out = '';
  // A removed comment still separates what stood on either side of it.
  let separate = false;
  const emit = (piece: string): void => {
    if (separate && out.length > 0 && !isSpace(out.charCodeAt(out.length - 1))) out += ' ';
    separate = false;
    out += piece;
  };
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k];
    switch (token.kind) {
      case Kind.Comment:
        separate = true;
        break;
      case Kind.Space:
        // Where a comment stood between two spaces, one of them is enough.
        if (!(separate && isSpace(out.charCodeAt(out.length - 1)))) out += text.slice(token.start, token.end);
        separate = false;
        break;
      case Kind.Literal:
        emit('?');
        break;
      case Kind.Word: {
        const word = text.slice(token.start, token.end);
        const end = word.length === 2 && word.toUpperCase() === 'IN' ? literalListEnd(text, tokens, k + 1) : -1;
        if (end < 0) {
          emit(word);
        } else {
          emit(`${word}${tokens[k + 1].kind === Kind.Space ? ' ' : ''}(?)`);
          k = end - 1;
        }
        break;
      }
      default:
        emit(text.slice(token.start, token.end));
    }
  }
  return out.trim();
}

// ---------------------------------------------------------------- summarizing

/** Verbs that are operations wherever they appear (subqueries, CTEs). */
const DML = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/** Words after which UPDATE/DELETE/INSERT/SELECT are not operations: FOR UPDATE, ON DELETE CASCADE, DO UPDATE, THEN INSERT. */
const NOT_AN_OPERATION_AFTER = new Set(['FOR', 'ON', 'DO', 'THEN', 'KEY']);

/** Statements recognised by their first word. */
const COMMANDS = new Set([
  'ABORT', 'ALTER', 'ANALYZE', 'BEGIN', 'CALL', 'CHECKPOINT', 'CLOSE', 'CLUSTER', 'COMMENT', 'COMMIT', 'COPY', 'CREATE',
  'DEALLOCATE', 'DECLARE', 'DISCARD', 'DO', 'DROP', 'END', 'EXECUTE', 'EXPLAIN', 'FETCH', 'GRANT', 'IMPORT', 'LISTEN',
  'LOAD', 'LOCK', 'MOVE', 'NOTIFY', 'PREPARE', 'REASSIGN', 'REFRESH', 'REINDEX', 'RELEASE', 'RESET', 'REVOKE', 'ROLLBACK',
  'SAVEPOINT', 'SECURITY', 'SET', 'SHOW', 'START', 'TABLE', 'TRUNCATE', 'UNLISTEN', 'VACUUM', 'VALUES',
]);

/** What CREATE/ALTER/DROP act on; the kind becomes part of the operation (`CREATE TABLE`). */
const OBJECT_KINDS = new Set([
  'AGGREGATE', 'COLLATION', 'DATABASE', 'DOMAIN', 'EXTENSION', 'FUNCTION', 'INDEX', 'POLICY', 'PROCEDURE', 'PUBLICATION',
  'ROLE', 'RULE', 'SCHEMA', 'SEQUENCE', 'SERVER', 'SUBSCRIPTION', 'TABLE', 'TABLESPACE', 'TRIGGER', 'TYPE', 'USER', 'VIEW',
]);
const TWO_WORD_KINDS = new Set(['MATERIALIZED', 'FOREIGN', 'EVENT']);
const KIND_MODIFIERS = new Set(['OR', 'REPLACE', 'TEMP', 'TEMPORARY', 'UNLOGGED', 'GLOBAL', 'LOCAL', 'UNIQUE', 'RECURSIVE']);
const TABLE_KINDS = new Set(['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'FOREIGN TABLE']);

/** Words that can precede a name without being it. */
const NAME_PREFIXES = new Set(['ONLY', 'IF', 'NOT', 'EXISTS', 'CONCURRENTLY', 'TABLE']);

/** Words that end a FROM item, so they are not its alias. */
const CLAUSE_WORDS = new Set([
  'WHERE', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'OUTER', 'CROSS', 'NATURAL', 'ON', 'USING', 'GROUP', 'ORDER', 'LIMIT',
  'OFFSET', 'HAVING', 'WINDOW', 'UNION', 'INTERSECT', 'EXCEPT', 'FOR', 'RETURNING', 'SET', 'FETCH', 'TABLESAMPLE', 'WITH',
  'AS', 'SELECT', 'VALUES', 'DEFAULT', 'LATERAL', 'WHEN', 'INTO', 'DO', 'OVERRIDING', 'FROM',
]);

type TargetKind = 'table' | 'procedure' | 'other';

/** In FROM and JOIN a name followed by `(` is a function (generate_series(…)), not a table. */
const FROM_ITEM = true;

interface Statement {
  verb: string | undefined;
  verbDepth: number;
  targets: Array<{ name: string; kind: TargetKind }>;
}

class Summarizer {
  private readonly tokens: Token[];
  private readonly words: Array<string | undefined>;
  readonly parts: string[] = [];
  readonly statements: Statement[] = [];
  private statement: Statement = { verb: undefined, verbDepth: Infinity, targets: [] };
  private depth = 0;
  /** Per parenthesis depth, the last DML verb seen there (FROM, INTO, USING belong to it). */
  private verbs: Array<string | undefined> = [];

  constructor(private readonly text: string, tokens: Token[]) {
    this.tokens = tokens.filter((t) => !isInsignificant(t));
    this.words = this.tokens.map((t) => (t.kind === Kind.Word ? text.slice(t.start, t.end).toUpperCase() : undefined));
  }

  run(): void {
    let first = true;
    for (let p = 0; p < this.tokens.length; p++) {
      const token = this.tokens[p];
      if (token.kind === Kind.Punct) {
        const c = this.text[token.start];
        if (c === '(') this.verbs[++this.depth] = undefined;
        else if (c === ')') this.depth = Math.max(0, this.depth - 1);
        else if (c === ';') {
          this.endStatement();
          first = true;
          continue;
        }
      } else if (token.kind === Kind.Word) {
        this.word(p, first);
      }
      first = false;
    }
    this.endStatement();
  }

  private endStatement(): void {
    const s = this.statement;
    if (s.verb !== undefined || s.targets.length > 0) this.statements.push(s);
    this.statement = { verb: undefined, verbDepth: Infinity, targets: [] };
    this.depth = 0;
    this.verbs = [];
  }

  private operation(verb: string): void {
    this.parts.push(verb);
    // The main verb is the outermost one: a CTE's SELECT sits deeper than the INSERT it feeds.
    if (this.depth < this.statement.verbDepth) {
      this.statement.verb = verb;
      this.statement.verbDepth = this.depth;
    }
  }

  private target(name: string, kind: TargetKind): void {
    this.parts.push(name);
    this.statement.targets.push({ name, kind });
  }

  private word(p: number, first: boolean): void {
    const word = this.words[p] as string;
    const verb = this.verbs[this.depth];
    if (DML.has(word)) {
      if (NOT_AN_OPERATION_AFTER.has(this.words[p - 1] ?? '')) return;
      this.operation(word);
      this.verbs[this.depth] = word;
      if (word === 'UPDATE') this.targetAt(p + 1, 'table', false);
      return;
    }
    switch (word) {
      case 'FROM':
        if (this.words[p - 1] !== 'DISTINCT' && (verb === 'SELECT' || verb === 'DELETE' || verb === 'UPDATE')) this.tableList(p + 1);
        return;
      case 'JOIN':
        this.targetAt(p + 1, 'table', FROM_ITEM);
        return;
      case 'INTO':
        if (verb === 'INSERT' || verb === 'MERGE' || verb === 'SELECT') this.targetAt(p + 1, 'table', false);
        return;
      case 'USING':
        if (verb === 'MERGE' || verb === 'DELETE') this.targetAt(p + 1, 'table', FROM_ITEM);
        return;
    }
    if (first && COMMANDS.has(word)) this.command(word, p);
  }

  private command(word: string, p: number): void {
    if (word === 'CREATE' || word === 'ALTER' || word === 'DROP') {
      let q = p + 1;
      while (KIND_MODIFIERS.has(this.words[q] ?? '')) q++;
      let kind = this.words[q];
      if (kind !== undefined && TWO_WORD_KINDS.has(kind) && this.words[q + 1] !== undefined) kind = `${kind} ${this.words[++q]}`;
      if (kind === undefined || !(OBJECT_KINDS.has(kind) || TWO_WORD_KINDS.has(kind.split(' ')[0]))) {
        this.operation(word);
        return;
      }
      this.operation(`${word} ${kind}`);
      this.targetAt(q + 1, TABLE_KINDS.has(kind) ? 'table' : 'other', false);
      return;
    }
    this.operation(word);
    if (word === 'TRUNCATE' || word === 'LOCK') this.tableList(p + 1);
    else if (word === 'TABLE' || word === 'COPY') this.targetAt(p + 1, 'table', false);
    else if (word === 'CALL') this.targetAt(p + 1, 'procedure', false);
  }

  /** Reads `[schema.]name` at p (after ONLY, IF NOT EXISTS…); returns the index after it, or -1. */
  private targetAt(p: number, kind: TargetKind, fromItem: boolean): number {
    while (NAME_PREFIXES.has(this.words[p] ?? '')) p++;
    const parts: string[] = [];
    for (;;) {
      const token = this.tokens[p];
      if (token === undefined) break;
      if (token.kind === Kind.Word && !CLAUSE_WORDS.has(this.words[p] as string)) parts.push(this.text.slice(token.start, token.end));
      else if (token.kind === Kind.QuotedName) parts.push(this.text.slice(token.start, token.end));
      else break;
      p++;
      if (!isChar(this.text, this.tokens[p], '.')) break;
      p++;
    }
    if (parts.length === 0 || (fromItem && isChar(this.text, this.tokens[p], '('))) return -1;
    this.target(parts.join('.'), kind);
    return p;
  }

  /** `a [AS] x, b y, …` */
  private tableList(p: number): void {
    for (;;) {
      p = this.targetAt(p, 'table', FROM_ITEM);
      if (p < 0) return;
      if (this.words[p] === 'AS') p++;
      if (this.tokens[p]?.kind === Kind.Word && !CLAUSE_WORDS.has(this.words[p] as string)) p++;
      if (!isChar(this.text, this.tokens[p], ',')) return;
      p++;
    }
  }
}

function joinBounded(parts: string[]): string | undefined {
  let summary = '';
  for (const part of parts) {
    const next = summary.length === 0 ? part : `${summary} ${part}`;
    if (next.length > MAX_SUMMARY_LENGTH) break;
    summary = next;
  }
  return summary.length > 0 ? summary : undefined;
}

function summarizeTokens(text: string, tokens: Token[]): SqlSummary {
  const s = new Summarizer(text, tokens);
  s.run();
  const result: SqlSummary = { summary: joinBounded(s.parts), operation: undefined, collection: undefined, storedProcedure: undefined };
  if (s.statements.length !== 1) return result;
  const [statement] = s.statements;
  result.operation = statement.verb;
  const tables = new Set(statement.targets.filter((t) => t.kind === 'table').map((t) => t.name));
  if (tables.size === 1 && statement.targets.every((t) => t.kind === 'table')) result.collection = [...tables][0];
  if (statement.verb === 'CALL' && statement.targets.length === 1) result.storedProcedure = statement.targets[0].name;
  return result;
}

// ---------------------------------------------------------------- public

/** `text` with every literal replaced by `?`, IN lists of literals collapsed to `IN (?)`, comments removed. */
export function sanitizeSql(text: string): string {
  const input = bounded(text);
  return sanitizeTokens(input, lex(input));
}

/** Operations and targets of `text` (see SqlSummary). */
export function summarizeSql(text: string): SqlSummary {
  const input = bounded(text);
  return summarizeTokens(input, lex(input));
}

/** sanitizeSql and summarizeSql from one pass of the lexer. */
export function analyzeSql(text: string): SqlAnalysis {
  const input = bounded(text);
  const tokens = lex(input);
  return { sanitized: sanitizeTokens(input, tokens), ...summarizeTokens(input, tokens) };
}
