/**
 * Telling an archive from a batch file's CSV or CSR, so that a nested archive is refused rather than read: by name
 * (`archiveByName`, the extension) and by content (`archiveByMagic`, the first bytes, whatever the name says). It
 * imports nothing, so any file of the folder (csv.ts, zip.ts, check.ts) may import it without making a circle.
 */

/** Bytes `archiveByMagic` needs to see every signature below (tar's is at offset 257). */
export const ARCHIVE_SNIFF_BYTES = 512;

/** Extensions of archive and compressed formats, lower case, with the format's name. */
const EXTENSIONS: ReadonlyMap<string, string> = new Map([
  ...["zip", "zipx", "jar", "war", "ear", "apk", "aab", "ipa", "xpi", "nupkg"].map(
    (e) => [e, "ZIP"] as const,
  ),
  ...["gz", "gzip", "tgz", "taz"].map((e) => [e, "gzip"] as const),
  ...["bz2", "bzip2", "tbz", "tbz2"].map((e) => [e, "bzip2"] as const),
  ...["xz", "txz"].map((e) => [e, "xz"] as const),
  ...["lz", "lzma", "tlz"].map((e) => [e, "lzip/LZMA"] as const),
  ...["zst", "tzst"].map((e) => [e, "Zstandard"] as const),
  ["lz4", "LZ4"],
  ["z", "compress (.Z)"],
  ["br", "Brotli"],
  ["tar", "tar"],
  ["7z", "7-Zip"],
  ["rar", "RAR"],
  ["cab", "cabinet"],
  ["arj", "ARJ"],
  ...["lzh", "lha"].map((e) => [e, "LHA"] as const),
  ["cpio", "cpio"],
  ["iso", "ISO 9660"],
  ["dmg", "disk image"],
  ["ar", "ar"],
  ["deb", "Debian package"],
  ["rpm", "RPM package"],
  ["xar", "xar"],
  ["pkg", "installer package"],
  ["wim", "WIM"],
  ...["sit", "sitx"].map((e) => [e, "StuffIt"] as const),
]);

/** The archive format an entry's name says it holds (by its extension), or null. */
export function archiveByName(name: string): { format: string; extension: string } | null {
  const extension = /\.([A-Za-z0-9]{1,6})$/.exec(name)?.[1]?.toLowerCase();
  const format = extension === undefined ? undefined : EXTENSIONS.get(extension);
  return format === undefined || extension === undefined ? null : { format, extension };
}

/** [offset, signature bytes, format]. Only signatures a CSV header or a PEM / DER CSR cannot start with. */
const MAGIC: readonly (readonly [number, readonly number[], string])[] = [
  [0, [0x50, 0x4b, 0x03, 0x04], "ZIP"],
  [0, [0x50, 0x4b, 0x05, 0x06], "ZIP"],
  [0, [0x50, 0x4b, 0x07, 0x08], "ZIP (split)"],
  [0, [0x1f, 0x8b], "gzip"],
  [0, [0x1f, 0x9d], "compress (.Z)"],
  [0, [0x42, 0x5a, 0x68], "bzip2"],
  [0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "xz"],
  [0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], "7-Zip"],
  [0, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], "RAR"],
  [0, [0x28, 0xb5, 0x2f, 0xfd], "Zstandard"],
  [0, [0x04, 0x22, 0x4d, 0x18], "LZ4"],
  [0, [0x4c, 0x5a, 0x49, 0x50], "lzip"],
  [0, [0x4d, 0x53, 0x43, 0x46], "cabinet"],
  [0, [0x60, 0xea], "ARJ"],
  [0, [0xed, 0xab, 0xee, 0xdb], "RPM package"],
  [0, [0x78, 0x61, 0x72, 0x21], "xar"],
  [0, [...Buffer.from("!<arch>\n")], "ar"],
  [0, [...Buffer.from("070701")], "cpio"],
  [0, [...Buffer.from("070702")], "cpio"],
  [0, [...Buffer.from("070707")], "cpio"],
  [0, [0xc7, 0x71], "cpio"],
  [0, [0x71, 0xc7], "cpio"],
  [257, [...Buffer.from("ustar")], "tar"],
];

/** The archive format `head` (a file's first bytes, ideally ARCHIVE_SNIFF_BYTES of them) starts with, or null. */
export function archiveByMagic(head: Uint8Array): string | null {
  for (const [offset, signature, format] of MAGIC) {
    if (head.length < offset + signature.length) continue;
    if (signature.every((byte, index) => head[offset + index] === byte)) return format;
  }
  return null;
}
