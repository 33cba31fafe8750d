import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toWireDtmBatch } from "../../src/model/dtm/batch-input.js";
import { toCreatedDtmBatchJobId, toDtmBatchJob } from "../../src/model/dtm/batch-job.js";
import { DTM_JOB_STATUSES } from "../../src/model/dtm/enums.js";
import {
  parseDtmBatchJobId,
  parseDtmCertificatePolicyId,
  parseDtmDeviceGroupId,
} from "../../src/model/dtm/ids.js";
import { ValidationError } from "../../src/model/errors.js";
import { toBatchDownload } from "../../src/model/iot/batch-job.js";
import { toDeviceEnrollmentOutcome } from "../../src/model/iot/enrollment.js";
import { toWireIotEnrollment } from "../../src/model/iot/enrollment-input.js";
import type { IotProfileId } from "../../src/model/iot/ids.js";
import type { WireBatchDownload } from "../../src/model/iot/wire.js";
import { DOC_FILE, DOCUMENTED_DOWNLOAD } from "../helpers/iot-docs.js";
import { rsaCertificate, selfSignedCertificate } from "../helpers/pki.js";

/*
 * Every documented example of the IoT Trust Manager and Device Trust Manager pages in shared/digicert-docs, copied
 * verbatim (test/fixtures/digicert-docs/{iot,dtm}-*.json, and the download example in test/helpers/iot-docs.ts) and
 * mapped through the model: each string is first checked to appear in its page word for word.
 */

const DOCS = "/work/shared/digicert-docs";
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/digicert-docs/${name}`, import.meta.url), "utf8"));
const DTM = fixture("dtm-batch-registration.json");
const IOT_KEYGEN = fixture("iot-server-side-keygen.json");
const DTM_PAGE = `${DOCS}/device-trust-manager-batch-registration.txt`;
const KEYGEN_PAGE = `${DOCS}/iot-trust-manager-server-side-keygen.txt`;
const PROFILE = "IOT_3370856d-f466-474a-a26f-4a8b75504aed" as IotProfileId;

/** The page's text with no-break spaces as spaces (the download page indents with them). */
function page(path: string): string {
  return readFileSync(path, "utf8").replaceAll("\u00a0", " ");
}

/** A documented curl form as the `--form 'name="value"'` arguments it was copied from. */
function curlForm(form: Record<string, string>): string[] {
  return Object.entries(form).map(([name, value]) =>
    name === "data" ? `--form 'data=${value}'` : `--form '${name}="${value}"'`,
  );
}

describe("Device Trust Manager: batch registration", () => {
  it.skipIf(!existsSync(DTM_PAGE))("copies every example verbatim from the page", () => {
    const text = page(DTM_PAGE);
    expect(text).toContain(`curl --location '${DTM.createJob.url}'`);
    for (const form of [DTM.createJob.clientSideForm, DTM.createJob.serverSideForm]) {
      expect(text).toContain(curlForm(form).join(" \\ "));
    }
    expect(text).toContain(`curl '${DTM.getJob.url}'`);
    for (const status of DTM.getJob.statuses) expect(text).toContain(`${status}\n`);
    for (const word of [...DTM.createJob.answer, ...DTM.report.readyStatuses]) expect(text).toContain(word);
  });

  it("builds the documented form's fields, with the documented values, from the same choices", async () => {
    const documented = DTM.createJob.clientSideForm as Record<string, string>;
    const fields = await toWireDtmBatch({
      name: documented.name!,
      deviceGroupId: parseDtmDeviceGroupId("c8df5a31-2a04-4433-a3bd-1b0437948fb5"),
      certificatePolicyId: parseDtmCertificatePolicyId("IOT_4ee527fa-bebc-4557-aacb-9b5eed984dd4"),
      keyType: "RSA_2048",
      passcode: documented.passcode!,
      emails: [documented.emails!],
      externalEmails: [documented.external_emails!],
      passcodeGenerationOption: true,
    });
    // job_type is in the documented URL's query (and the page's parameter table); `data` is the file part.
    const { job_type, ...rest } = fields;
    expect(`job_type=${job_type}`).toBe(new URL(DTM.createJob.url).search.slice(1));
    expect(Object.keys(rest).sort()).toEqual(
      Object.keys(documented)
        .filter((name) => name !== "data")
        .sort(),
    );
    for (const name of ["name", "server_side_key_gen", "key_type", "passcode", "emails", "external_emails"]) {
      expect([name, rest[name as keyof typeof rest]]).toEqual([name, documented[name]]);
    }
    expect(rest.passcode_generation_option).toBe(documented.passcode_generation_option);
  });

  it("builds the server-side form, and refuses the page's placeholders before anything is sent", async () => {
    const documented = DTM.createJob.serverSideForm as Record<string, string>;
    const fields = await toWireDtmBatch({
      name: documented.name!,
      deviceGroupId: parseDtmDeviceGroupId("c8df5a31-2a04-4433-a3bd-1b0437948fb5"),
      serverSideKeyGeneration: { encryptionCertificate: await rsaCertificate(), keyType: "RSA_2048" },
    });
    expect(fields).toMatchObject({ server_side_key_gen: "true", key_type: documented.key_type });
    expect(fields.encryption_certificate).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(() => parseDtmDeviceGroupId(documented.device_group_id!)).toThrow(ValidationError);
    expect(() => parseDtmCertificatePolicyId(documented.certificate_policy_id!)).toThrow(ValidationError);
    await expect(
      toWireDtmBatch({
        name: documented.name!,
        deviceGroupId: parseDtmDeviceGroupId("c8df5a31-2a04-4433-a3bd-1b0437948fb5"),
        serverSideKeyGeneration: { encryptionCertificate: documented.encryption_certificate! },
      }),
    ).rejects.toMatchObject({ field: "input.serverSideKeyGeneration.encryptionCertificate" });
  });

  it("reads the documented job id and each documented status, and the new job's ID however it is keyed", () => {
    const id = parseDtmBatchJobId(DTM.getJob.jobId);
    for (const status of [...DTM.getJob.statuses, ...DTM.report.readyStatuses]) {
      expect(DTM_JOB_STATUSES).toContain(status);
      expect(toDtmBatchJob({ id, status })).toMatchObject({ id, status, kind: "DTM_DEVICE_REGISTRATION" });
    }
    // "The ID of the newly created batch job": the page names no key, so ID, id and job_id all read.
    for (const key of ["ID", "id", "job_id"])
      expect(toCreatedDtmBatchJobId({ [key]: DTM.getJob.jobId })).toBe(id);
  });
});

describe("IoT Trust Manager: server-side key generation", () => {
  it.skipIf(!existsSync(KEYGEN_PAGE))("copies every example verbatim from the page", () => {
    const text = page(KEYGEN_PAGE);
    for (const fragment of IOT_KEYGEN.requestFragments) expect(text).toContain(fragment);
    for (const sentence of Object.values(IOT_KEYGEN.answers)) expect(text).toContain(sentence);
    expect(text).toContain(IOT_KEYGEN.pkcs12Password);
  });

  it("sends attributes in the documented [{id, value}] shape", async () => {
    const body = await toWireIotEnrollment({
      enrollmentProfileId: PROFILE,
      serverSideKeyGeneration: { privateKeyFormat: "PKCS12", pkcs12Password: "Secret123" },
      certificateAttributes: [{ id: "subject.common_name", value: "sensor-7.iot.example.com" }],
      deviceAttributes: [{ id: "DEVICE_IDENTIFIER", value: "sensor-7" }],
    });
    // Each documented fragment, its "..." dropped, is the JSON the body has under that name, placeholders aside.
    for (const fragment of IOT_KEYGEN.requestFragments as string[]) {
      const documented = JSON.parse(`{${fragment.replace(", ... ]", " ]")}}`) as Record<string, object[]>;
      for (const [name, list] of Object.entries(documented)) {
        const sent = body[name as keyof typeof body] as object[];
        expect(sent.map((entry) => Object.keys(entry))).toEqual(list.map((entry) => Object.keys(entry)));
      }
    }
    expect(body.certificate_profile_attributes).toEqual([
      { id: "subject.common_name", value: "sensor-7.iot.example.com" },
    ]);
    // The documented password rule: 6 to 20 of A-Z, a-z, 0-9.
    for (const password of ["12345", "x".repeat(21), "pass-word"]) {
      await expect(
        toWireIotEnrollment({
          enrollmentProfileId: PROFILE,
          serverSideKeyGeneration: { privateKeyFormat: "PKCS12", pkcs12Password: password },
        }),
      ).rejects.toMatchObject({ field: "input.serverSideKeyGeneration.pkcs12Password" });
    }
  });

  it("reads each format's answer as the page describes it", async () => {
    const leaf = await selfSignedCertificate("sensor-7.iot.example.com");
    const answer = (extra: Record<string, unknown>) => ({
      certificate_request_id: "4bac1325-56e8-414a-9d48-a33a64c70613",
      status: "AUTO_APPROVED",
      result: "SUCCESS",
      certificate_id: "a0b778fc-d061-494d-8d47-2faadf054c21",
      ...extra,
    });
    const pemKey = "-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n";
    // pem: "returns the private key as a PEM-formatted string".
    expect(
      toDeviceEnrollmentOutcome(answer({ pem: leaf, private_key: pemKey }), "PEM").privateKey?.reveal(),
    ).toEqual({ format: "PEM", pem: pemKey });
    // der: "as base64-encoded DER binary"; pkcs_12 likewise base64.
    for (const format of ["DER", "PKCS12"] as const) {
      expect(
        toDeviceEnrollmentOutcome(
          answer({ pem: leaf, private_key: "MIGHAgEA" }),
          format,
        ).privateKey?.reveal(),
      ).toEqual({ format, base64: "MIGHAgEA" });
    }
    // cert_encrypted: "the private_key parameter returns the base64-encoded P7M file" (the certificate is inside).
    const bundle = toDeviceEnrollmentOutcome(answer({ private_key: "MIAGCSqG" }), "CERT_ENCRYPTED");
    expect(bundle.certificate).toMatchObject({ pem: null, unreadable: [] });
    expect(bundle.privateKey?.reveal()).toEqual({ format: "CERT_ENCRYPTED", base64: "MIAGCSqG" });
    // cert_encrypted_key_only: "the API still returns the issued certificate ... in the pem field".
    const keyOnly = toDeviceEnrollmentOutcome(
      answer({ pem: leaf, private_key: "MIAGCSqG" }),
      "CERT_ENCRYPTED_KEY_ONLY",
    );
    expect(keyOnly.certificate.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(keyOnly.privateKey?.reveal()).toEqual({ format: "CERT_ENCRYPTED_KEY_ONLY", base64: "MIAGCSqG" });
  });
});

describe("IoT Trust Manager: the batch download's JSON example", () => {
  it.skipIf(!existsSync(DOC_FILE))("is copied verbatim (test/helpers/iot-docs.ts)", () => {
    expect(page(DOC_FILE)).toContain(DOCUMENTED_DOWNLOAD);
  });

  it("maps every documented field, abbreviated blobs included, with nothing left unread", () => {
    const download = toBatchDownload(JSON.parse(DOCUMENTED_DOWNLOAD) as WireBatchDownload);
    expect(download).toMatchObject({ jobId: "e6006353-ba03-4909-afc8-c611f00d7644", skipped: 0 });
    expect(download.chain.map((entry) => entry.commonName)).toEqual(["ICA RSA", "RSA Root"]);
    expect(download.certificates.map((c) => [c.id, c.uniqueIdentifier, c.unreadable])).toEqual([
      ["60f0f385-9afa-464b-9811-d337245c4363", "Line #0000001", []],
      ["9766ee7c-62d5-47f4-b4cf-475409c62eea", "Line #0000002", []],
    ]);
    expect(download.certificates.map((c) => c.privateKey?.reveal())).toEqual([
      { format: "CERT_ENCRYPTED_KEY_ONLY", base64: "MIAGCSq...tLQo=" },
      { format: "CERT_ENCRYPTED_KEY_ONLY", base64: "MIAGCSq...LQo=" },
    ]);
  });
});
