'use strict';
// A dummy Datadog agent: accepts what dd-trace sends and counts traces and
// spans in /v0.4/traces payloads (msgpack: an array of traces, each an array
// of span maps). Spans are skipped over, never decoded. Every other endpoint
// dd-trace may probe gets an empty JSON answer.
const { startCountingServer } = require('./count-server');

/** Returns the position just after the msgpack value that starts at buf[pos]. */
function skip(buf, pos) {
  const b = buf[pos++];
  if (b === undefined) throw new Error('truncated msgpack');
  if (b <= 0x7f || b >= 0xe0) return pos; // positive/negative fixint
  if (b >= 0x80 && b <= 0x8f) return skipMany(buf, pos, (b & 0x0f) * 2); // fixmap
  if (b >= 0x90 && b <= 0x9f) return skipMany(buf, pos, b & 0x0f); // fixarray
  if (b >= 0xa0 && b <= 0xbf) return pos + (b & 0x1f); // fixstr
  switch (b) {
    case 0xc0: case 0xc2: case 0xc3: return pos; // nil, false, true
    case 0xc4: case 0xd9: return pos + 1 + buf[pos]; // bin8, str8
    case 0xc5: case 0xda: return pos + 2 + buf.readUInt16BE(pos); // bin16, str16
    case 0xc6: case 0xdb: return pos + 4 + buf.readUInt32BE(pos); // bin32, str32
    case 0xc7: return pos + 2 + buf[pos]; // ext8
    case 0xc8: return pos + 3 + buf.readUInt16BE(pos); // ext16
    case 0xc9: return pos + 5 + buf.readUInt32BE(pos); // ext32
    case 0xca: return pos + 4; // float32
    case 0xcb: return pos + 8; // float64
    case 0xcc: case 0xd0: return pos + 1;
    case 0xcd: case 0xd1: return pos + 2;
    case 0xce: case 0xd2: return pos + 4;
    case 0xcf: case 0xd3: return pos + 8;
    case 0xd4: return pos + 2; // fixext1
    case 0xd5: return pos + 3;
    case 0xd6: return pos + 5;
    case 0xd7: return pos + 9;
    case 0xd8: return pos + 17;
    case 0xdc: return skipMany(buf, pos + 2, buf.readUInt16BE(pos)); // array16
    case 0xdd: return skipMany(buf, pos + 4, buf.readUInt32BE(pos)); // array32
    case 0xde: return skipMany(buf, pos + 2, buf.readUInt16BE(pos) * 2); // map16
    case 0xdf: return skipMany(buf, pos + 4, buf.readUInt32BE(pos) * 2); // map32
    default: throw new Error(`unknown msgpack byte 0x${b.toString(16)}`);
  }
}

function skipMany(buf, pos, n) {
  for (let i = 0; i < n; i++) pos = skip(buf, pos);
  return pos;
}

/** Reads an array header at buf[pos]; returns [length, nextPos]. */
function arrayHeader(buf, pos) {
  const b = buf[pos];
  if (b >= 0x90 && b <= 0x9f) return [b & 0x0f, pos + 1];
  if (b === 0xdc) return [buf.readUInt16BE(pos + 1), pos + 3];
  if (b === 0xdd) return [buf.readUInt32BE(pos + 1), pos + 5];
  throw new Error('expected a msgpack array');
}

/** { traces, spans } in a v0.4 traces payload. */
function countDdSpans(buf) {
  let [traces, pos] = arrayHeader(buf, 0);
  let spans = 0;
  for (let t = 0; t < traces; t++) {
    let n;
    [n, pos] = arrayHeader(buf, pos);
    spans += n;
    pos = skipMany(buf, pos, n);
  }
  return { traces, spans };
}

/** Starts the dummy agent on 127.0.0.1 (ephemeral port). */
function startDdAgent() {
  const counts = { spans: 0, traces: 0, requests: 0, badRequests: 0 };
  return startCountingServer(counts, (req, body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (!req.url.startsWith('/v0.4/traces')) {
      res.end('{}');
      return;
    }
    try {
      const found = countDdSpans(body);
      counts.traces += found.traces;
      counts.spans += found.spans;
    } catch {
      counts.badRequests++;
    }
    res.end('{"rate_by_service":{}}');
  });
}

module.exports = { startDdAgent };
