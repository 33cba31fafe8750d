import { randomUUID } from "node:crypto";
import { zipSync } from "fflate";
import { isoSeconds } from "../state.js";
import { DIVISION, DTM_ACCOUNT_ID, type DtmDeviceGroup } from "./policies.js";
import type { DtmBootstrapPolicy, DtmDevice } from "./types.js";

/** A new device record (status REGISTERED: registered, no certificate yet [C lifecycle]); the caller stores it. */
export function newDevice(input: {
  readonly name: string;
  readonly description: string;
  readonly deviceGroupId: string;
  readonly registrationMethod: DtmDevice["registrationMethod"];
  readonly bootstrap: readonly DtmBootstrapPolicy[];
  readonly batchJobId?: string;
}): DtmDevice {
  const now = isoSeconds(new Date());
  return {
    id: randomUUID(),
    name: input.name,
    description: input.description,
    deviceGroupId: input.deviceGroupId,
    registrationMethod: input.registrationMethod,
    bootstrap: input.bootstrap,
    createdAt: now,
    ...(input.batchJobId ? { batchJobId: input.batchJobId } : {}),
    status: "REGISTERED",
    updatedAt: now,
  };
}

/** A device as GET /api/v4/device answers it: `id` is [C] (DigiCert's test reads records[0].id); the rest is [I]. */
export function deviceJson(device: DtmDevice, group: DtmDeviceGroup | undefined): Record<string, unknown> {
  return {
    id: device.id,
    name: device.name,
    description: device.description,
    status: device.status,
    device_group_id: device.deviceGroupId,
    device_group: { id: device.deviceGroupId, name: group?.name ?? "" },
    division: { ...DIVISION },
    account_id: DTM_ACCOUNT_ID,
    registration_method: device.registrationMethod,
    certificate_policies: {
      bootstrap: device.bootstrap.map((entry) => ({
        certificate_policy_id: entry.certificatePolicyId,
        server_side_key_gen: entry.serverSideKeyGen,
        key_type: entry.keyType,
        ...(entry.keyFormat ? { key_format: entry.keyFormat } : {}),
        ...(entry.keySyntax ? { key_syntax: entry.keySyntax } : {}),
        attributes: entry.attributes.map((attribute) => ({ ...attribute })),
      })),
    },
    ...(device.batchJobId ? { batch_job_id: device.batchJobId } : {}),
    ...(device.disableReason !== undefined ? { disable_reason: device.disableReason } : {}),
    created_at: device.createdAt,
    updated_at: device.updatedAt,
  };
}

/** The file name DigiCert's own test saves the download as [C]; the simulator sends it in Content-Disposition [I]. */
export const BOOTSTRAP_FILE_NAME = "bootstrap.zip";

/**
 * GET /api/v4/bootstrap-config/download/{device_id}: a ZIP [C]. What DigiCert puts inside is not public [?]; the
 * simulator's ZIP holds one `bootstrap.json` [I] with what a device needs to enroll its bootstrap certificates: its id,
 * name, group and account, and per bootstrap policy the policy id, key settings, certificate attributes and the EST
 * paths, whose shape is DigiCert's [C: trustedge's EstUrlToEnv.sh, relative here]. No certificate or key: the
 * simulator issues none for devices.
 */
export function bootstrapZip(device: DtmDevice): Uint8Array {
  const config = {
    device_id: device.id,
    device_name: device.name,
    device_group_id: device.deviceGroupId,
    account_id: DTM_ACCOUNT_ID,
    certificate_policies: device.bootstrap.map((entry) => {
      const est = `/.well-known/est/devicetrustmanager/${entry.certificatePolicyId}/device-group/${device.deviceGroupId}`;
      return {
        certificate_policy_id: entry.certificatePolicyId,
        server_side_key_gen: entry.serverSideKeyGen,
        key_type: entry.keyType,
        ...(entry.keyFormat ? { key_format: entry.keyFormat } : {}),
        ...(entry.keySyntax ? { key_syntax: entry.keySyntax } : {}),
        attributes: entry.attributes.map((attribute) => ({ ...attribute })),
        est: { simpleenroll: `${est}/simpleenroll`, cacerts: `${est}/cacerts` },
      };
    }),
  };
  return zipSync(
    { "bootstrap.json": new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`) },
    { level: 6 },
  );
}
