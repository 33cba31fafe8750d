// The layer rule in eslint.config.js and the cycle check in package.json, proved on code that is never written to
// disk: lintText with a filePath inside the real folders applies that folder's config. The rule resolves each
// import to a file and skips one it cannot find, so every relative import here must point at a file that exists.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { ESLint, type Linter } from "eslint";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const eslint = new ESLint({ cwd: root });
const RULE = "import-x/no-restricted-paths";

/** Everything ESLint says about `code` as if it were the file `file` (relative to the repo root). */
async function lint(file: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result!.messages;
}

/** The layer-rule reports for one import statement written in `file`. */
async function restricted(file: string, code: string): Promise<Linter.LintMessage[]> {
  // A missing target would be skipped, and an "is refused" or "is allowed" case would prove nothing.
  for (const [, specifier] of code.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
    const target = join(root, dirname(file), specifier!.replace(/\.js$/, ".ts"));
    expect(existsSync(target), `${relative(root, target)} (imported from ${file}) must exist`).toBe(true);
  }
  return (await lint(file, code)).filter((message) => message.ruleId === RULE);
}

const valueImport = (specifier: string) => `import { x } from "${specifier}";\nexport const y = x;\n`;
const typeImport = (specifier: string) => `import type { X } from "${specifier}";\nexport type Y = X;\n`;

describe("the layer rule (import-x/no-restricted-paths)", () => {
  it("reports a model file importing the datasources, with the rule id and the direction", async () => {
    const [report, ...more] = await restricted(
      "src/model/tlm/__fixture__.ts",
      valueImport("../../datasources/errors.js"),
    );
    expect(more).toEqual([]);
    expect(report?.ruleId).toBe(RULE);
    expect(report?.message).toContain("schema -> resolvers -> loaders -> datasources -> model");
    expect(await restricted("src/model/__fixture__.ts", valueImport("../datasources/http.js"))).toHaveLength(
      1,
    );
  });

  it("lets a model file import its own folder, the shared model readers and npm packages", async () => {
    expect(await restricted("src/model/tlm/__fixture__.ts", valueImport("./wire.js"))).toEqual([]);
    expect(await restricted("src/model/tlm/__fixture__.ts", valueImport("../read.js"))).toEqual([]);
    expect(await restricted("src/model/iot/__fixture__.ts", valueImport("../tlm/certificate.js"))).toEqual(
      [],
    );
    expect(await restricted("src/model/__fixture__.ts", valueImport("./errors.js"))).toEqual([]);
    expect(await restricted("src/model/__fixture__.ts", valueImport("@peculiar/x509"))).toEqual([]);
  });

  it("reports a schema file importing a model wire file", async () => {
    const [report] = await restricted("src/schema/__fixture__.ts", valueImport("../model/tlm/wire.js"));
    expect(report?.ruleId).toBe(RULE);
    expect(report?.message).toContain("wire JSON");
  });

  it("does not report a schema file importing src/model/tlm/certificate.ts", async () => {
    expect(await restricted("src/schema/__fixture__.ts", valueImport("../model/tlm/certificate.js"))).toEqual(
      [],
    );
  });

  it("reports type-only imports and re-exports that break the rule, just like value imports", async () => {
    expect(await restricted("src/schema/__fixture__.ts", typeImport("../model/tlm/wire.js"))).toHaveLength(1);
    expect(
      await restricted("src/model/tlm/__fixture__.ts", typeImport("../../datasources/http.js")),
    ).toHaveLength(1);
    const inline = `import { type X } from "../model/iot/wire.js";\nexport type Y = X;\n`;
    expect(await restricted("src/resolvers/__fixture__.ts", inline)).toHaveLength(1);
    const reexport = `export type { X } from "../datasources/tlm/client.js";\n`;
    expect(await restricted("src/schema/__fixture__.ts", reexport)).toHaveLength(1);
  });

  it("refuses an inline import() type too (consistent-type-imports)", async () => {
    const code = `export type Y = import("../../datasources/http.js").UpstreamClient;\n`;
    const rules = (await lint("src/model/tlm/__fixture__.ts", code)).map((message) => message.ruleId);
    expect(rules).toContain("@typescript-eslint/consistent-type-imports");
  });

  it("reports src/ importing simulator/, at any depth", async () => {
    expect(await restricted("src/app.ts", valueImport("../simulator/index.js"))).toHaveLength(1);
    expect(
      await restricted("src/resolvers/__fixture__.ts", valueImport("../../simulator/state.js")),
    ).toHaveLength(1);
    expect(
      await restricted("src/model/tlm/__fixture__.ts", typeImport("../../../simulator/state.js")),
    ).not.toEqual([]);
  });

  it("reports simulator/ importing src/, at any depth", async () => {
    expect(await restricted("simulator/server.ts", valueImport("../src/logger.js"))).toHaveLength(1);
    expect(
      await restricted("simulator/iot/__fixture__.ts", typeImport("../../src/model/iot/wire.js")),
    ).toHaveLength(1);
  });

  it("lets src/main.ts import the simulator it starts", async () => {
    expect(await restricted("src/main.ts", valueImport("../simulator/index.js"))).toEqual([]);
  });

  it("lets the simulator import its own folders", async () => {
    expect(await restricted("simulator/iot/__fixture__.ts", valueImport("../state.js"))).toEqual([]);
    expect(await restricted("simulator/__fixture__.ts", valueImport("./dtm/types.js"))).toEqual([]);
  });

  const refused: [string, string][] = [
    ["src/model/__fixture__.ts", "../loaders.js"],
    ["src/model/__fixture__.ts", "../logger.js"],
    ["src/model/dtm/__fixture__.ts", "../../batch-file/csv.js"],
    ["src/model/dtm/__fixture__.ts", "../../schema/index.js"],
    ["src/batch-file/__fixture__.ts", "../datasources/parts.js"],
    ["src/batch-file/__fixture__.ts", "../context.js"],
    ["src/datasources/__fixture__.ts", "../loaders.js"],
    ["src/datasources/tlm/__fixture__.ts", "../../stores/idempotency.js"],
    ["src/datasources/iot/__fixture__.ts", "../../context.js"],
    ["src/datasources/__fixture__.ts", "../http/downloads.js"],
    ["src/stores/__fixture__.ts", "../loaders.js"],
    ["src/stores/__fixture__.ts", "../resolvers/iot.js"],
    ["src/stores/__fixture__.ts", "../schema/builder.js"],
    ["src/stores/__fixture__.ts", "../context.js"],
    ["src/stores/__fixture__.ts", "../subscriptions/job-watcher.js"],
    ["src/stores/__fixture__.ts", "../plugins/browser.js"],
    ["src/stores/__fixture__.ts", "../app.js"],
    ["src/stores/__fixture__.ts", "../main.js"],
    ["src/loaders.ts", "./resolvers/iot.js"],
    ["src/loaders.ts", "./context.js"],
    ["src/loaders.ts", "./schema/index.js"],
    ["src/loaders.ts", "./subscriptions/job-key.js"],
    ["src/loaders.ts", "./plugins/use-rate-limit.js"],
    ["src/loaders.ts", "./app.js"],
    ["src/loaders.ts", "./main.js"],
    ["src/resolvers/__fixture__.ts", "../schema/builder.js"],
    ["src/resolvers/__fixture__.ts", "../subscriptions/job-watcher.js"],
    ["src/resolvers/__fixture__.ts", "../app.js"],
    ["src/resolvers/__fixture__.ts", "../plugins/browser.js"],
    ["src/resolvers/__fixture__.ts", "../main.js"],
    ["src/resolvers/__fixture__.ts", "../model/dtm/wire.js"],
    ["src/schema/__fixture__.ts", "../datasources/tlm/client.js"],
    ["src/schema/__fixture__.ts", "../plugins/browser.js"],
    ["src/schema/__fixture__.ts", "../app.js"],
    ["src/schema/__fixture__.ts", "../main.js"],
  ];
  it.each(refused)("refuses %s importing %s", async (file, specifier) => {
    expect(await restricted(file, valueImport(specifier))).toHaveLength(1);
  });

  const allowed: [string, string][] = [
    ["src/batch-file/__fixture__.ts", "../model/batch.js"],
    ["src/batch-file/__fixture__.ts", "./csv.js"],
    ["src/datasources/tlm/__fixture__.ts", "../../model/tlm/wire.js"],
    ["src/datasources/tlm/__fixture__.ts", "../http.js"],
    ["src/datasources/__fixture__.ts", "../logger.js"],
    ["src/datasources/__fixture__.ts", "../config.js"],
    ["src/stores/__fixture__.ts", "../model/batch.js"],
    ["src/stores/__fixture__.ts", "../datasources/iot/client.js"],
    ["src/loaders.ts", "./datasources/tlm/client.js"],
    ["src/loaders.ts", "./model/tlm/certificate.js"],
    ["src/loaders.ts", "./stores/idempotency.js"],
    ["src/resolvers/__fixture__.ts", "../context.js"],
    ["src/resolvers/__fixture__.ts", "../loaders.js"],
    ["src/resolvers/__fixture__.ts", "../stores/idempotency.js"],
    ["src/resolvers/__fixture__.ts", "../datasources/errors.js"],
    ["src/resolvers/__fixture__.ts", "../batch-file/check.js"],
    ["src/resolvers/__fixture__.ts", "../auth/viewer.js"],
    ["src/resolvers/__fixture__.ts", "../model/iot/certificate.js"],
    ["src/schema/__fixture__.ts", "../resolvers/iot.js"],
    ["src/schema/__fixture__.ts", "../context.js"],
    ["src/context.ts", "./resolvers/iot.js"],
    ["src/app.ts", "./schema/index.js"],
  ];
  it.each(allowed)("lets %s import %s", async (file, specifier) => {
    expect(await restricted(file, valueImport(specifier))).toEqual([]);
  });

  it("refuses a roundabout path by where it lands, not by how it is written", async () => {
    const [report] = await restricted(
      "src/schema/__fixture__.ts",
      valueImport("../model/../datasources/http.js"),
    );
    expect(report?.message).toContain("src/schema never imports src/datasources");
  });

  it("leaves test/, bench/ and scripts/ unrestricted", async () => {
    expect(await restricted("test/unit/__fixture__.ts", valueImport("../../src/model/tlm/wire.js"))).toEqual(
      [],
    );
    expect(await restricted("bench/__fixture__.ts", valueImport("../simulator/index.js"))).toEqual([]);
    expect(await restricted("scripts/__fixture__.ts", valueImport("../src/datasources/http.js"))).toEqual([]);
  });
});

describe("npm run check:cycles (dpdm)", () => {
  const scripts = (
    JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts;
  const script = scripts["check:cycles"]!;

  it("runs as part of npm run lint and counts type imports (no -T / --transform)", () => {
    expect(scripts.lint).toContain("npm run check:cycles");
    expect(script).toMatch(/^dpdm /);
    expect(script).not.toMatch(/(?:^|\s)(?:-T|--transform)(?:\s|$)/);
  });

  it("fails on a circle of type-only imports between two fixture files", () => {
    // The script's own flags, with the fixture files in place of the src/ and simulator/ globs.
    const flags = script
      .split(/\s+/)
      .slice(1)
      .filter((word) => !word.startsWith('"'));
    const run = spawnSync(join(root, "node_modules/.bin/dpdm"), [...flags, "test/fixtures/cycles/*.ts"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("test/fixtures/cycles/b.ts -> test/fixtures/cycles/a.ts");
  });
});
