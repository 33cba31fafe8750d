/**
 * A ZIP's central directory (the index at its end), read before its entries stream through zip.ts: each entry's file
 * type from its external attributes (the Unix mode in the high 16 bits, the DOS directory bit), whether it is
 * encrypted, and how many entries bear each name. zip.ts refuses what is not a regular file (links, directories posing
 * as files, device files, FIFOs, sockets) and any entry the stream and the index disagree on (a ZIP built to show
 * different files to different readers). The upload is a file on disk, so the index is read by range
 * (`slice`); a source without `slice` is read from its start instead. Memory: the tail (at most 64 KiB), one record at
 * a time, and one small record per distinct name (as many as the entry cap allows). It imports only Node's crypto and
 * the folder's types.ts.
 */
import { createHash } from "node:crypto";
import { type BatchFileSource } from "./types.js";

/** What an entry is, by its external attributes. */
export type EntryKind =
  | "file"
  | "directory"
  | "symbolic link"
  | "character device"
  | "block device"
  | "FIFO"
  | "socket"
  | "unknown";

export interface CentralEntry {
  readonly kind: EntryKind;
  /** The Unix file-type bits ((externalAttributes >>> 16) & 0o170000); 0 when the archiver wrote none. */
  readonly fileType: number;
  /** General-purpose flag bit 0 of any record with this name. */
  readonly encrypted: boolean;
  /** Records with this name in the central directory. */
  readonly listed: number;
  /** Entries with this name the stream has met so far. */
  met: number;
  /** The name (as the first record has it). */
  readonly name: string;
}

const EOCD = 0x06054b50;
const EOCD_BYTES = 22;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL_RECORD = 0x02014b50;
const DIGITAL_SIGNATURE = 0x05054b50;
const CENTRAL_RECORD_BYTES = 46;
/** Names longer than this are kept by a digest (they are refused as unsafe anyway): the map stays small. */
const MAX_KEY_CHARS = 256;
const CORRUPT = "The ZIP cannot be read: it is corrupt or truncated.";

export const S_IFMT = 0o170000;

/** An entry's kind from its external attributes; a regular file when the archiver recorded no type. */
export function entryKind(externalAttributes: number): { kind: EntryKind; fileType: number } {
  const fileType = (externalAttributes >>> 16) & S_IFMT;
  const kinds: Record<number, EntryKind> = {
    0o100000: "file",
    0o040000: "directory",
    0o120000: "symbolic link",
    0o020000: "character device",
    0o060000: "block device",
    0o010000: "FIFO",
    0o140000: "socket",
  };
  // No Unix type (a DOS or Windows archiver): bit 4 of the low byte is the DOS directory attribute.
  if (fileType === 0) return { kind: (externalAttributes & 0x10) !== 0 ? "directory" : "file", fileType };
  return { kind: kinds[fileType] ?? "unknown", fileType };
}

function keyOf(name: string): string {
  return name.length <= MAX_KEY_CHARS
    ? name
    : `${name.slice(0, MAX_KEY_CHARS)}\u0000${createHash("sha256").update(name).digest("base64")}`;
}

/** The central directory's entries by name. */
export class CentralDirectory {
  readonly #entries = new Map<string, CentralEntry>();
  #records = 0;

  /** Central directory records read. */
  get records(): number {
    return this.#records;
  }

  add(name: string, externalAttributes: number, encrypted: boolean): void {
    this.#records += 1;
    const key = keyOf(name);
    const known = this.#entries.get(key);
    const { kind, fileType } = entryKind(externalAttributes);
    // A name listed twice keeps the first record's type; any non-regular record makes the name irregular.
    const irregular = known && known.kind === "file" && kind !== "file";
    this.#entries.set(key, {
      kind: irregular ? kind : (known?.kind ?? kind),
      fileType: irregular ? fileType : (known?.fileType ?? fileType),
      encrypted: (known?.encrypted ?? false) || encrypted,
      listed: (known?.listed ?? 0) + 1,
      met: 0,
      name: known?.name ?? name,
    });
  }

  /** The record for an entry the stream met (counted), or undefined when the index does not list it. */
  meet(name: string): CentralEntry | undefined {
    const entry = this.#entries.get(keyOf(name));
    if (entry) entry.met += 1;
    return entry;
  }

  /** Entries the index lists more often than the stream met them. */
  unmet(): CentralEntry[] {
    return [...this.#entries.values()].filter((entry) => entry.met < entry.listed);
  }
}

/** Bytes [start, end) of `file`: by `slice` when it has one, else read from the start and skipped up to `start`. */
async function* readRange(file: BatchFileSource, start: number, end: number): AsyncGenerator<Uint8Array> {
  if (end <= start) return;
  const sliced = typeof file.slice === "function";
  const reader = (sliced ? file.slice!(start, end).stream() : file.stream()).getReader();
  let position = sliced ? start : 0;
  try {
    while (position < end) {
      const { done, value } = await reader.read();
      if (done) return;
      const from = Math.max(0, start - position);
      const to = Math.min(value.length, end - position);
      position += value.length;
      if (to > from) yield value.subarray(from, to);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

async function readBytes(file: BatchFileSource, start: number, end: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of readRange(file, start, end)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Where the central directory is, from the end record (and the ZIP64 one when the end record points to it). */
async function locate(
  file: BatchFileSource,
): Promise<{ offset: number; size: number; records: number } | { problem: string }> {
  const tailStart = Math.max(0, file.size - (EOCD_BYTES + 0xffff));
  const tail = await readBytes(file, tailStart, file.size);
  // The end record whose comment runs exactly to the end of the file, else the last one that fits.
  let at = -1;
  for (let i = tail.length - EOCD_BYTES; i >= 0; i -= 1) {
    if (tail.readUInt32LE(i) !== EOCD) continue;
    const end = i + EOCD_BYTES + tail.readUInt16LE(i + 20);
    if (end === tail.length) {
      at = i;
      break;
    }
    if (at < 0 && end <= tail.length) at = i;
  }
  if (at < 0) return { problem: CORRUPT };
  const eocd = tailStart + at;
  const disk = tail.readUInt16LE(at + 4);
  const centralDisk = tail.readUInt16LE(at + 6);
  let records = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  let centralEnd = eocd;
  if (records === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = eocd >= 20 ? await readBytes(file, eocd - 20, eocd) : Buffer.alloc(0);
    if (locator.length === 20 && locator.readUInt32LE(0) === ZIP64_LOCATOR) {
      if (locator.readUInt32LE(16) > 1) return { problem: spanned() };
      const zip64At = Number(locator.readBigUInt64LE(8));
      const zip64 = await readBytes(file, zip64At, zip64At + 56);
      if (zip64.length < 56 || zip64.readUInt32LE(0) !== ZIP64_EOCD) return { problem: CORRUPT };
      if (zip64.readUInt32LE(16) !== 0 || zip64.readUInt32LE(20) !== 0) return { problem: spanned() };
      records = Number(zip64.readBigUInt64LE(32));
      size = Number(zip64.readBigUInt64LE(40));
      offset = Number(zip64.readBigUInt64LE(48));
      centralEnd = zip64At;
    }
  }
  if (disk !== 0 || centralDisk !== 0) return { problem: spanned() };
  if (offset + size > centralEnd) return { problem: CORRUPT };
  return { offset, size, records };
}

function spanned(): string {
  return "The ZIP is split across several files (a multi-disk archive); upload it as one ZIP.";
}

const UTF8 = new TextDecoder();

/**
 * Reads `file`'s central directory; a problem message instead when it cannot be found or read, or lists more than
 * `maxRecords` entries. Names are decoded as fflate decodes local headers (UTF-8 with flag bit 11, else Latin-1), so
 * that the two can be compared.
 */
export async function readCentralDirectory(
  file: BatchFileSource,
  maxRecords: number,
): Promise<{ directory: CentralDirectory } | { problem: string }> {
  const location = await locate(file);
  if ("problem" in location) return location;
  const directory = new CentralDirectory();
  let buffer: Buffer = Buffer.alloc(0);
  let ended = false;
  for await (const chunk of readRange(file, location.offset, location.offset + location.size)) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    buffer = buffer.length === 0 ? bytes : Buffer.concat([buffer, bytes]);
    let at = 0;
    while (buffer.length - at >= 4) {
      const signature = buffer.readUInt32LE(at);
      // PKWARE's central-directory signature record may close the index; nothing after it is an entry.
      if (signature === DIGITAL_SIGNATURE) {
        ended = true;
        break;
      }
      if (signature !== CENTRAL_RECORD) return { problem: CORRUPT };
      if (buffer.length - at < CENTRAL_RECORD_BYTES) break;
      const nameLength = buffer.readUInt16LE(at + 28);
      const length =
        CENTRAL_RECORD_BYTES + nameLength + buffer.readUInt16LE(at + 30) + buffer.readUInt16LE(at + 32);
      if (buffer.length - at < length) break;
      const flags = buffer.readUInt16LE(at + 8);
      const nameBytes = buffer.subarray(at + CENTRAL_RECORD_BYTES, at + CENTRAL_RECORD_BYTES + nameLength);
      const name = (flags & 0x800) !== 0 ? UTF8.decode(nameBytes) : nameBytes.toString("latin1");
      directory.add(name, buffer.readUInt32LE(at + 38), (flags & 1) !== 0);
      if (directory.records > maxRecords) {
        return { problem: `The ZIP has more than ${maxRecords} entries, counting skipped ones.` };
      }
      at += length;
    }
    if (ended) break;
    buffer = buffer.subarray(at);
  }
  // Bytes left that make no whole record, or fewer records than the end record counts: not a ZIP to trust.
  if ((!ended && buffer.length > 0) || directory.records !== location.records) return { problem: CORRUPT };
  return { directory };
}
