/**
 * The client's CSV module (clients/typescript/src/csv.ts): output cells neutralised against formula injection, the
 * RFC 4180 reader, and the batch CSV pre-flight, which must refuse what the gateway's own checker (src/batch-file)
 * refuses, at the same rows and columns.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type BatchCsvTemplate,
  checkBatchCsv,
  csvCell,
  CsvSyntaxError,
  parseCsv,
  toCsv,
} from "../../clients/typescript/src/csv.js";
import { BATCH_FILE_LIMITS, checkBatchFile } from "../../src/batch-file/check.js";
import { InvalidBatchFileError } from "../../src/model/errors.js";
import { generateCsr, tamperedCsr } from "../helpers/pki.js";

describe("csvCell", () => {
  it.each(["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "  =cmd"])(
    "puts a leading quote before %j, which a spreadsheet would run as a formula, and quotes the cell",
    (value) => {
      const cell = csvCell(value);
      expect(cell.startsWith(`"'`)).toBe(true);
      expect(parseCsv(`${cell}\n`)[0]!.cells[0]).toBe(`'${value}`);
    },
  );

  it("leaves other values alone and quotes only those holding a comma, quote or line break", () => {
    expect(csvCell("host.example.com")).toBe("host.example.com");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(null)).toBe("");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
  });

  it("writes rows with CRLF line ends that read back to the same cells", () => {
    const rows = [
      ["a", "b,c", 'q"uote'],
      ["=x", "", "line\nbreak"],
    ];
    const text = toCsv(rows);
    expect(text.endsWith("\r\n")).toBe(true);
    expect(parseCsv(text).map((record) => record.cells)).toEqual([
      ["a", "b,c", 'q"uote'],
      ["'=x", "", "line\nbreak"],
    ]);
  });
});

describe("parseCsv", () => {
  it("reads quoted cells with doubled quotes and line breaks, drops a BOM and skips blank lines", () => {
    const records = parseCsv('\uFEFFname, value \r\n\r\n"a ""b""","x\ny"\n\nlast,1');
    expect(records).toEqual([
      { cells: ["name", "value"], line: 1 },
      { cells: ['a "b"', "x\ny"], line: 3 },
      { cells: ["last", "1"], line: 6 },
    ]);
  });

  it("refuses an unclosed quote and text after a closing quote, naming the line", () => {
    expect(() => parseCsv('a,b\n"open,1\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,b\n"open,1\n')).toThrow(/never closed \(line 2\)/);
    expect(() => parseCsv('a,b\n"x"y,1\n')).toThrow(/closing quote \(line 2\)/);
    expect(() => parseCsv('a,b\nx"y,1\n')).toThrow(/inside an unquoted cell/);
  });
});

/** The simulator's client-side bootstrap policy: device_name and subject.common_name required, SANs repeatable. */
const TEMPLATE: BatchCsvTemplate = {
  serverSideKeyGeneration: false,
  columns: [
    { name: "device_name", required: true, multiple: false, clientSideOnly: false },
    { name: "subject.common_name", required: true, multiple: false, clientSideOnly: false },
    { name: "san.dns_name", required: false, multiple: true, clientSideOnly: false },
    { name: "csr", required: true, multiple: false, clientSideOnly: true },
  ],
};

/** Where the gateway's checker (the rules the resolver builds from the same template) puts each problem. */
async function gatewayProblems(text: string, template: BatchCsvTemplate): Promise<string[]> {
  const serverSide = template.serverSideKeyGeneration;
  const columns = template.columns.filter((c) => !(serverSide && c.clientSideOnly));
  try {
    await checkBatchFile(new Blob([text]), {
      ...BATCH_FILE_LIMITS,
      requiredColumns: columns.filter((c) => c.required).map((c) => c.name),
      knownColumns: columns.map((c) => c.name),
      multipleColumns: new Set(template.columns.filter((c) => c.multiple).map((c) => c.name)),
      serverSideKeyGeneration: serverSide,
    });
    return [];
  } catch (error) {
    if (!(error instanceof InvalidBatchFileError)) throw error;
    return error.problems.map((p) => `${p.row ?? "-"}:${p.column ?? "-"}`);
  }
}

function clientProblems(text: string, template: BatchCsvTemplate): string[] {
  return checkBatchCsv(text, template).map((p) => `${p.row ?? "-"}:${p.column ?? "-"}`);
}

const cell = (value: string) => `"${value.replaceAll('"', '""')}"`;

describe("checkBatchCsv", () => {
  let csr: string;
  beforeAll(async () => {
    csr = (await generateCsr({ subject: "CN=dev.example.com" })).pem;
  });

  const cases: [string, (csr: string) => string, BatchCsvTemplate?][] = [
    ["a good file", (c) => `device_name,subject.common_name,csr\r\ndev-1,dev-1.example.com,${cell(c)}\r\n`],
    [
      "a good file with repeated SAN columns",
      (c) =>
        `device_name,subject.common_name,san.dns_name,san.dns_name,csr\ndev,dev.example.com,a.example.com,b.example.com,${cell(c)}\n`,
    ],
    ["a header without a required column", (c) => `device_name,csr\ndev,${cell(c)}\n`],
    ["a header without the csr column", () => `device_name,subject.common_name\ndev,dev.example.com\n`],
    [
      "an unknown column",
      (c) => `device_name,subject.common_name,colour,csr\ndev,dev.example.com,red,${cell(c)}\n`,
    ],
    [
      "a repeated single-valued column",
      (c) => `device_name,device_name,subject.common_name,csr\na,b,dev.example.com,${cell(c)}\n`,
    ],
    ["an empty header cell", (c) => `device_name,,subject.common_name,csr\na,,dev.example.com,${cell(c)}\n`],
    [
      "a formula in the header",
      (c) => `=device_name,subject.common_name,csr\na,dev.example.com,${cell(c)}\n`,
    ],
    [
      "an empty required cell",
      (c) => `device_name,subject.common_name,csr\n,dev.example.com,${cell(c)}\ndev-2,,${cell(c)}\n`,
    ],
    ["an empty csr cell", () => `device_name,subject.common_name,csr\ndev,dev.example.com,\n`],
    ["a row of the wrong width", (c) => `device_name,subject.common_name,csr\ndev,${cell(c)}\n`],
    [
      "formulas in data cells",
      (c) =>
        `device_name,subject.common_name,csr\n@dev,+dev.example.com,${cell(c)}\n  -dev,dev.example.com,${cell(c)}\n`,
    ],
    ["a csr that is not a CSR", () => `device_name,subject.common_name,csr\ndev,dev.example.com,not a csr\n`],
    [
      "a csr cell with literal \\n line breaks",
      (c) => `device_name,subject.common_name,csr\ndev,dev.example.com,${c.trim().replaceAll("\n", "\\n")}\n`,
    ],
    ["a header and no rows", () => `device_name,subject.common_name,csr\n`],
    ["nothing but a header of blanks", () => ` , \n`],
    [
      "a csr column with server-side keys",
      (c) => `device_name,subject.common_name,csr\ndev,dev.example.com,${cell(c)}\n`,
      { ...TEMPLATE, serverSideKeyGeneration: true },
    ],
    [
      "a good server-side file",
      () => `device_name,subject.common_name\ndev,dev.example.com\n`,
      { ...TEMPLATE, serverSideKeyGeneration: true },
    ],
  ];

  it.each(cases)(
    "finds the problems the gateway finds, at the same rows and columns, in %s",
    async (_name, build, template = TEMPLATE) => {
      const text = build(csr);
      expect(clientProblems(text, template)).toEqual(await gatewayProblems(text, template));
    },
  );

  it("finds problems in a bad file and none in a good one (the comparison above is not vacuous)", () => {
    expect(clientProblems(cases[0]![1](csr), TEMPLATE)).toEqual([]);
    expect(clientProblems(cases[2]![1](csr), TEMPLATE)).toEqual(["-:subject.common_name"]);
    expect(clientProblems(cases[11]![1](csr), TEMPLATE)).toEqual([
      "1:device_name",
      "1:subject.common_name",
      "2:device_name",
    ]);
  });

  it("leaves the CSR's signature to the gateway: a tampered CSR passes here and is refused there", async () => {
    const text = `device_name,subject.common_name,csr\ndev,dev.example.com,${cell(await tamperedCsr())}\n`;
    expect(clientProblems(text, TEMPLATE)).toEqual([]);
    expect(await gatewayProblems(text, TEMPLATE)).toEqual(["1:csr"]);
  });

  it("stops at maxProblems and never repeats a cell's value in a message", () => {
    const rows = Array.from({ length: 30 }, (_, i) => `=secret-${i},x,y`).join("\n");
    const problems = checkBatchCsv(`device_name,subject.common_name,csr\n${rows}\n`, TEMPLATE, 5);
    expect(problems).toHaveLength(5);
    for (const problem of problems) expect(problem.message).not.toMatch(/secret/);
  });
});
