// Strict DER (ITU-T X.690 distinguished encoding) reading, for the certificate fast path in x509-fast.ts.
//
// Pure module: no I/O, no logging, no clock. Every element is read in place (offsets into the caller's bytes, no
// copies), every read moves forward by at least two bytes and stays inside its parent, so a walk over n bytes
// ends after at most n/2 reads whatever the input. Anything that is not plain DER (indefinite or non-minimal
// lengths, high tag numbers, truncation, a value that overruns its parent, non-minimal INTEGERs or OID arcs,
// BER booleans, non-zero padding bits) throws a DerError with a fixed message that never quotes the input; the
// caller then declines the fast path. Nothing here throws anything else.

export class DerError extends Error {
  override readonly name = "DerError";
  readonly code = "DER_INVALID";
}

/** Identifier octets (class, constructed bit and tag number) of the universal types the certificate walk reads. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Bit 6 of an identifier octet: the element holds other elements. */
export const CONSTRUCTED = 0x20;
/** Bits 8-7 of an identifier octet set to context-specific ([n]). */
export const CONTEXT = 0x80;

/** One element: offsets into the bytes it was read from. */
export interface Tlv {
  /** The identifier octet (always a low tag number, so one octet). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

// Lengths of more than four octets would describe more than 4 GiB: never a certificate.
const MAX_LENGTH_OCTETS = 4;

/** A forward-only cursor over the elements between `start` and `end` of `bytes`. */
export class DerReader {
  readonly #bytes: Uint8Array;
  #pos: number;
  readonly #end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(end) ||
      start < 0 ||
      end > bytes.length ||
      start > end
    ) {
      throw new DerError("reader bounds are outside the input");
    }
    this.#bytes = bytes;
    this.#pos = start;
    this.#end = end;
  }

  /** A reader over the content octets of `tlv` (which must have come from the same bytes). */
  static within(bytes: Uint8Array, tlv: Tlv): DerReader {
    return new DerReader(bytes, tlv.contentStart, tlv.end);
  }

  get done(): boolean {
    return this.#pos >= this.#end;
  }

  /** The identifier octet of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.done ? undefined : this.#bytes[this.#pos];
  }

  /** The next element; throws DerError when it is not well-formed DER or overruns this reader's end. */
  next(): Tlv {
    const bytes = this.#bytes;
    const start = this.#pos;
    if (this.#end - start < 2) throw new DerError("element is truncated");
    const tag = bytes[start]!;
    // Tag number 31 announces the multi-octet (high tag number) form, which no certificate field uses; universal 0
    // is end-of-contents, which only indefinite lengths (not DER) need.
    if ((tag & 0x1f) === 0x1f) throw new DerError("high tag numbers are not supported");
    if (tag === 0x00) throw new DerError("unexpected end-of-contents element");
    const first = bytes[start + 1]!;
    let length: number;
    let contentStart: number;
    if (first < 0x80) {
      length = first;
      contentStart = start + 2;
    } else {
      const count = first & 0x7f;
      if (count === 0) throw new DerError("indefinite lengths are not DER");
      if (count > MAX_LENGTH_OCTETS) throw new DerError("length is too large");
      if (this.#end - start - 2 < count) throw new DerError("length is truncated");
      if (bytes[start + 2] === 0) throw new DerError("length is not minimally encoded");
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + bytes[start + 2 + i]!;
      if (length < 0x80) throw new DerError("length is not minimally encoded");
      contentStart = start + 2 + count;
    }
    if (length > this.#end - contentStart) throw new DerError("element overruns its container");
    const end = contentStart + length;
    this.#pos = end;
    return { tag, start, contentStart, end };
  }

  /** The next element, which must carry identifier octet `tag`. */
  expect(tag: number): Tlv {
    if (this.peekTag() !== tag) throw new DerError("unexpected element");
    return this.next();
  }

  /** The next element when it carries identifier octet `tag`, else nothing (and the cursor stays). */
  optional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.next() : undefined;
  }

  /** Throws unless every element has been read. */
  finish(): void {
    if (!this.done) throw new DerError("unexpected trailing data");
  }
}

/** Whether the identifier octet is of a constructed element. */
export function isConstructed(tag: number): boolean {
  return (tag & CONSTRUCTED) !== 0;
}

/** Content length of `tlv`. */
export function contentLength(tlv: Tlv): number {
  return tlv.end - tlv.contentStart;
}

/** The sole element inside constructed `tlv` (e.g. an EXPLICIT tag's value). */
export function onlyChild(bytes: Uint8Array, tlv: Tlv): Tlv {
  if (!isConstructed(tlv.tag)) throw new DerError("expected a constructed element");
  const reader = DerReader.within(bytes, tlv);
  const child = reader.next();
  reader.finish();
  return child;
}

/** A whole input that is exactly one element. */
export function readSingle(bytes: Uint8Array): Tlv {
  const reader = new DerReader(bytes);
  const tlv = reader.next();
  reader.finish();
  return tlv;
}

// ---------------------------------------------------------------------------------------------------------------
// Primitive values
// ---------------------------------------------------------------------------------------------------------------

// Arcs of up to seven base-128 octets (49 bits) decode exactly as JavaScript numbers.
const MAX_ARC_OCTETS = 7;

/**
 * Dotted text of an OBJECT IDENTIFIER (or one implicitly tagged `tag`), the first two arcs split as X.690 8.19.4
 * says.
 */
export function readOid(bytes: Uint8Array, tlv: Tlv, tag: number = TAG.OID): string {
  if (tlv.tag !== tag) throw new DerError("expected an OBJECT IDENTIFIER");
  if (tlv.end === tlv.contentStart) throw new DerError("OBJECT IDENTIFIER is empty");
  let text = "";
  let pos = tlv.contentStart;
  let first = true;
  while (pos < tlv.end) {
    if (bytes[pos] === 0x80) throw new DerError("OBJECT IDENTIFIER arc is not minimally encoded");
    let value = 0;
    let octets = 0;
    for (;;) {
      if (pos >= tlv.end) throw new DerError("OBJECT IDENTIFIER arc is truncated");
      const octet = bytes[pos++]!;
      if (++octets > MAX_ARC_OCTETS) throw new DerError("OBJECT IDENTIFIER arc is too large");
      value = value * 128 + (octet & 0x7f);
      if ((octet & 0x80) === 0) break;
    }
    if (first) {
      text = value < 40 ? `0.${value}` : value < 80 ? `1.${value - 40}` : `2.${value - 80}`;
      first = false;
    } else {
      text += `.${value}`;
    }
  }
  return text;
}

/**
 * Checks an INTEGER (or one implicitly tagged `tag`): at least one content octet, minimal two's complement (no
 * redundant leading 00 or FF).
 */
export function checkInteger(bytes: Uint8Array, tlv: Tlv, tag: number = TAG.INTEGER): void {
  if (tlv.tag !== tag) throw new DerError("expected an INTEGER");
  const length = contentLength(tlv);
  if (length === 0) throw new DerError("INTEGER is empty");
  if (length > 1) {
    const a = bytes[tlv.contentStart]!;
    const b = bytes[tlv.contentStart + 1]!;
    if ((a === 0x00 && b < 0x80) || (a === 0xff && b >= 0x80)) {
      throw new DerError("INTEGER is not minimally encoded");
    }
  }
}

/** A non-negative INTEGER of at most `maxOctets` content octets, as a number. */
export function readSmallUnsigned(bytes: Uint8Array, tlv: Tlv, maxOctets: number): number {
  checkInteger(bytes, tlv);
  const length = contentLength(tlv);
  if (length > maxOctets) throw new DerError("INTEGER is too large");
  if (bytes[tlv.contentStart]! >= 0x80) throw new DerError("INTEGER is negative");
  let value = 0;
  for (let i = tlv.contentStart; i < tlv.end; i++) value = value * 256 + bytes[i]!;
  return value;
}

/** A DER BOOLEAN: one octet, FF or 00. */
export function readBoolean(bytes: Uint8Array, tlv: Tlv): boolean {
  if (tlv.tag !== TAG.BOOLEAN || contentLength(tlv) !== 1) throw new DerError("expected a BOOLEAN");
  const octet = bytes[tlv.contentStart];
  if (octet === 0xff) return true;
  if (octet === 0x00) return false;
  throw new DerError("BOOLEAN is not DER");
}

/** Checks a NULL: no content. */
export function checkNull(tlv: Tlv): void {
  if (tlv.tag !== TAG.NULL || contentLength(tlv) !== 0) throw new DerError("expected a NULL");
}

/** A BIT STRING: its unused-bit count and the offsets of the octets after that count. */
export interface BitString {
  readonly unusedBits: number;
  readonly start: number;
  readonly end: number;
}

/** A BIT STRING (primitive, or implicitly tagged `tag`) whose padding bits are zero, as DER requires. */
export function readBitString(bytes: Uint8Array, tlv: Tlv, tag: number = TAG.BIT_STRING): BitString {
  if (tlv.tag !== tag) throw new DerError("expected a BIT STRING");
  const length = contentLength(tlv);
  if (length === 0) throw new DerError("BIT STRING is empty");
  const unusedBits = bytes[tlv.contentStart]!;
  if (unusedBits > 7 || (length === 1 && unusedBits !== 0))
    throw new DerError("BIT STRING padding is invalid");
  if (unusedBits > 0 && (bytes[tlv.end - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new DerError("BIT STRING padding bits are not zero");
  }
  return { unusedBits, start: tlv.contentStart + 1, end: tlv.end };
}

// ---------------------------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------------------------

// Chunked so that String.fromCharCode never receives more arguments than the engine allows.
const CHUNK = 4096;

/** One character per octet (ISO 8859-1): how PrintableString, IA5String, TeletexString etc. are read here. */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let pos = start; pos < end; pos += CHUNK) {
    text += String.fromCharCode(...bytes.subarray(pos, Math.min(end, pos + CHUNK)));
  }
  return text;
}

// fatal: invalid UTF-8 is refused rather than replaced; ignoreBOM: a leading U+FEFF is kept as a character.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Well-formed UTF-8 (no overlong forms, surrogates or truncated sequences), else DerError. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  try {
    return UTF8.decode(bytes.subarray(start, end));
  } catch {
    throw new DerError("UTF8String is not valid UTF-8");
  }
}

/** BMPString: big-endian 16-bit code units, one character each (unpaired surrogates kept as they are). */
export function decodeBmp(bytes: Uint8Array, start: number, end: number): string {
  if ((end - start) % 2 !== 0) throw new DerError("BMPString has an odd length");
  let text = "";
  for (let pos = start; pos < end; pos += 2)
    text += String.fromCharCode((bytes[pos]! << 8) | bytes[pos + 1]!);
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------------------------

function digits(bytes: Uint8Array, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const octet = bytes[i]!;
    if (octet < 0x30 || octet > 0x39) throw new DerError("time is not in DER form");
    value = value * 10 + (octet - 0x30);
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * A Time (RFC 5280 4.1.2.5) in its DER form only: UTCTime YYMMDDHHMMSSZ (years 50-99 are 19xx) or GeneralizedTime
 * YYYYMMDDHHMMSSZ, every field in range. Milliseconds since the epoch, from Date.UTC.
 */
export function readTime(bytes: Uint8Array, tlv: Tlv): number {
  let year: number;
  let at: number;
  if (tlv.tag === TAG.UTC_TIME && contentLength(tlv) === 13) {
    const yy = digits(bytes, tlv.contentStart, 2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    at = tlv.contentStart + 2;
  } else if (tlv.tag === TAG.GENERALIZED_TIME && contentLength(tlv) === 15) {
    year = digits(bytes, tlv.contentStart, 4);
    at = tlv.contentStart + 4;
  } else {
    throw new DerError("time is not in DER form");
  }
  if (bytes[tlv.end - 1] !== 0x5a) throw new DerError("time is not in UTC");
  const month = digits(bytes, at, 2);
  const day = digits(bytes, at + 2, 2);
  const hour = digits(bytes, at + 4, 2);
  const minute = digits(bytes, at + 6, 2);
  const second = digits(bytes, at + 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    throw new DerError("date is invalid");
  if (hour > 23 || minute > 59 || second > 59) throw new DerError("time of day is invalid");
  return Date.UTC(year, month - 1, day, hour, minute, second);
}
