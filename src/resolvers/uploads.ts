/** Uploaded files as resolvers see them (useStreamedUploads spools each to a temporary file), and as they are sent on. */

/** What a resolver gets for an uploaded file: a WHATWG File reading from a temporary file (useStreamedUploads). */
export interface UploadedFile {
  readonly name: string;
  readonly type: string;
  readonly size: number;
  stream(): ReadableStream<Uint8Array>;
  /** A range of the spooled file, read without reading what comes before it (a ZIP's central directory). */
  slice(start?: number, end?: number): Blob;
}

/** The file's bytes as they are sent; ending early (a failed upload) cancels the stream. */
export async function* chunksOf(file: UploadedFile): AsyncIterable<Uint8Array> {
  const reader = file.stream().getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
  }
}

/** The client's file name, reduced to what a part header carries safely; DigiCert shows it on the job. */
export function uploadName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const safe = base
    .replace(/[^A-Za-z0-9._ -]/g, "_")
    .slice(0, 128)
    .trim();
  return safe === "" || /^\.+$/.test(safe) ? "batch.csv" : safe;
}
