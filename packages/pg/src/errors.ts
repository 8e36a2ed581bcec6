// A database error's text as tracing records it, for any Postgres driver.
// PostgreSQL quotes values back in its messages, even for parameterized
// queries — `invalid input syntax for type integer: "hunter2"`,
// `Key (email)=(alice@example.com) already exists.` — and quotes identifiers
// the same way (`relation "orders" does not exist`), so the two are told
// apart by what precedes the quote: a word naming a kind of object
// (`relation`, `column`, `constraint`…) means an identifier, kept; anything
// else is masked as `"?"`, so a message shape not foreseen here is masked,
// not leaked. Lists of values (`Key (email)=(…)`, `Failing row contains (…)`)
// and byte runs (`0xe2 0x28`) carry no quotes and are found by their shape.
// Text an app raises itself (`RAISE`, `ASSERT`) is wholly its own and masked
// whole. Pure functions, never throwing; they run only for failed queries.

/** What a masked value, or a wholly masked message, becomes. */
const MASK = '?';

/** Words after which a double-quoted name is an identifier, not a value (compared lowercase). */
const KIND_WORDS: ReadonlySet<string> = new Set([
  'aggregate', 'attribute', 'channel', 'collation', 'column', 'constraint', 'conversion', 'cursor', 'database', 'domain',
  'encoding', 'extension', 'family', 'field', 'function', 'host', 'index', 'language', 'operator', 'parameter', 'policy',
  'portal', 'procedure', 'publication', 'record', 'reference', 'relation', 'role', 'rule', 'savepoint', 'schema',
  'sequence', 'server', 'statement', 'subscription', 'table', 'tablespace', 'trigger', 'type', 'user', 'view',
]);

/** SQLSTATEs of RAISE EXCEPTION (raise_exception) and a failed ASSERT (assert_failure). */
const RAISED_STATES: ReadonlySet<string> = new Set(['P0001', 'P0004']);
/** The innermost line of a PL/pgSQL error's context when RAISE or ASSERT made it, whatever its SQLSTATE. */
const RAISED_WHERE = / at (?:RAISE|ASSERT)$/;

/** True when the app wrote the message itself (RAISE, ASSERT): none of it is the server's own wording. */
function raisedByApp(sqlState: string | undefined, where: unknown): boolean {
  if (sqlState !== undefined && RAISED_STATES.has(sqlState)) return true;
  if (typeof where !== 'string') return false;
  const newline = where.indexOf('\n');
  return RAISED_WHERE.test(newline < 0 ? where : where.slice(0, newline));
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/** The word that ends just before `end` (one space apart), lowercase; '' when none. */
function wordBefore(text: string, end: number): string {
  if (text.charCodeAt(end - 1) !== 32) return '';
  let start = end - 1;
  while (start > 0 && isLetter(text.charCodeAt(start - 1))) start--;
  return text.slice(start, end - 1).toLowerCase();
}

/** `syntax error at or near "…"` names one token of the SQL: a literal there is a value, a keyword or name is not. */
function isLiteralToken(text: string, start: number): boolean {
  const c = text.charCodeAt(start);
  const next = text.charCodeAt(start + 1);
  if (c === 39 || c === 36 || (c >= 48 && c <= 57)) return true; // 'string', $$body$$ or $1, 42
  if (c === 46 && next >= 48 && next <= 57) return true; // .5
  const lower = c | 32;
  if ((lower === 101 || lower === 98 || lower === 120 || lower === 110) && next === 39) return true; // E'' B'' X'' N''
  return lower === 117 && next === 38; // U&'…'
}

/** True when the parenthesis at `i` opens a list of values: `Key (email)=(…)`, `(a) = (…)`, `Failing row contains (…)`. */
function valueListOpens(text: string, i: number): boolean {
  if (text.charCodeAt(i - 1) === 61) return text.charCodeAt(i - 2) === 41; // )=(
  if (text.charCodeAt(i - 1) === 32 && text.charCodeAt(i - 2) === 61) return text.charCodeAt(i - 3) === 32 && text.charCodeAt(i - 4) === 41; // ) = (
  return text.startsWith('contains ', i - 9); // Failing row contains (…)
}

/** A run of bytes as PostgreSQL prints an invalid byte sequence (`0xe2 0x28 0xa1`) starting at `i`: its end, else -1. */
function byteRunEnd(text: string, i: number): number {
  if (i > 0 && text.charCodeAt(i - 1) !== 32) return -1;
  let end = -1;
  let j = i;
  while (text.charCodeAt(j) === 48 && text.charCodeAt(j + 1) === 120 && isHexDigit(text.charCodeAt(j + 2)) && isHexDigit(text.charCodeAt(j + 3))) {
    end = j + 4;
    j = text.charCodeAt(end) === 32 ? end + 1 : -1;
    if (j < 0) break;
  }
  return end;
}

/**
 * A PostgreSQL error's message (or detail) with the values it quotes masked:
 * `invalid input syntax for type integer: "?"`, `Key (email)=(?) already exists.`,
 * `Failing row contains (?).`, `syntax error at or near "?"` (for a literal
 * there); identifiers after a word naming their kind stay (`column "email" of
 * relation "users"`). A value may hold quotes or parentheses PostgreSQL does
 * not escape, so a masked value reaches to the text's last `"` (or `)`): more
 * is masked rather than a tail leaked. A message the app raised (SQLSTATE
 * P0001 or P0004, or a `where` whose innermost line is `… at RAISE`/`ASSERT`)
 * becomes `?` whole. Returns the same string when nothing is masked.
 */
export function maskErrorValues(text: string, sqlState?: string, where?: unknown): string {
  if (typeof text !== 'string') return MASK;
  if (raisedByApp(sqlState, where)) return MASK;
  let out = '';
  let copied = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const close = text.indexOf('"', i + 1);
      const before = wordBefore(text, i);
      const keep = close > i && (KIND_WORDS.has(before) || (before === 'near' && !isLiteralToken(text, i + 1)));
      if (keep) {
        i = close;
        continue;
      }
      const last = text.lastIndexOf('"');
      out += `${text.slice(copied, i + 1)}${MASK}"`;
      copied = last > i ? last + 1 : n;
      i = copied - 1;
    } else if (c === 40 && valueListOpens(text, i)) {
      const last = text.lastIndexOf(')');
      out += text.slice(copied, i + 1) + MASK;
      copied = last > i ? last : n;
      i = copied;
    } else if (c === 48) {
      const end = byteRunEnd(text, i);
      if (end < 0) continue;
      out += text.slice(copied, i) + MASK;
      copied = end;
      i = end - 1;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * A stack whose first line(s) carry the error's message (`error: <message>`,
 * then the frames) with that message masked as maskErrorValues masks it; the
 * frames are kept. When the head does not end with the message as it is now
 * (the app changed it), the whole head is masked instead.
 */
export function maskErrorStack(stack: string, message: unknown, sqlState?: string, where?: unknown): string {
  const framesAt = stack.indexOf('\n    at ');
  const head = framesAt < 0 ? stack : stack.slice(0, framesAt);
  const frames = framesAt < 0 ? '' : stack.slice(framesAt);
  if (typeof message === 'string' && message.length > 0 && head.endsWith(message)) {
    return head.slice(0, head.length - message.length) + maskErrorValues(message, sqlState, where) + frames;
  }
  return maskErrorValues(head, sqlState, where) + frames;
}
