import * as x509 from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import { UpstreamHttpError } from "../../src/datasources/errors.js";
import type { UpstreamRequest } from "../../src/datasources/http.js";
import { inProcess } from "../helpers/in-process.js";
import { generateCsr, selfSignedCertificate } from "../helpers/pki.js";

/*
 * IoT Trust Manager answers in the shapes real tenants and the docs show, read through the schema: list envelopes,
 * loose values, and unreadable items. One unreadable item fails only its own fields (null, with an
 * UPSTREAM_INVALID_RESPONSE error at that path), never its page, its batch download or an issued certificate.
 */

const A = "a0b778fc-d061-494d-8d47-2faadf054c21";
const B = "b1c889fd-e172-4a5e-9e58-3fbbe0165d32";
const C = "c2d99a0e-f283-4b6f-8f69-40ccf1276e43";
const JOB = "e6006353-ba03-4909-afc8-c611f00d7644";
const PROFILE = "IOT_3370856d-f466-474a-a26f-4a8b75504aed";
const UNREADABLE = "UPSTREAM_INVALID_RESPONSE";
/** A PEM block whose content is not a certificate (the docs abbreviate theirs like this). */
const NOT_A_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIID...K8FhP\n-----END CERTIFICATE-----\n";

let leafPem: string;
let leafDer: string;
let icaDer: string;
let rootDer: string;

/** Bare base64 of a PEM's DER, as IoT's batch download and TLM's spec example send certificates. */
function der(pem: string): string {
  return Buffer.from(new x509.X509Certificate(pem).rawData).toString("base64");
}

beforeAll(async () => {
  leafPem = await selfSignedCertificate("sensor-1.iot.example.com");
  leafDer = der(await selfSignedCertificate("sensor-3.iot.example.com"));
  icaDer = der(await selfSignedCertificate("ICA RSA"));
  rootDer = der(await selfSignedCertificate("RSA Root"));
});

/** Each error as [path, code], in path order (resolvers run concurrently). */
function errorsAt(
  errors: { path?: (string | number)[]; extensions?: Record<string, unknown> }[] | undefined,
): [string, unknown][] {
  return (errors ?? [])
    .map((error): [string, unknown] => [error.path?.join(".") ?? "", error.extensions?.code])
    .sort(([a], [b]) => a.localeCompare(b));
}

describe("device certificate pages", () => {
  const LIST = `{ deviceCertificates(first: 10) { totalCount edges { node {
    certificateId serialNumber validTo pem chain { commonName pem } x509 { subject { commonName } }
  } } } }`;

  /** Three readable records, one with an unreadable serial and certificate, and two with nothing to identify them. */
  function records() {
    return [
      {
        id: A,
        serial_number: "0f:6f:a1",
        body: leafPem,
        chain: null,
        valid_to: "2027-01-01 10:00:00",
      },
      {
        id: B,
        serial_number: "ab",
        body: leafDer,
        chain: [{ blob: "" }, { blob: null }, { blob: rootDer, common_name: "RSA Root" }],
        valid_to: 1_798_761_600,
      },
      { id: C, serial_number: "zz", body: NOT_A_CERTIFICATE, chain: "" },
      { serial_number: "01", body: leafPem },
      "not a record",
    ];
  }

  for (const [name, envelope, totalCount] of [
    [
      "{records} with counts as strings",
      () => ({ records: records(), total: "5", offset: "0", limit: "10" }),
      5,
    ],
    ["{items}", () => ({ items: records(), total: 5 }), 5],
    ["a bare array", () => records(), null],
  ] as const) {
    it(`reads ${name}, keeping every record it can identify and failing only the unreadable fields`, async () => {
      const gateway = inProcess((req) => {
        expect(req.operation).toBe("iot.listCertificates");
        return envelope();
      });
      const result = await gateway.run(LIST);
      expect(result.data.deviceCertificates.totalCount).toBe(totalCount);
      const nodes = result.data.deviceCertificates.edges.map((edge: any) => edge.node);
      expect(nodes.map((node: any) => node.certificateId)).toEqual([A, B, C]);
      expect(nodes[0]).toMatchObject({
        serialNumber: "0F6FA1",
        validTo: "2027-01-01T10:00:00.000Z",
        pem: leafPem.replaceAll("\r", "").trimEnd() + "\n",
        chain: [],
        x509: { subject: { commonName: "sensor-1.iot.example.com" } },
      });
      expect(nodes[1]).toMatchObject({
        serialNumber: "AB",
        validTo: "2027-01-01T00:00:00.000Z",
        pem: expect.stringMatching(/^-----BEGIN CERTIFICATE-----\n/),
        chain: [{ commonName: "RSA Root" }],
        x509: { subject: { commonName: "sensor-3.iot.example.com" } },
      });
      // A PEM block is kept as sent (the docs abbreviate theirs); that it is no certificate fails x509 alone.
      expect(nodes[2]).toEqual({
        certificateId: C,
        serialNumber: null,
        validTo: null,
        pem: NOT_A_CERTIFICATE,
        chain: [],
        x509: null,
      });
      expect(errorsAt(result.errors)).toEqual([
        ["deviceCertificates.edges.2.node.serialNumber", UNREADABLE],
        ["deviceCertificates.edges.2.node.x509", UNREADABLE],
      ]);
      // The two records left out are counted for the operator, never quoted.
      const warning = gateway.logs.map((line) => JSON.parse(line)).find((line) => line.skipped);
      expect(warning).toMatchObject({ operation: "iot.listCertificates", skipped: 2, level: 40 });
      expect(gateway.logs.join("\n")).not.toContain("not a record");
    });
  }

  it("fails only x509 when a certificate's content does not parse, nothing else of the record", async () => {
    const gateway = inProcess(() => ({ records: [{ id: A, serial_number: "0A", body: NOT_A_CERTIFICATE }] }));
    const result = await gateway.run(
      `{ deviceCertificates(first: 1) { edges { node { serialNumber pem x509 { serialNumber } } } } }`,
    );
    expect(result.data.deviceCertificates.edges[0].node).toEqual({
      serialNumber: "0A",
      pem: NOT_A_CERTIFICATE,
      x509: null,
    });
    expect(errorsAt(result.errors)).toEqual([["deviceCertificates.edges.0.node.x509", UNREADABLE]]);
  });

  it("is UPSTREAM_INVALID_RESPONSE when the body holds no list at all", async () => {
    const gateway = inProcess(() => ({ total: 3 }));
    const result = await gateway.run(`{ deviceCertificates(first: 1) { totalCount } }`);
    expect(result.data).toBeNull();
    expect(errorsAt(result.errors)).toEqual([["deviceCertificates", UNREADABLE]]);
  });

  it("reads enrollment profile pages in every envelope, a profile without a name failing only its name", async () => {
    for (const body of [
      [{ id: PROFILE, name: "P" }, { id: PROFILE.replace("3370", "4481") }, { name: "no id" }],
      { items: [{ id: PROFILE, name: "P" }, { id: PROFILE.replace("3370", "4481") }, { name: "no id" }] },
    ]) {
      const gateway = inProcess(() => body);
      const result = await gateway.run(
        `{ enrollmentProfiles(first: 10) { edges { node { profileId name status } } } }`,
      );
      expect(result.data.enrollmentProfiles.edges.map((edge: any) => edge.node)).toEqual([
        { profileId: PROFILE, name: "P", status: "UNKNOWN" },
        { profileId: PROFILE.replace("3370", "4481"), name: null, status: "UNKNOWN" },
      ]);
      expect(errorsAt(result.errors)).toEqual([["enrollmentProfiles.edges.1.node.name", UNREADABLE]]);
    }
  });
});

describe("an enrollment DigiCert answered 2xx", () => {
  const ENROLL = `mutation($input: EnrollDeviceCertificateInput!) { enrollDeviceCertificate(input: $input) {
    __typename
    ... on DeviceCertificateEnrolled {
      certificateId serialNumber requestId pem
      certificate { certificateId serialNumber }
      privateKey { __typename ... on PemPrivateKey { pem } }
    }
    ... on UpstreamOutcomeUnknownError { id }
    ... on Error { code message }
  } }`;
  const KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n";
  let csr: string;

  beforeAll(async () => {
    csr = (await generateCsr({ subject: "CN=sensor-1.iot.example.com" })).pem;
  });

  /** DigiCert with a profile that takes CSRs and server-side keys, answering the enrollment with `answer`. */
  function enrolling(answer: unknown, read: (req: UpstreamRequest) => unknown = () => undefined) {
    return inProcess((req) => {
      switch (req.operation) {
        case "iot.getEnrollmentProfile":
          return {
            id: PROFILE,
            name: "P",
            status: "ACTIVE",
            key_generation_option: "client_or_server_side",
            enrollment_methods: ["API"],
            allowed_key_types: ["p_256"],
            default_key_type: "p_256",
          };
        case "iot.getEnrollmentSpecification":
          return {
            fields: [{ id: "subject.common_name", type: "certificate_profile_attribute", required: true }],
          };
        case "iot.enrollCertificate":
          return answer;
        default:
          return read(req);
      }
    });
  }

  const input = (serverSide = false) => ({
    enrollmentProfileId: PROFILE,
    certificateAttributes: [{ id: "subject.common_name", value: "sensor-1.iot.example.com" }],
    ...(serverSide ? { serverSideKeyGeneration: { privateKeyFormat: "PEM" } } : { csr }),
  });

  it("returns the certificate when its serial and PEM cannot be read: the id stands, those fields alone fail", async () => {
    const gateway = enrolling(
      {
        certificate_id: A,
        certificate_request_id: "req-1",
        serial_number: "not hex",
        pem: "no certificate here",
      },
      () => ({ id: A, serial_number: "0A", body: leafPem }),
    );
    const result = await gateway.run(ENROLL, { input: input() });
    expect(result.data.enrollDeviceCertificate).toEqual({
      __typename: "DeviceCertificateEnrolled",
      certificateId: A,
      serialNumber: null,
      requestId: "req-1",
      pem: null,
      certificate: { certificateId: A, serialNumber: "0A" },
      privateKey: null,
    });
    expect(errorsAt(result.errors)).toEqual([
      ["enrollDeviceCertificate.pem", UNREADABLE],
      ["enrollDeviceCertificate.serialNumber", UNREADABLE],
    ]);
    expect(gateway.calls.filter((call) => call === "iot.enrollCertificate")).toHaveLength(1);
  });

  it("returns the certificate with only a request id, or only a serial (then read by its serial)", async () => {
    const byRequest = await enrolling({ certificate_request_id: "req-2", status: "PENDING" }).run(ENROLL, {
      input: input(),
    });
    expect(byRequest.data.enrollDeviceCertificate).toMatchObject({
      __typename: "DeviceCertificateEnrolled",
      certificateId: null,
      requestId: "req-2",
      certificate: null,
    });
    expect(byRequest.errors).toBeUndefined();
    const reads: string[] = [];
    const bySerial = await enrolling({ serial_number: "0f:6f", certificate_id: "not-a-uuid" }, (req) => {
      reads.push(req.path);
      return { id: B, serial_number: "0F6F", body: leafPem };
    }).run(ENROLL, { input: input() });
    expect(bySerial.data.enrollDeviceCertificate).toMatchObject({
      certificateId: null,
      serialNumber: "0F6F",
      certificate: { certificateId: B },
    });
    expect(errorsAt(bySerial.errors)).toEqual([["enrollDeviceCertificate.certificateId", UNREADABLE]]);
    expect(reads).toEqual(["/iot/api/v1/certificate/0F6F"]);
  });

  it("keeps the private key when the follow-up read of the certificate fails", async () => {
    const gateway = enrolling(
      { certificate_id: A, serial_number: "0A", pem: leafPem, private_key: KEY },
      () => {
        throw new UpstreamHttpError("iot.getCertificate", 503, [], 2);
      },
    );
    const result = await gateway.run(ENROLL, { input: input(true) });
    expect(result.data.enrollDeviceCertificate).toMatchObject({
      __typename: "DeviceCertificateEnrolled",
      certificateId: A,
      certificate: null,
      privateKey: { __typename: "PemPrivateKey", pem: KEY },
    });
    expect(errorsAt(result.errors)).toEqual([
      ["enrollDeviceCertificate.certificate", "UPSTREAM_UNAVAILABLE"],
    ]);
  });

  it("returns the certificate when the generated key is missing, failing only privateKey", async () => {
    const result = await enrolling({ certificate_id: A, serial_number: "0A", pem: leafPem }).run(ENROLL, {
      input: input(true),
    });
    expect(result.data.enrollDeviceCertificate).toMatchObject({
      __typename: "DeviceCertificateEnrolled",
      certificateId: A,
      serialNumber: "0A",
      privateKey: null,
    });
    expect(errorsAt(result.errors).filter(([path]) => !path.endsWith(".certificate"))).toEqual([
      ["enrollDeviceCertificate.privateKey", UNREADABLE],
    ]);
  });

  it("is outcome unknown, never a plain failure, when nothing identifying can be read, with any id-like value", async () => {
    for (const [answer, id] of [
      [{ status: "AUTO_APPROVED", result: "SUCCESS" }, null],
      [null, null],
      [["x"], null],
      [{ certificate_id: 7 }, "7"],
      [{ certificate_id: "cert-77", serial_number: "not hex" }, "cert-77"],
    ] as const) {
      const result = await enrolling(answer).run(ENROLL, { input: input() });
      expect(result.data.enrollDeviceCertificate).toEqual({
        __typename: "UpstreamOutcomeUnknownError",
        code: "UPSTREAM_OUTCOME_UNKNOWN",
        message: "The request may or may not have reached DigiCert ONE; check before trying again.",
        id,
      });
    }
  });
});

describe("a JSON batch download", () => {
  const JOB_GLOBAL_ID = Buffer.from(`IotBatchJob:${JOB}`).toString("base64");
  const QUERY = `query($id: ID!) { batchJob(id: $id) { ... on IotBatchJob {
    certificates { certificateId uniqueIdentifier pem x509 { subject { commonName } } }
    chain { commonName x509 { subject { commonName } } }
  } } }`;

  function downloading(download: unknown) {
    return inProcess((req) => {
      if (req.operation === "iot.getBatchJob") {
        return { job_id: JOB, status: "COMPLETE", certificate_format: "json", total: "3", success: "3" };
      }
      if (req.operation === "iot.downloadBatchCertificates") return download;
      throw new Error(`unexpected ${req.operation}`);
    });
  }

  it("keeps the other certificates and chain entries when one certificate and one chain entry cannot be read", async () => {
    const gateway = downloading({
      chain: [
        { cert_type: "intermediate", blob: icaDer, common_name: "ICA RSA" },
        { cert_type: "intermediate", blob: "" },
        { cert_type: "intermediate", blob: "MIIDxDC...fL+7bk=", common_name: "Abbreviated" },
        { cert_type: "root", blob: rootDer, common_name: "RSA Root" },
      ],
      certificates: [
        { id: A, unique_identifier: "Line #0000001", body: leafPem },
        { id: "not-a-uuid", unique_identifier: "Line #0000002", body: NOT_A_CERTIFICATE },
        { id: C, unique_identifier: 3, body: leafDer },
        null,
      ],
    });
    const result = await gateway.run(QUERY, { id: JOB_GLOBAL_ID });
    const { certificates, chain } = result.data.batchJob;
    expect(certificates).toEqual([
      {
        certificateId: A,
        uniqueIdentifier: "Line #0000001",
        pem: expect.any(String),
        x509: { subject: { commonName: "sensor-1.iot.example.com" } },
      },
      { certificateId: null, uniqueIdentifier: "Line #0000002", pem: NOT_A_CERTIFICATE, x509: null },
      {
        certificateId: C,
        uniqueIdentifier: "3",
        pem: expect.any(String),
        x509: { subject: { commonName: "sensor-3.iot.example.com" } },
      },
    ]);
    expect(chain).toEqual([
      { commonName: "ICA RSA", x509: { subject: { commonName: "ICA RSA" } } },
      { commonName: "Abbreviated", x509: null },
      { commonName: "RSA Root", x509: { subject: { commonName: "RSA Root" } } },
    ]);
    expect(errorsAt(result.errors)).toEqual([
      ["batchJob.certificates.1.certificateId", UNREADABLE],
      ["batchJob.certificates.1.x509", UNREADABLE],
      ["batchJob.chain.1.x509", UNREADABLE],
    ]);
    // One download serves both fields.
    expect(gateway.calls.filter((call) => call === "iot.downloadBatchCertificates")).toHaveLength(1);
  });

  it("reads a download without a job id or chain as the job asked for", async () => {
    const result = await downloading({
      certificates: [{ id: A, unique_identifier: "Line #0000001", body: leafPem }],
    }).run(QUERY, { id: JOB_GLOBAL_ID });
    expect(result.errors).toBeUndefined();
    expect(result.data.batchJob.chain).toEqual([]);
    expect(result.data.batchJob.certificates).toHaveLength(1);
  });
});
