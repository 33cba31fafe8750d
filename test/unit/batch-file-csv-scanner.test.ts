import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { CsvScanner, HANDOVER, MAX_FAST_RECORD_BYTES } from "../../src/batch-file/csv-scanner.js";

// The scanner must read every input exactly as csv-parse does with the checker's options: the same records, cell for
// cell, and at csv-parse's errors the same error, line and record count once csv-parse has read on from the handover.
// csv-parse itself is the reference here: every expectation is what it says about the same bytes.

const OPTIONS = { trim: true, skip_empty_lines: true, relax_column_count: true, max_record_size: 64 * 1024 };

interface Outcome {
  records: string[][];
  error: { code: string; lines: number; records: number } | null;
}

function errorOf(error: unknown, lines = 0, records = 0): Outcome["error"] {
  const { code, lines: at, records: read } = error as { code: string; lines: number; records: number };
  return { code, lines: lines + at, records: records + read };
}

/** csv-parse on the whole input at once. */
function reference(input: Buffer): Outcome {
  const records: string[][] = [];
  try {
    parse(input, { ...OPTIONS, bom: true, on_record: (record: string[]) => (records.push(record), record) });
    return { records, error: null };
  } catch (error) {
    return { records, error: errorOf(error) };
  }
}

/** The scanner on `input` pushed in pieces cut at `cuts`, and csv-parse from its handover, as csv.ts runs them. */
function scanned(input: Buffer, cuts: readonly number[]): Outcome & { handedOver: boolean } {
  const scanner = new CsvScanner();
  const records: string[][] = [];
  let at = 0;
  let handedOver = false;
  const drain = () => {
    for (;;) {
      const record = scanner.next();
      if (record === null) return;
      if (record === HANDOVER) {
        handedOver = true;
        return;
      }
      records.push(record.texts());
    }
  };
  for (const cut of [...cuts, input.length]) {
    scanner.push(input.subarray(at, cut));
    at = cut;
    drain();
    if (handedOver) break;
  }
  if (!handedOver) {
    scanner.end();
    drain();
  }
  if (!handedOver) return { records, error: null, handedOver };
  const rest = Buffer.concat([scanner.rest(), input.subarray(at)]);
  const delimiter = scanner.delimiter;
  try {
    parse(rest, {
      ...OPTIONS,
      bom: scanner.bomInRest,
      ...(delimiter === undefined ? {} : { record_delimiter: delimiter }),
      on_record: (record: string[]) => (records.push(record), record),
    });
    return { records, error: null, handedOver };
  } catch (error) {
    return { records, error: errorOf(error, scanner.lines, scanner.records), handedOver };
  }
}

/** A small deterministic generator (the same cases on every run). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

function cutsFor(length: number, next: () => number): number[] {
  const cuts: number[] = [];
  const step = next() < 0.5 ? 1 + Math.floor(next() * 8) : 1 + Math.floor(next() * 4000);
  for (let at = step; at < length; at += step) cuts.push(at);
  return cuts;
}

function expectSame(input: Buffer, cuts: readonly number[]): boolean {
  const { handedOver, ...outcome } = scanned(input, cuts);
  expect(outcome, JSON.stringify(input.toString("latin1"))).toEqual(reference(input));
  return handedOver;
}

describe("the CSV scanner", () => {
  it("reads random bytes from a CSV's alphabet exactly as csv-parse, in any pieces", () => {
    const alphabet = [...'ab, ,,\t""\r\n\n\f=-é\u00a0\u000b\u0000\u2028', "xyz", "\r\n"];
    const next = random(7);
    let handovers = 0;
    for (let index = 0; index < 2500; index++) {
      let text = next() < 0.05 ? "\ufeff" : "";
      const length = Math.floor(next() * 40);
      for (let at = 0; at < length; at++) text += alphabet[Math.floor(next() * alphabet.length)];
      let input = Buffer.from(text);
      if (next() < 0.02) input = Buffer.concat([Buffer.from([0xff, 0xfe]), input]);
      if (expectSame(input, cutsFor(input.length, next))) handovers += 1;
    }
    // Both paths were taken: the scanner's own, and csv-parse's after a handover.
    expect(handovers).toBeGreaterThan(100);
    expect(handovers).toBeLessThan(2500);
  });

  it("reads well-formed CSV with quoted cells, doubled quotes, line breaks in cells and any line end, as csv-parse", () => {
    const next = random(11);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const words = [
      "a",
      "bc",
      "device-1",
      "x y",
      "é",
      "\u00a0",
      "=",
      "-",
      "+1",
      "@",
      "\t",
      " ",
      "\u000b",
      "日本",
    ];
    const cell = () => {
      const pad = () => (next() < 0.2 ? pick([" ", "  ", "\t", " \f"]) : "");
      const count = Math.floor(next() * 5);
      let text = "";
      if (next() < 0.5) {
        for (let at = 0; at < count; at++) text += pick(words);
        return pad() + text + pad();
      }
      for (let at = 0; at < count; at++) text += pick([...words, '""', "\n", "\r\n", ",", "\r"]);
      return `${pad()}"${text}"${pad()}`;
    };
    let scannedWhole = 0;
    for (let index = 0; index < 1500; index++) {
      const end = pick(["\n", "\r\n", "\r", "mixed"]);
      let text = next() < 0.1 ? "\ufeff" : "";
      const rows = Math.floor(next() * 12);
      for (let row = 0; row < rows; row++) {
        text += Array.from({ length: Math.floor(next() * 5) }, cell).join(",");
        if (row < rows - 1 || next() < 0.7) text += end === "mixed" ? pick(["\n", "\r\n"]) : end;
        if (next() < 0.05) text += pick(["\n", "  \n", "\r\n", "\t\r\n"]);
      }
      const input = Buffer.from(text);
      if (!expectSame(input, cutsFor(input.length, next))) scannedWhole += 1;
    }
    // Most files never need csv-parse (a "mixed" file whose first line end is CRLF holds LFs inside its cells, and a
    // quote in one of those is csv-parse's to refuse).
    expect(scannedWhole).toBeGreaterThan(1200);
  });

  it("gives the same cells as csv-parse for text, formula triggers and blank cells", () => {
    const input = Buffer.from(' =1 ,"  +2", "\t@x" ,\u00a0, "", \u000b ,-3,"a""b",\u3000\r\n', "utf8");
    const scanner = new CsvScanner();
    scanner.push(input);
    scanner.end();
    const record = scanner.next();
    if (record === null || record === HANDOVER) throw new Error("no record");
    const [expected] = reference(input).records;
    expect(record.texts()).toEqual(expected);
    const trigger = (text: string) => /^ *([=+\-@\t\r])/.exec(text)?.[1] ?? null;
    for (let index = 0; index < record.length; index++) {
      expect(record.trigger(index), `cell ${index}`).toBe(trigger(expected![index]!));
      expect(record.blank(index), `cell ${index}`).toBe(expected![index]!.trim() === "");
    }
  });

  it("leaves a record longer than its limit to csv-parse, which refuses one over 64 KiB by its own count", () => {
    const long = "x".repeat(MAX_FAST_RECORD_BYTES + 10);
    const tooLong = "y".repeat(64 * 1024 + 1);
    for (const text of [
      `a,b\n${long},c\nd,e\n`,
      `a,b\n"${long}",c\nd,e\n`,
      `a,b\r\nok,1\r\n${tooLong}\r\nd,e\r\n`,
    ]) {
      const input = Buffer.from(text);
      expect(expectSame(input, cutsFor(input.length, random(3)))).toBe(true);
    }
  });

  it("counts lines and records before a handover so that csv-parse's error names the file's own line", () => {
    const input = Buffer.from('h1,h2\r\n\r\n"multi\r\nline",x\r\nok,1\r\nbad"quote,2\r\n');
    const { error } = scanned(input, [5, 17]);
    expect(error).toEqual(reference(input).error);
    expect(error).toMatchObject({ code: "INVALID_OPENING_QUOTE", records: 3 });
  });
});
