/**
 * The problems a check of a batch file finds, as check.ts, csv.ts and zip.ts collect them: the bounded list
 * (`Problems`), the helpers that word one (`problem`, `whole`) and how a byte cap reads in a message (`mib`). It may
 * import the model's error types (src/model/errors.ts) and nothing else of the folder, so every file here can import it
 * without making a circle.
 */
import { type BatchFileProblem } from "../model/errors.js";

export const MIB = 1024 * 1024;

/** Problems found so far; `stopped` once there are enough, or after one that makes reading on pointless. */
export class Problems {
  readonly found: BatchFileProblem[] = [];
  #fatal = false;
  constructor(readonly max: number) {}
  get stopped(): boolean {
    return this.#fatal || this.found.length >= this.max;
  }
  add(problem: BatchFileProblem): void {
    this.found.push(problem);
  }
  fatal(problem: BatchFileProblem): void {
    this.found.push(problem);
    this.#fatal = true;
  }
  /** The first `max` by (entry, row), whole-file ones first. */
  sorted(): BatchFileProblem[] {
    const byEntry = (a: string | null, b: string | null) =>
      a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1;
    return [...this.found]
      .sort((a, b) => byEntry(a.entry, b.entry) || (a.row ?? 0) - (b.row ?? 0))
      .slice(0, this.max);
  }
}

export function problem(
  entry: string | null,
  row: number | null,
  column: string | null,
  message: string,
): BatchFileProblem {
  return { row, column, entry, message };
}

export function whole(message: string): BatchFileProblem {
  return problem(null, null, null, message);
}

/** A cap as people read it: in MiB when it is a whole number of them (DigiCert's are). */
export function mib(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}
