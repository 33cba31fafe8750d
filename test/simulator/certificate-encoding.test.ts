import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_IDS, type Simulator, SimulatorOptionError, startSimulator } from "../../simulator/index.js";
import { api, issueBody, makeCsr, uniqueHost } from "./helpers.js";

// certificateEncoding: TLM certificate details (and search items) carry `certificate` as PEM (the tutorial) or as
// bare base64 DER (the published spec's example). Answers documented as PEM stay PEM.

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function der(pem: string): string {
  return Buffer.from(new x509.X509Certificate(pem).rawData).toString("base64");
}

describe.each(["pem", "base64"] as const)("certificateEncoding %s", (encoding) => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seedCertificates: 5, certificateEncoding: encoding });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("serves details and search items in that form, the issue answer and the chain as PEM", async () => {
    const issued = await api(sim, "/mpki/api/v1/certificate", {
      body: issueBody(PROFILE_IDS.webServer, await makeCsr(), uniqueHost("encoding")),
    });
    expect(issued.status).toBe(201);
    const pem = issued.json.certificate as string;
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const serial = issued.json.serial_number as string;
    const details = (await api(sim, `/mpki/api/v1/certificate/${serial}`)).json.certificate as string;
    const item = (await api(sim, `/mpki/api/v1/certificate-search?serial_number=${serial}`)).json.items[0]
      .certificate as string;
    for (const text of [details, item]) {
      if (encoding === "base64") {
        expect(text).toMatch(BASE64);
        expect(text).toBe(der(pem));
      } else {
        expect(text).toBe(pem);
      }
    }
    const chain = (await api(sim, `/mpki/api/v1/certificate/${serial}/additional-formats`)).json
      .x509_cert_chain;
    expect(chain[0].cert_blob).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });
});

it("refuses an unknown certificateEncoding, naming the option", async () => {
  const error = await startSimulator({ certificateEncoding: "der" as never }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SimulatorOptionError);
  expect((error as SimulatorOptionError).option).toBe("certificateEncoding");
});

describe("npm run simulator", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  it("refuses a bad SIMULATOR_CERTIFICATE_ENCODING, naming the variable", async () => {
    child = spawn(process.execPath, ["--import", "tsx", "simulator/main.ts"], {
      env: {
        ...process.env,
        SIMULATOR_LOG_LEVEL: "silent",
        SIMULATOR_DATA_DIR: "",
        SIMULATOR_PORT: "0",
        SIMULATOR_CERTIFICATE_ENCODING: "der",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(stderr).toContain("SIMULATOR_CERTIFICATE_ENCODING must be pem or base64");
  });
});
