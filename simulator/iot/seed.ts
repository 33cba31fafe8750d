import { type CertificateAuthority, DAY_MS } from "../ca.js";
import { isoSeconds, type SimulatorState } from "../state.js";
import { generateIotKey } from "./artefacts.js";
import { issueIotCertificate, resolveEnrollment } from "./enroll.js";
import {
  DEVICE_IDENTIFIER,
  IOT_DEVICE_FIELD_IDS,
  IOT_PROFILE_IDS,
  type IotProfileDefinition,
} from "./profiles.js";
import type { IotAttribute } from "./types.js";

/** Which profile seed certificate i lands on; factory batch certificates count as BATCH enrollments. */
const ROTATION = [
  IOT_PROFILE_IDS.deviceCsr,
  IOT_PROFILE_IDS.deviceCsr,
  IOT_PROFILE_IDS.deviceServerKeys,
  IOT_PROFILE_IDS.deviceFlexible,
  IOT_PROFILE_IDS.factoryBatch,
  IOT_PROFILE_IDS.gatewayFixedKey,
];
const DEVICE_VALUES: Readonly<Record<string, string>> = {
  [IOT_DEVICE_FIELD_IDS.operator]: "Example Operator",
  [IOT_DEVICE_FIELD_IDS.model]: "EX-100",
  [IOT_DEVICE_FIELD_IDS.site]: "Plant 1",
};

/**
 * Issues `count` demo IoT certificates (`sensor-NNN.iot.example.com`, device identifier `SENSOR-NNN`), a few revoked
 * and a few expired; names, profiles and statuses depend only on the index.
 */
export async function seedIotCertificates(
  state: SimulatorState,
  ca: CertificateAuthority,
  profiles: readonly IotProfileDefinition[],
  count: number,
  now = Date.now(),
): Promise<void> {
  if (count <= 0) return;
  const [p256, p384] = await Promise.all([generateIotKey("p_256"), generateIotKey("p_384")]);
  const byId = new Map(profiles.map((profile) => [profile.id, profile]));
  const width = Math.max(3, String(count - 1).length);
  const nowSeconds = Math.floor(now / 1000) * 1000;
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const profile = byId.get(ROTATION[i % ROTATION.length]!)!;
      const n = String(i).padStart(width, "0");
      const certificateAttributes: IotAttribute[] = [
        { id: "subject.common_name", value: `sensor-${n}.iot.example.com` },
      ];
      const deviceAttributes: IotAttribute[] = profile.fields
        .filter((field) => field.kind === "device")
        .map((field) => ({
          id: field.id,
          value: field.id === DEVICE_IDENTIFIER ? `SENSOR-${n}` : DEVICE_VALUES[field.id]!,
        }));
      const resolved = resolveEnrollment(profile, certificateAttributes, deviceAttributes, undefined);
      const expired = i % 20 === 7;
      const ageDays = expired
        ? profile.validityDays + 1 + (i % 10)
        : 1 + ((i * 37) % Math.min(300, profile.validityDays - 1));
      const key = profile.allowedKeyTypes.includes("p_256") ? p256 : p384;
      const record = await issueIotCertificate(state, ca, profile, resolved, key.publicKey, {
        enrollmentMethod: profile.enrollmentMethods.includes("API") ? "API" : "BATCH",
        keyGeneration: profile.keyGenerationOption === "server_side" ? "server_side" : "client_side",
        notBefore: new Date(nowSeconds - ageDays * DAY_MS),
      });
      if (!expired && i % 9 === 4) {
        record.status = "revoked";
        record.revocation = {
          reason: "key_compromise",
          revoked_at: isoSeconds(new Date(nowSeconds - DAY_MS)),
        };
      }
    }),
  );
}
