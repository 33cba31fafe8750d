/**
 * The rules a batch registration data file is checked against, and the file itself (`BatchFileSource`), shared by
 * check.ts, csv.ts, zip.ts and central.ts (and re-exported by check.ts, where callers import them). Types only: this
 * file imports nothing, so any file of the folder may import it without making a circle. The rules are the product's
 * to give (a template's columns, its caps); nothing here is specific to one product.
 */

export interface BatchFileRules {
  /** Lower-case template column names the header must contain; includes "csr" for client-side keys. */
  requiredColumns: readonly string[];
  /** Lower-case names the template knows; when given (non-null), any other header cell is a problem. "csr" counts as known for client-side. */
  knownColumns?: readonly string[] | null;
  /** Columns that may repeat in the header (e.g. subject.organization_unit, san.dns_name); others may not. */
  multipleColumns?: ReadonlySet<string>;
  /**
   * Other lower-case names a header may give a column by (IoT: a field's name, for its id), mapped to the column's
   * lower-case name. Header cells are read through it first; every other rule names columns as they map to.
   */
  aliases?: ReadonlyMap<string, string>;
  /** true: DigiCert generates keys, the CSV must NOT have a csr column and a ZIP must hold one CSV (not CSR files). false: CSRs required (csr column, or a ZIP of CSR files). */
  serverSideKeyGeneration: boolean;
  maxBytes: number;
  maxRows: number;
  maxZipEntries: number;
  maxInflatedBytes: number;
  /** Stop after this many problems (default 20). */
  maxProblems?: number;
}

/**
 * The uploaded data file: its size and bytes, streamed. `slice` (a Blob's, as the gateway's spooled uploads have)
 * gives random access to a ZIP's central directory; without it that part is read by streaming from the start.
 */
export interface BatchFileSource {
  /** Final, unless `arrived` is given: then the bytes received so far until it resolves. */
  readonly size: number;
  /** Every byte, in order; for a file still arriving, as it arrives (ending once all of it has). */
  stream(): ReadableStream<Uint8Array>;
  slice?(start?: number, end?: number): { stream(): ReadableStream<Uint8Array> };
  /** Given while the file may still be arriving: resolves once all of it has, rejects if the upload fails. */
  readonly arrived?: Promise<void>;
  /** Aborted when nobody waits for the check any more (the request is over): it stops, rejecting with the reason. */
  readonly signal?: AbortSignal;
}
