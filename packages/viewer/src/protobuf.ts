// A minimal protobuf wire-format reader: exactly what decoding OTLP needs
// (varint, fixed32/64, length-delimited) plus skipping unknown fields. Every
// read is bounds-checked and throws OtlpDecodeError naming the byte offset,
// so hostile input can fail a request but never the process.
import { OtlpDecodeError } from './model';

export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const FIXED32 = 5;
const WIRE_TYPE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];

export class ProtoReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string): never {
    throw new OtlpDecodeError(`${what} at byte ${this.pos}`);
  }

  /** A varint as a JS number (tags, lengths, enums, uint32 counts); exact up to 2^53. */
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const byte = this.buf[this.pos++];
      if (shift < 28) result |= (byte & 0x7f) << shift;
      else if (shift < 70) result += (byte & 0x7f) * 2 ** shift;
      else this.fail('varint longer than 10 bytes');
      if (byte < 0x80) return shift < 28 ? result >>> 0 : result;
      shift += 7;
    }
  }

  /** A full 64-bit varint, as int64 (two's complement). */
  int64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      if (i === 10) this.fail('varint longer than 10 bytes');
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
  }

  fixed32(): number {
    this.need(4);
    const value = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  fixed64(): bigint {
    this.need(8);
    const value = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value;
  }

  double(): number {
    this.need(8);
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Start and end offsets of a length-delimited field's payload; advances past it. */
  bytes(): [number, number] {
    const length = this.varint();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return [start, this.pos];
  }

  string(): string {
    const [start, end] = this.bytes();
    return this.buf.toString('utf8', start, end);
  }

  hex(): string {
    const [start, end] = this.bytes();
    return this.buf.toString('hex', start, end);
  }

  /** A reader over an embedded message's bytes. */
  message(): ProtoReader {
    const [start, end] = this.bytes();
    return new ProtoReader(this.buf, start, end);
  }

  /** The next field's tag: [field number, wire type]. */
  tag(): [number, number] {
    const tag = this.varint();
    const field = Math.floor(tag / 8);
    if (field === 0) this.fail('invalid field number 0');
    return [field, tag & 7];
  }

  /** Throws unless a known field arrived with the wire type its definition says. */
  expect(wireType: number, actual: number, field: string): void {
    if (wireType !== actual) {
      this.fail(`${field}: expected wire type ${WIRE_TYPE_NAMES[wireType]}, got ${WIRE_TYPE_NAMES[actual] ?? actual}`);
    }
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case LEN:
        this.bytes();
        return;
      case FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        // Groups (3, 4) are proto2-only and never appear in OTLP; 6 and 7 do not exist.
        this.fail(`unsupported wire type ${wireType}`);
    }
  }

  private need(length: number): void {
    if (this.end - this.pos < length) this.fail(`truncated: ${length} bytes needed, ${this.end - this.pos} left`);
  }
}
