'use strict';
// A local OTLP/HTTP receiver that only counts spans. It walks the protobuf
// just deep enough to reach them (ExportTraceServiceRequest.resource_spans(1)
// → ResourceSpans.scope_spans(2) → ScopeSpans.spans(2)) and skips every other
// field by its length, so receiving costs the load CPU next to nothing and
// never decodes a span.
const { startCountingServer } = require('./count-server');

/** Reads a varint at buf[pos]; returns [value, nextPos]. */
function varint(buf, pos) {
  let value = 0;
  let mul = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++];
    value += (byte & 0x7f) * mul;
    if (byte < 0x80) return [value, pos];
    mul *= 128;
  }
}

/**
 * Calls onField(fieldNumber, start, end) for every length-delimited field of
 * the message in buf[start, end); other wire types are skipped.
 */
function eachLengthField(buf, start, end, onField) {
  let pos = start;
  while (pos < end) {
    let tag;
    [tag, pos] = varint(buf, pos);
    const wire = tag & 7;
    if (wire === 0) [, pos] = varint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      let len;
      [len, pos] = varint(buf, pos);
      onField(Math.floor(tag / 8), pos, pos + len);
      pos += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  if (pos !== end) throw new Error('message overruns its length');
}

/** Number of Span messages in an encoded ExportTraceServiceRequest. */
function countOtlpSpans(buf) {
  let spans = 0;
  eachLengthField(buf, 0, buf.length, (field, s, e) => {
    if (field !== 1) return;
    eachLengthField(buf, s, e, (field2, s2, e2) => {
      if (field2 !== 2) return;
      eachLengthField(buf, s2, e2, (field3) => {
        if (field3 === 2) spans++;
      });
    });
  });
  return spans;
}

/** Starts the receiver on 127.0.0.1 (ephemeral port). */
function startReceiver() {
  const counts = { spans: 0, requests: 0, badRequests: 0 };
  return startCountingServer(counts, (req, body, res) => {
    if (req.method === 'POST' && req.url === '/v1/traces') {
      try {
        counts.spans += countOtlpSpans(body);
      } catch {
        counts.badRequests++;
      }
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
}

module.exports = { startReceiver, countOtlpSpans };
