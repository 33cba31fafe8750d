/**
 * CSV injection (OWASP "CSV Injection"): a cell whose first character is `=`, `+`, `-`, `@`, a tab or a carriage
 * return is run as a formula by a spreadsheet that opens the file. The checker refuses such cells in an upload
 * (`formulaTrigger`, used by csv.ts); CSV the gateway emits or forwards is neutralised instead (`neutraliseCsv`,
 * `CsvNeutraliser` for a stream, `neutraliseCsvCell` for one value): the cell is prefixed with a single quote and
 * quoted, its quotes doubled, so a spreadsheet shows it as text. It imports nothing, so any file may import it.
 */

/** The first characters OWASP lists: = + - @ tab CR. */
const TRIGGERS: ReadonlySet<string> = new Set(["=", "+", "-", "@", "\t", "\r"]);

/** How a trigger reads in a message. */
export function describeTrigger(trigger: string): string {
  return trigger === "\t" ? "a tab" : trigger === "\r" ? "a carriage return" : `"${trigger}"`;
}

/**
 * The formula trigger `value` (a cell as read, unquoted) starts with, or null. Leading spaces are looked past: a
 * spreadsheet that trims cells on import would see the trigger first.
 */
export function formulaTrigger(value: string): string | null {
  let at = 0;
  while (value.charCodeAt(at) === 0x20) at += 1;
  const first = value.charAt(at);
  return TRIGGERS.has(first) ? first : null;
}

/**
 * One value as a CSV field: neutralised (`"'=1+1"`) when it would run as a formula, else quoted only when it must be
 * (a comma, quote or line break).
 */
export function neutraliseCsvCell(value: string): string {
  if (formulaTrigger(value) !== null) return `"'${value.replaceAll('"', '""')}"`;
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Neutralises every cell of a CSV text (see CsvNeutraliser); other cells, quoting and line ends are kept as is. */
export function neutraliseCsv(text: string): string {
  const neutraliser = new CsvNeutraliser();
  return neutraliser.push(text) + neutraliser.end();
}

type State =
  /** Before a field's first character; `#pending` holds the spaces read so far. */
  | "start"
  /** In a quoted field before its first character; `#pending` holds the opening quote and spaces. */
  | "quotedStart"
  | "quoted"
  /** In a quoted field after a quote: the field's end, or the first half of a doubled quote. */
  | "quotedQuote"
  /** In an unquoted field, copied as is (also text after a quoted field's closing quote). */
  | "plain"
  /** In an unquoted field that starts with a trigger: opened as `"'`, quotes doubled, closed at the field's end. */
  | "wrapped";

/**
 * Neutralises a CSV as it streams (comma-separated; quoted fields may span lines): `push` each piece of text and
 * write what it returns, then write `end()`. A cell that starts with a trigger (after spaces) gets a single quote
 * and is quoted; everything else passes through unchanged, so a safe file comes out byte for byte as it went in.
 * Pieces may split the text anywhere.
 */
export class CsvNeutraliser {
  #state: State = "start";
  #pending = "";

  push(text: string): string {
    let out = "";
    let copyFrom = 0;
    let at = 0;
    /** Ends the run of characters copied unchanged at `at` (exclusive). */
    const flush = () => {
      out += text.slice(copyFrom, at);
    };
    for (; at < text.length; at += 1) {
      const char = text.charAt(at);
      switch (this.#state) {
        case "start":
          flush();
          if (char === " ") {
            this.#pending += char;
          } else if (char === '"') {
            // Spaces before the opening quote are kept as they are.
            out += this.#pending;
            this.#pending = char;
            this.#state = "quotedStart";
          } else {
            if (TRIGGERS.has(char) && char !== "\r") {
              out += `"'${this.#pending}${char}`;
              this.#state = "wrapped";
            } else {
              out += this.#pending + char;
              // A comma or line end: the (blank) field ended; another field starts.
              this.#state = char === "," || char === "\n" || char === "\r" ? "start" : "plain";
            }
            this.#pending = "";
          }
          copyFrom = at + 1;
          break;
        case "quotedStart":
          flush();
          if (char === " ") {
            this.#pending += char;
          } else {
            // The opening quote and the spaces after it, with the single-quote prefix when the first character
            // triggers.
            out += TRIGGERS.has(char) ? `"'${this.#pending.slice(1)}` : this.#pending;
            out += char;
            this.#pending = "";
            this.#state = char === '"' ? "quotedQuote" : "quoted";
          }
          copyFrom = at + 1;
          break;
        case "quoted":
          if (char === '"') this.#state = "quotedQuote";
          break;
        case "quotedQuote":
          if (char === '"') this.#state = "quoted";
          else if (char === "," || char === "\n" || char === "\r") this.#state = "start";
          else this.#state = "plain";
          break;
        case "plain":
          if (char === "," || char === "\n" || char === "\r") this.#state = "start";
          break;
        case "wrapped":
          if (char === '"') {
            flush();
            out += '""';
            copyFrom = at + 1;
          } else if (char === "," || char === "\n" || char === "\r") {
            flush();
            out += `"${char}`;
            copyFrom = at + 1;
            this.#state = "start";
          }
          break;
      }
    }
    flush();
    return out;
  }

  /** What is still held at the end of the text: spaces, an unterminated quoted field's start, a closing quote. */
  end(): string {
    const out = this.#state === "wrapped" ? '"' : this.#pending;
    this.#state = "start";
    this.#pending = "";
    return out;
  }
}
