// Fixed ids of the seeded Device Trust Manager objects. No imports, so seed.ts (API keys) can use them without a cycle.

export const DTM_IDS: {
  readonly division: string;
  readonly deviceGroups: {
    readonly factoryLine: string;
    readonly fieldSensors: string;
    readonly gateways: string;
  };
  /** Certificate (management) policies: `IOT_<uuid>` as in DigiCert's examples [C]. */
  readonly certificatePolicies: {
    readonly bootstrapClient: string;
    readonly bootstrapServer: string;
    readonly factoryApproval: string;
    readonly apiOnly: string;
  };
} = Object.freeze({
  division: "1c8528cd-5b3f-4c9c-84b5-c4e2f983aa06",
  deviceGroups: Object.freeze({
    factoryLine: "c8df5a31-2a04-4433-a3bd-1b0437948fb5",
    fieldSensors: "945ab5ce-078c-4a67-916f-8a0ff86d53a2",
    gateways: "86efb32a-f226-4268-b1e0-c995eb1f45c6",
  }),
  certificatePolicies: Object.freeze({
    bootstrapClient: "IOT_4ee527fa-bebc-4557-aacb-9b5eed984dd4",
    bootstrapServer: "IOT_1ac05d20-bd8d-4973-b32b-05dbdb899934",
    factoryApproval: "IOT_962dbbf1-d634-4021-9e63-cb7d9985f842",
    apiOnly: "IOT_668918ec-db2b-4c02-8cb6-32fd4d572e40",
  }),
});

/**
 * What the restricted API key may use in DTM: the Field sensors group and the policies assigned to it. Devices and jobs
 * of other groups are invisible to it (403 by id, left out of lists).
 */
export const RESTRICTED_DTM_OBJECTS: ReadonlySet<string> = new Set([
  DTM_IDS.deviceGroups.fieldSensors,
  DTM_IDS.certificatePolicies.bootstrapClient,
  DTM_IDS.certificatePolicies.apiOnly,
]);
