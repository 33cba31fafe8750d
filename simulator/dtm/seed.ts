import { DAY_MS } from "../ca.js";
import { isoSeconds, type SimulatorState } from "../state.js";
import { DTM_IDS } from "./ids.js";
import type { DeviceStatus, DtmDevice } from "./types.js";

const G = DTM_IDS.deviceGroups;
const P = DTM_IDS.certificatePolicies;

/** Seeded devices: [id, name, group, policy, server-side keys, key type, status, age in days]. */
const SEED: readonly (readonly [
  string,
  string,
  string,
  string,
  boolean,
  "P_256" | "RSA_2048",
  DeviceStatus,
  number,
])[] = [
  [
    "7a87ce9d-f187-4486-8239-64b4cee3f036",
    "line-a-controller-01",
    G.factoryLine,
    P.bootstrapClient,
    false,
    "P_256",
    "PROVISIONED",
    120,
  ],
  [
    "99fd6c3f-369a-4e48-8a5c-deeb5ec9a692",
    "line-a-robot-02",
    G.factoryLine,
    P.bootstrapServer,
    true,
    "RSA_2048",
    "REGISTERED",
    30,
  ],
  [
    "da2acb21-2dff-4677-986b-4cb4a2f28084",
    "field-sensor-001",
    G.fieldSensors,
    P.bootstrapClient,
    false,
    "P_256",
    "PROVISIONED",
    90,
  ],
  [
    "03b48737-1682-46d0-a220-36e4dfc93776",
    "field-sensor-002",
    G.fieldSensors,
    P.apiOnly,
    true,
    "P_256",
    "PROVISIONED",
    60,
  ],
  [
    "702b4756-8440-4e68-b53a-4de0f8e04920",
    "field-sensor-003",
    G.fieldSensors,
    P.bootstrapClient,
    false,
    "P_256",
    "DISABLED",
    200,
  ],
  [
    "2d845b9a-99da-4037-b5c8-a3b22abb9e79",
    "edge-gateway-01",
    G.gateways,
    P.bootstrapServer,
    true,
    "P_256",
    "PROVISIONED",
    45,
  ],
];

/** Adds the demo devices (fixed ids and names; dates relative to `now`). */
export function seedDtmDevices(state: SimulatorState, now = Date.now()): void {
  for (const [id, name, groupId, policyId, serverSide, keyType, status, ageDays] of SEED) {
    const created = isoSeconds(new Date(now - ageDays * DAY_MS));
    const device: DtmDevice = {
      id,
      name,
      description: `Seeded ${name}`,
      deviceGroupId: groupId,
      registrationMethod: "API",
      bootstrap: [
        {
          certificatePolicyId: policyId,
          serverSideKeyGen: serverSide,
          keyType,
          attributes: [
            { name: "subject.common_name", value: `${name}.devices.example.com` },
            ...(policyId === P.apiOnly
              ? []
              : [{ name: "subject.organization_name", value: "Example Devices" }]),
          ],
        },
      ],
      createdAt: created,
      status,
      updatedAt: created,
    };
    state.addDtmDevice(device);
  }
}
