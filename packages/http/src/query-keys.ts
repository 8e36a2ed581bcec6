// Query keys that name credentials, and the redaction of their values in a
// query string (url.query, url.full). Every key comes off the network: a key
// is read in place, in one pass, and a query with nothing to redact costs no
// allocation.

/** What a credential's value becomes. */
export const REDACTED = 'REDACTED';

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PERCENT = 0x25;

// ---------------------------------------------------------------- query keys
//
// A query key is compared by its words, not its spelling: the last segment of
// a dotted or bracketed path that is not an index (`user.password`,
// `user[password]`, `token[]`, `ids[0]` → `password`, `token`, `ids`), split
// at `-`, `_`, any other punctuation, camelCase humps and between letters and
// digits, case ignored — so `accessToken`, `access_token` and `Access-Token`
// are all the words `access token`. Matching walks the key's characters in
// place: a key that matches nothing costs no allocation (only a
// percent-encoded key is decoded first).

/** How a credential name matches a key's words. */
const enum Match {
  /** Its words appear in the key's words, in a run (`token` in `x_auth_token`). */
  Words,
  /** As Words, and a one-word name also matches the end of a word (`token` in `accesstoken`). */
  WordOrEnd,
  /** Its words are all the key's words (`key` but not `sort_key`). */
  Whole,
}

interface CredentialName {
  readonly words: readonly string[];
  readonly match: Match;
}

/** The credential names redactQuery compares query keys against, made once by compileQueryKeys. */
export interface QueryKeyRules {
  /** Names by the lowercase last character of their first word (index 128: anything not ASCII). */
  readonly byLastChar: ReadonlyArray<readonly CredentialName[] | undefined>;
  /** Keys with fewer characters match nothing. */
  readonly shortest: number;
}

/**
 * The names whose values are credentials. The semantic conventions name
 * AWSAccessKeyId, Signature, sig and X-Goog-Signature; the rest are the names
 * APIs commonly use for passwords, tokens, keys, sessions and one-time codes.
 * Words long and specific enough to mean a credential wherever they stand
 * also match the end of a word (`accesstoken`, `newpassword`); short or
 * common ones only whole (`pass`, not `bypass`; `auth`, not `oauth`); `key`
 * and `code` only as the whole name (not `sort_key`, `country_code`).
 */
const DEFAULT_CREDENTIAL_NAMES: ReadonlyArray<readonly [string, Match]> = [
  ['password', Match.WordOrEnd],
  ['passwd', Match.WordOrEnd],
  ['passphrase', Match.WordOrEnd],
  ['secret', Match.WordOrEnd],
  ['secretkey', Match.WordOrEnd],
  ['token', Match.WordOrEnd],
  ['apikey', Match.WordOrEnd],
  ['accesskey', Match.WordOrEnd],
  ['accesskeyid', Match.WordOrEnd],
  ['privatekey', Match.WordOrEnd],
  ['signature', Match.WordOrEnd],
  ['credential', Match.WordOrEnd],
  ['credentials', Match.WordOrEnd],
  ['sessionid', Match.WordOrEnd],
  ['sessid', Match.WordOrEnd],
  ['pwd', Match.Words],
  ['pass', Match.Words],
  ['auth', Match.Words],
  ['authorization', Match.Words],
  ['jwt', Match.Words],
  ['otp', Match.Words],
  ['session', Match.Words],
  ['sig', Match.Words],
  ['api key', Match.Words],
  ['access key', Match.Words],
  ['private key', Match.Words],
  ['code verifier', Match.Words],
  ['key', Match.Whole],
  ['code', Match.Whole],
];

const NOT_ASCII = 128;
const enum Char {
  Separator,
  Lower,
  Upper,
  Digit,
  /** `.`, `[` and `]` separate the segments of a key path (`user[password]`, `a.b`). */
  PathDelimiter,
}

/** Char of each ASCII code, looked up rather than computed: every character of every query key is classified. */
const ASCII_CHARS = new Uint8Array(NOT_ASCII);
for (let c = 0; c < NOT_ASCII; c++) {
  if (c >= 97 && c <= 122) ASCII_CHARS[c] = Char.Lower;
  else if (c >= 65 && c <= 90) ASCII_CHARS[c] = Char.Upper;
  else if (c >= 48 && c <= 57) ASCII_CHARS[c] = Char.Digit;
  else if (c === 0x2e || c === 0x5b || c === 0x5d) ASCII_CHARS[c] = Char.PathDelimiter;
}

/** Letters of other scripts count as lowercase: they never start a word of their own. */
function charClass(c: number): Char {
  return c < NOT_ASCII ? (ASCII_CHARS[c] as Char) : Char.Lower;
}

function lowerAscii(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** The first index at or after `i` where a word starts, or `end` (a path segment holds no delimiter). */
function wordStart(key: string, i: number, end: number): number {
  while (i < end && charClass(key.charCodeAt(i)) === Char.Separator) i++;
  return i;
}

/** Where the word starting at `start` ends: at a separator, a letter/digit change, a lower→upper hump, or before the
 *  last capital of a capital run that a lowercase letter follows (`APIKey` → `API`, `Key`). */
function wordEnd(key: string, start: number, end: number): number {
  const first = charClass(key.charCodeAt(start));
  let i = start + 1;
  if (first === Char.Upper) {
    if (i < end && charClass(key.charCodeAt(i)) === Char.Lower) {
      while (i < end && charClass(key.charCodeAt(i)) === Char.Lower) i++;
      return i;
    }
    while (i < end && charClass(key.charCodeAt(i)) === Char.Upper) i++;
    return i < end && i - start > 1 && charClass(key.charCodeAt(i)) === Char.Lower ? i - 1 : i;
  }
  while (i < end && charClass(key.charCodeAt(i)) === first) i++;
  return i;
}

/** Whether key[start, end) spells `word` (ASCII case ignored). */
function spells(key: string, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (lowerAscii(key.charCodeAt(start + i)) !== word.charCodeAt(i)) return false;
  return true;
}

/** Whether nothing but separators stands between `i` and the end of its path segment. */
function segmentEndsAt(key: string, i: number, end: number): boolean {
  i = wordStart(key, i, end);
  return i >= end || charClass(key.charCodeAt(i)) === Char.PathDelimiter;
}

/** Whether `name` matches the key's words starting with the word key[start, to); `first`: that word starts its segment. */
function matchesAt(key: string, start: number, to: number, end: number, first: boolean, name: CredentialName): boolean {
  const words = name.words;
  if (name.match === Match.WordOrEnd && words.length === 1 && to - start > words[0].length) return spells(key, to - words[0].length, to, words[0]);
  if ((name.match === Match.Whole && !first) || !spells(key, start, to, words[0])) return false;
  let next = to;
  for (let w = 1; w < words.length; w++) {
    const from = wordStart(key, next, end);
    if (from >= end || charClass(key.charCodeAt(from)) === Char.PathDelimiter) return false;
    next = wordEnd(key, from, end);
    if (!spells(key, from, next, words[w])) return false;
  }
  return name.match !== Match.Whole || segmentEndsAt(key, next, end);
}

/** Whether a credential name matches the key's words starting with the word key[start, to). */
function wordMatches(key: string, start: number, to: number, end: number, first: boolean, rules: QueryKeyRules): boolean {
  const last = lowerAscii(key.charCodeAt(to - 1));
  const names = rules.byLastChar[last < NOT_ASCII ? last : NOT_ASCII];
  if (names === undefined) return false;
  for (let n = 0; n < names.length; n++) if (matchesAt(key, start, to, end, first, names[n])) return true;
  return false;
}

/**
 * Whether key[start, end) names a credential: the words of its last path
 * segment that is not an index (`[0]`, `[]`) match a name. One pass, words
 * matched as they are met. A `%` means the key is percent-encoded: unless
 * that was done already (`decoded`), it is decoded and read again.
 */
function isCredentialKey(key: string, start: number, end: number, rules: QueryKeyRules, decoded: boolean): boolean {
  let matched = false;
  let segmentMatched = false;
  let segmentIsName = false;
  let segmentStart = true;
  let i = start;
  while (i < end) {
    const c = key.charCodeAt(i);
    const kind = charClass(c);
    if (kind === Char.Separator) {
      if (c === PERCENT && !decoded) return isDecodedCredentialKey(key.slice(start, end), rules);
      i++;
    } else if (kind === Char.PathDelimiter) {
      if (segmentIsName) matched = segmentMatched;
      segmentMatched = segmentIsName = false;
      segmentStart = true;
      i++;
    } else {
      // Words split digits from letters: a segment whose words are all digits is an index.
      const to = wordEnd(key, i, end);
      if (kind !== Char.Digit) segmentIsName = true;
      if (!segmentMatched) segmentMatched = wordMatches(key, i, to, end, segmentStart, rules);
      segmentStart = false;
      i = to;
    }
  }
  return segmentIsName ? segmentMatched : matched;
}

function isDecodedCredentialKey(encodedKey: string, rules: QueryKeyRules): boolean {
  let key: string;
  try {
    key = decodeURIComponent(encodedKey);
  } catch {
    return false;
  }
  return isCredentialKey(key, 0, key.length, rules, true);
}

/** The words a key (or a configured name) is compared by, as isCredentialKey reads them: `user[accessToken]` → `access`, `token`. */
export function queryKeyWords(name: string): string[] {
  let words: string[] = [];
  let segment: string[] = [];
  let segmentIsName = false;
  let i = 0;
  while (i < name.length) {
    const kind = charClass(name.charCodeAt(i));
    if (kind === Char.Separator) {
      i++;
    } else if (kind === Char.PathDelimiter) {
      if (segmentIsName) words = segment;
      segment = [];
      segmentIsName = false;
      i++;
    } else {
      const to = wordEnd(name, i, name.length);
      if (kind !== Char.Digit) segmentIsName = true;
      segment.push(name.slice(i, to).toLowerCase());
      i = to;
    }
  }
  return segmentIsName ? segment : words;
}

function rulesOf(names: ReadonlyArray<CredentialName>): QueryKeyRules {
  // Every slot present (a packed array): it is read for each word of each query key.
  const byLastChar: Array<CredentialName[] | undefined> = new Array<undefined>(NOT_ASCII + 1).fill(undefined);
  let shortest = Infinity;
  for (const name of names) {
    const first = name.words[0];
    const last = first.charCodeAt(first.length - 1);
    const slot = last < NOT_ASCII ? last : NOT_ASCII;
    (byLastChar[slot] ??= []).push(name);
    shortest = Math.min(shortest, name.words.reduce((sum, word) => sum + word.length, 0));
  }
  return { byLastChar, shortest };
}

const DEFAULT_NAMES: readonly CredentialName[] = DEFAULT_CREDENTIAL_NAMES.map(([name, match]) => ({ words: name.split(' '), match }));

/**
 * The default credential names plus `extra` (configured names: `pin`,
 * `customerRef`, `user.ssn`), each matched as a run of whole words. Names with
 * no letter or digit are ignored.
 */
export function compileQueryKeys(extra: readonly string[] = []): QueryKeyRules {
  const names = [...DEFAULT_NAMES];
  for (const name of extra) {
    const words = typeof name === 'string' ? queryKeyWords(name) : [];
    if (words.length > 0) names.push({ words, match: Match.Words });
  }
  return rulesOf(names);
}

/** The rules redactQuery applies unless given others: the defaults, until configureHttp (config.ts) installs its own. */
let activeQueryKeys: QueryKeyRules = compileQueryKeys();

/** Makes `rules` the ones redactQuery applies by default. */
export function useQueryKeys(rules: QueryKeyRules): void {
  activeQueryKeys = rules;
}

/**
 * Replaces the values of credential-like keys in a query string (without its
 * leading '?') with REDACTED, keeping the keys: `q=1&token=REDACTED`. Returns
 * the same string when there is nothing to redact.
 */
export function redactQuery(query: string, rules: QueryKeyRules = activeQueryKeys): string {
  let out: string | undefined;
  let copied = 0;
  let segment = 0;
  let equals = -1;
  const length = query.length;
  for (let i = 0; i <= length; i++) {
    const code = i === length ? AMPERSAND : query.charCodeAt(i);
    if (code === EQUALS) {
      if (equals < 0) equals = i;
      continue;
    }
    if (code !== AMPERSAND) continue;
    if (equals >= 0 && i > equals + 1 && equals - segment >= rules.shortest && isCredentialKey(query, segment, equals, rules, false)) {
      out = (out ?? '') + query.slice(copied, equals + 1) + REDACTED;
      copied = i;
    }
    segment = i + 1;
    equals = -1;
  }
  return out === undefined ? query : out + query.slice(copied);
}
