/**
 * How scripts show things: aligned text tables on stdout, and progress on stderr (a spinner, a progress bar) drawn only
 * when stderr is a terminal, so piped or logged output stays clean.
 */
import type { OutputStream } from "./cli.js";

/** Rows under a header, columns padded to their widest cell; control characters in cells shown as spaces. */
export function formatTable(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const text = (value: unknown) =>
    (value === null || value === undefined ? "" : String(value)).replace(/[\p{Cc}]/gu, " ");
  const cells = [header.map(text), ...rows.map((row) => row.map(text))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const FRAMES = ["|", "/", "-", "\\"];

/** A one-line status on a terminal's stderr: `update` redraws it, `done` ends the line. Silent elsewhere. */
export class Spinner {
  readonly #stream: OutputStream;
  #text: string;
  #frame = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(stream: OutputStream, text: string) {
    this.#stream = stream;
    this.#text = text;
    if (!stream.isTTY) return;
    this.#draw();
    this.#timer = setInterval(() => this.#draw(), 120);
    this.#timer.unref?.();
  }

  update(text: string): void {
    this.#text = text;
    if (this.#stream.isTTY) this.#draw();
  }

  /** Stops; on a terminal the last text stays, followed by `final` when given. */
  done(final?: string): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (!this.#stream.isTTY) return;
    this.#stream.write(`\r\x1b[2K${final ?? this.#text}\n`);
  }

  #draw(): void {
    this.#frame = (this.#frame + 1) % FRAMES.length;
    this.#stream.write(`\r\x1b[2K${FRAMES[this.#frame]} ${this.#text}`);
  }
}

/** A progress bar on a terminal's stderr (`[#####.....]  50%  1.0 MiB / 2.0 MiB`); silent elsewhere. */
export class ProgressBar {
  readonly #stream: OutputStream;
  readonly #label: string;
  #last = -1;

  constructor(stream: OutputStream, label: string) {
    this.#stream = stream;
    this.#label = label;
  }

  update(done: number, total: number): void {
    if (!this.#stream.isTTY) return;
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const percent = Math.floor(ratio * 100);
    // Redrawn when the percentage moves, not on every chunk.
    if (percent === this.#last && done !== total) return;
    this.#last = percent;
    const width = 30;
    const filled = Math.round(ratio * width);
    const bar = `${"#".repeat(filled)}${".".repeat(width - filled)}`;
    this.#stream.write(
      `\r\x1b[2K${this.#label} [${bar}] ${String(percent).padStart(3)}%  ${formatBytes(done)} / ${formatBytes(total)}`,
    );
  }

  done(): void {
    if (this.#stream.isTTY && this.#last >= 0) this.#stream.write("\n");
  }
}
