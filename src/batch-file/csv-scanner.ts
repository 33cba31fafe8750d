/**
 * The fast path of csv.ts: a CSV reader on bytes (`CsvScanner`) that reads exactly what csv-parse reads with csv.ts's
 * options (bom, trim, skip_empty_lines, relax_column_count; delimiter ",", quote and escape '"', the record delimiter
 * found as csv-parse finds it), without building a string per cell: a record is a list of byte ranges
 * (`CsvRecord`), and a cell becomes a string only when asked (the header, a CSR, an unusual cell). csv-parse stays the
 * reference: at anything it would refuse (a stray quote, an unclosed one, text after a closing quote, a UTF-16 BOM)
 * and at any record longer than MAX_FAST_RECORD_BYTES (its max_record_size is counted in characters), the scanner
 * stops before that record (`HANDOVER`) and csv-parse reads on from `rest()`, with `delimiter`, `lines` and `records`
 * to continue where the scanner stopped; its errors are then csv-parse's own. It imports only formula.ts's types of
 * triggers, so any file of the folder may import it.
 */

/** next() found a record that csv-parse must read: hand it `rest()` and everything after. */
export const HANDOVER = Symbol("handover");

/** Records this long (bytes, delimiters included) are left to csv-parse, whose 64 KiB cap counts characters. */
export const MAX_FAST_RECORD_BYTES = 32 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const FF = 0x0c;
const TAB = 0x09;
const SPACE = 0x20;
const COMMA = 0x2c;
const QUOTE = 0x22;

/** Where `byte` next is in `buf` from `from`, or buf.length. */
function find(buf: Buffer, byte: number, from: number): number {
  const at = buf.indexOf(byte, from);
  return at < 0 ? buf.length : at;
}

/** The formula triggers formula.ts refuses (= + - @ tab CR), by byte. */
const TRIGGER = new Uint8Array(128);
for (const char of "=+-@\t\r") TRIGGER[char.charCodeAt(0)] = 1;

/** ASCII bytes String.prototype.trim removes (tab, LF, VT, FF, CR, space). */
const JS_SPACE = new Uint8Array(128);
for (const byte of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]) JS_SPACE[byte] = 1;

const QUOTED = 1;
/** A quoted cell holding a doubled quote (""), which reads as one. */
const ESCAPED = 2;

/** The record delimiter: not yet seen, or what csv-parse settled on (the first line break outside quotes). */
const enum Delimiter {
  Unknown = 0,
  Lf = 1,
  Cr = 2,
  CrLf = 3,
}

/** What a row check needs of a record's cells: how many, and each one's text, formula trigger and blankness. */
export interface Cells {
  readonly length: number;
  /** The cell as csv-parse gives it (trimmed outside quotes, doubled quotes read as one). */
  text(index: number): string;
  /** formulaTrigger(text(index)). */
  trigger(index: number): string | null;
  /** text(index).trim() === "". */
  blank(index: number): boolean;
}

/** One record of the scanner's current bytes; valid until its next next() or push(). */
export class CsvRecord implements Cells {
  bytes: Buffer = Buffer.alloc(0);
  length = 0;
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  flags = new Uint8Array(16);

  add(start: number, end: number, flags: number): void {
    const at = this.length;
    if (at === this.starts.length) {
      const grow = <T extends Int32Array | Uint8Array>(old: T, next: T): T => {
        next.set(old);
        return next;
      };
      this.starts = grow(this.starts, new Int32Array(at * 2));
      this.ends = grow(this.ends, new Int32Array(at * 2));
      this.flags = grow(this.flags, new Uint8Array(at * 2));
    }
    this.starts[at] = start;
    this.ends[at] = end;
    this.flags[at] = flags;
    this.length = at + 1;
  }

  text(index: number): string {
    const flags = this.flags[index]!;
    const text = this.bytes.toString("utf8", this.starts[index], this.ends[index]);
    // csv-parse trims an unquoted cell's end with String.prototype.trimEnd, and leaves a quoted one as it is.
    if ((flags & QUOTED) === 0) return text.trimEnd();
    return (flags & ESCAPED) === 0 ? text : text.replaceAll('""', '"');
  }

  trigger(index: number): string | null {
    let at = this.starts[index]!;
    const end = this.ends[index]!;
    // An unquoted cell starts after csv-parse's trim: never with a space, tab or CR.
    if ((this.flags[index]! & QUOTED) !== 0) while (at < end && this.bytes[at] === SPACE) at += 1;
    if (at >= end) return null;
    const byte = this.bytes[at]!;
    return byte < 128 && TRIGGER[byte] === 1 ? String.fromCharCode(byte) : null;
  }

  blank(index: number): boolean {
    const end = this.ends[index]!;
    for (let at = this.starts[index]!; at < end; at += 1) {
      const byte = this.bytes[at]!;
      if (byte >= 128) return this.text(index).trim() === "";
      if (JS_SPACE[byte] !== 1) return false;
    }
    return true;
  }

  /** Every cell's text. */
  texts(): string[] {
    return Array.from({ length: this.length }, (_, index) => this.text(index));
  }
}

/** What #scan found. */
const enum Scan {
  Record,
  /** An empty line, skipped (and consumed). */
  Skipped,
  /** The record goes on past the bytes pushed so far. */
  More,
  /** The end of the data, and nothing left. */
  End,
  Handover,
}

/**
 * Reads records from bytes pushed in any pieces: push(), then next() until it answers null (more bytes needed), end()
 * after the last piece, then next() until null. A HANDOVER answer is final.
 */
export class CsvScanner {
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  /**
   * A pushed chunk not yet in #buf: a record that began in the last chunk goes on in this one, so #buf is what was
   * left of the last chunk and this one's first line (copying one line, not the chunk); #buf moves on to this chunk
   * once that record is read.
   */
  #next: Buffer | null = null;
  #nextFrom = 0;
  #ended = false;
  #bomChecked = false;
  #utf16 = false;
  #handedOver = false;
  #delimiter = Delimiter.Unknown;
  /** The delimiter as the record being scanned has found it; kept only if the record is whole. */
  #found = Delimiter.Unknown;
  readonly #record = new CsvRecord();
  /**
   * Where #buf's next comma, quote, LF and CR are at or after the last place asked (#buf.length: none), found with
   * Buffer#indexOf (native, many times faster than a loop over the bytes) and kept until passed.
   */
  #comma = -1;
  #quote = -1;
  #lf = -1;
  #cr = -1;
  /** Line breaks (CR or LF) csv-parse would have counted before the next record: its info.lines is 1 + this. */
  lines = 0;
  /** Records read so far (the header included), as csv-parse's info.records. */
  records = 0;

  push(chunk: Uint8Array): void {
    const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.#next !== null) {
      // Not reached by a caller that pushes only once next() answered null; kept whole all the same.
      this.#next = Buffer.concat([this.#next.subarray(this.#nextFrom), piece]);
      this.#nextFrom = 0;
    } else if (this.#pos >= this.#buf.length) {
      this.#buf = piece;
      this.#pos = 0;
      this.#forget();
    } else {
      this.#next = piece;
      this.#nextFrom = 0;
      this.#bridge();
    }
  }

  end(): void {
    this.#ended = true;
  }

  /** The bytes not read yet, from the start of the record handed over (or of the data). */
  rest(): Buffer {
    const held = this.#buf.subarray(this.#pos);
    return this.#next === null ? held : Buffer.concat([held, this.#next.subarray(this.#nextFrom)]);
  }

  /** For csv-parse reading the rest: strip a BOM only if nothing was read (a UTF-16 file, handed over whole). */
  get bomInRest(): boolean {
    return this.#utf16;
  }

  /** The record delimiter found so far, for csv-parse's record_delimiter; undefined: let it find one. */
  get delimiter(): string | undefined {
    return [undefined, "\n", "\r", "\r\n"][this.#delimiter];
  }

  /** The next record, null when more bytes are needed (or none are left after end()), or HANDOVER. */
  next(): CsvRecord | null | typeof HANDOVER {
    if (this.#handedOver) return HANDOVER;
    if (!this.#bomChecked) {
      while (this.#buf.length - this.#pos < 3 && this.#next !== null) this.#bridge();
      const buf = this.#buf;
      if (buf.length - this.#pos < 3 && !this.#ended) return null;
      this.#bomChecked = true;
      if (buf.length - this.#pos >= 3) {
        if (buf[this.#pos] === 0xef && buf[this.#pos + 1] === 0xbb && buf[this.#pos + 2] === 0xbf) {
          this.#pos += 3;
        } else if (buf[this.#pos] === 0xff && buf[this.#pos + 1] === 0xfe) {
          // csv-parse reads the file as UTF-16LE from here: all of it is csv-parse's.
          this.#utf16 = true;
          this.#handedOver = true;
          return HANDOVER;
        }
      }
    }
    for (;;) {
      if (this.#next !== null && this.#pos >= this.#buf.length) {
        this.#buf = this.#next;
        this.#pos = this.#nextFrom;
        this.#next = null;
        this.#forget();
      }
      switch (this.#scan()) {
        case Scan.Record:
          return this.#record;
        case Scan.Skipped:
          continue;
        case Scan.More:
          // The record is scanned again from its start, before where the positions were looked for.
          this.#forget();
          if (this.#buf.length - this.#pos > MAX_FAST_RECORD_BYTES) {
            this.#handedOver = true;
            return HANDOVER;
          }
          if (this.#next === null) return null;
          this.#bridge();
          continue;
        case Scan.End:
          return null;
        case Scan.Handover:
          this.#handedOver = true;
          return HANDOVER;
      }
    }
  }

  /** Moves #next's next line (to its LF, included) onto the end of what #buf has left. */
  #bridge(): void {
    const next = this.#next!;
    const lf = next.indexOf(LF, this.#nextFrom);
    const cut = lf < 0 ? next.length : lf + 1;
    this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), next.subarray(this.#nextFrom, cut)]);
    this.#pos = 0;
    this.#nextFrom = cut;
    if (cut === next.length) this.#next = null;
    this.#forget();
  }

  /** #buf changed: where its bytes are is not known yet. */
  #forget(): void {
    this.#comma = this.#quote = this.#lf = this.#cr = -1;
  }

  /**
   * The record delimiter's length at `p` (a CR or LF), 0 when that line break is cell text, -1 when the next byte
   * decides and has not come yet. Finds the delimiter as csv-parse does: the first line break outside quotes.
   */
  #delimiterAt(buf: Buffer, p: number, byte: number): number {
    const len = buf.length;
    let delimiter = this.#found;
    if (delimiter === Delimiter.Unknown) {
      if (byte === LF) delimiter = Delimiter.Lf;
      else if (p + 1 < len) delimiter = buf[p + 1] === LF ? Delimiter.CrLf : Delimiter.Cr;
      else if (this.#ended && this.#next === null) delimiter = Delimiter.Cr;
      else return -1;
      this.#found = delimiter;
    }
    if (delimiter === Delimiter.Lf) return byte === LF ? 1 : 0;
    if (delimiter === Delimiter.Cr) return byte === CR ? 1 : 0;
    if (byte !== CR) return 0;
    if (p + 1 < len) return buf[p + 1] === LF ? 2 : 0;
    return this.#ended && this.#next === null ? 0 : -1;
  }

  /** Keeps the record scanned from `start` to `end` and what it counted; a record too long is csv-parse's. */
  #done(start: number, end: number, lines: number): Scan {
    if (end - start > MAX_FAST_RECORD_BYTES) return Scan.Handover;
    this.#pos = end;
    this.lines += lines;
    this.records += 1;
    this.#delimiter = this.#found;
    return Scan.Record;
  }

  /** Consumes what came before the next record (empty lines, or the end's trimmed characters). */
  #skip(end: number, lines: number): void {
    this.#pos = end;
    this.lines += lines;
    this.#delimiter = this.#found;
  }

  /**
   * Reads one record from #pos, as csv-parse's state machine would, keeping #pos, lines, records and the delimiter
   * only once the record (or an empty line) is whole.
   */
  #scan(): Scan {
    const buf = this.#buf;
    const len = buf.length;
    // The end of the data: nothing after these bytes.
    const eof = this.#ended && this.#next === null;
    const record = this.#record;
    const start = this.#pos;
    let p = start;
    let lines = 0;
    this.#found = this.#delimiter;
    record.bytes = buf;
    record.length = 0;

    for (;;) {
      // A cell's start: csv-parse's left trim (space, tab, FF and line breaks that are not the delimiter).
      let byte: number;
      for (;;) {
        if (p >= len) {
          if (!eof) return Scan.More;
          if (record.length === 0) {
            this.#skip(p, lines);
            return Scan.End;
          }
          // "a," at the end: a last, empty cell.
          record.add(p, p, 0);
          return this.#done(start, p, lines);
        }
        byte = buf[p]!;
        if (byte === LF || byte === CR) {
          const length = this.#delimiterAt(buf, p, byte);
          if (length < 0) return Scan.More;
          lines += 1;
          if (length === 0) {
            p += 1;
            continue;
          }
          if (record.length === 0) {
            // A line with nothing but trimmed characters: skipped (skip_empty_lines).
            this.#skip(p + length, lines);
            return Scan.Skipped;
          }
          record.add(p, p, 0);
          return this.#done(start, p + length, lines);
        }
        if (byte === SPACE || byte === TAB || byte === FF) {
          p += 1;
          continue;
        }
        break;
      }
      if (byte === COMMA) {
        record.add(p, p, 0);
        p += 1;
        continue;
      }
      if (byte === QUOTE) {
        p += 1;
        const from = p;
        let flags = QUOTED;
        for (;;) {
          if (this.#quote < p) this.#quote = find(buf, QUOTE, p);
          const quote = this.#quote;
          // Line breaks inside the quotes count as lines, as in csv-parse.
          if (this.#lf < p) this.#lf = find(buf, LF, p);
          while (this.#lf < quote) {
            lines += 1;
            this.#lf = find(buf, LF, this.#lf + 1);
          }
          if (this.#cr < p) this.#cr = find(buf, CR, p);
          while (this.#cr < quote) {
            lines += 1;
            this.#cr = find(buf, CR, this.#cr + 1);
          }
          p = quote;
          // Unclosed at the end: csv-parse's CSV_QUOTE_NOT_CLOSED.
          if (p >= len) return eof ? Scan.Handover : Scan.More;
          if (p + 1 >= len && !eof) return Scan.More;
          const after = p + 1 < len ? buf[p + 1]! : -1;
          if (after === QUOTE) {
            flags |= ESCAPED;
            p += 2;
            continue;
          }
          // A closing quote is followed by the end, a comma, a line break or a trimmed character; anything else is
          // csv-parse's CSV_INVALID_CLOSING_QUOTE (or, for a NUL, CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE).
          if (
            after !== -1 &&
            after !== COMMA &&
            after !== LF &&
            after !== CR &&
            after !== SPACE &&
            after !== TAB &&
            after !== FF
          ) {
            return Scan.Handover;
          }
          record.add(from, p, flags);
          p += 1;
          break;
        }
        // After the closing quote: trimmed characters, then a comma, the record delimiter or the end.
        for (;;) {
          if (p >= len) return eof ? this.#done(start, p, lines) : Scan.More;
          const next = buf[p]!;
          if (next === COMMA) {
            p += 1;
            break;
          }
          if (next === LF || next === CR) {
            const length = this.#delimiterAt(buf, p, next);
            if (length < 0) return Scan.More;
            lines += 1;
            if (length > 0) return this.#done(start, p + length, lines);
            p += 1;
            continue;
          }
          if (next === SPACE || next === TAB || next === FF) {
            p += 1;
            continue;
          }
          // A quote reopens the cell in csv-parse, anything else is refused there: either way, csv-parse's.
          return Scan.Handover;
        }
        continue;
      }
      // Unquoted text, from its first untrimmed character to the delimiter (csv-parse trims its end when read).
      const from = p;
      p += 1;
      for (;;) {
        if (this.#comma < p) this.#comma = find(buf, COMMA, p);
        if (this.#quote < p) this.#quote = find(buf, QUOTE, p);
        if (this.#lf < p) this.#lf = find(buf, LF, p);
        if (this.#cr < p) this.#cr = find(buf, CR, p);
        p = Math.min(this.#comma, this.#quote, this.#lf, this.#cr);
        if (p >= len) {
          if (!eof) return Scan.More;
          record.add(from, p, 0);
          return this.#done(start, p, lines);
        }
        const next = buf[p]!;
        if (next === COMMA) {
          record.add(from, p, 0);
          p += 1;
          break;
        }
        // A quote inside unquoted text: csv-parse's INVALID_OPENING_QUOTE.
        if (next === QUOTE) return Scan.Handover;
        const length = this.#delimiterAt(buf, p, next);
        if (length < 0) return Scan.More;
        lines += 1;
        if (length > 0) {
          record.add(from, p, 0);
          return this.#done(start, p + length, lines);
        }
        p += 1;
      }
    }
  }
}
