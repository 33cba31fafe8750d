import { SCOPES } from "../auth/viewer.js";
import type { DeviceRegistrationRow, DtmBatchJob } from "../model/dtm/batch-job.js";
import type { Device } from "../model/dtm/device.js";
import {
  DEVICE_STATUSES,
  DTM_JOB_STATUSES,
  DTM_KEY_TYPES,
  DTM_MANAGEMENT_METHODS,
  REGISTRATION_ROW_STATUSES,
} from "../model/dtm/enums.js";
import {
  type DtmBatchJobId,
  type DtmDeviceId,
  parseDtmBatchJobId,
  parseDtmCertificatePolicyId,
  parseDtmDeviceGroupId,
  parseDtmDeviceId,
} from "../model/dtm/ids.js";
import type { CertificatePolicy, DeviceGroup, TemplateColumn } from "../model/dtm/policy.js";
import {
  DuplicateDeviceError,
  InvalidBatchFileError,
  InvalidCsrError,
  CertificatePolicyNotFoundError,
  DeviceGroupNotFoundError,
  DeviceNotFoundError,
  UpstreamOutcomeUnknownError,
  ValidationError,
} from "../model/errors.js";
import {
  type BootstrapDownloadLink,
  bootstrapDownloadLink,
  createDeviceRegistrationBatch,
  csvTemplate,
  deleteDevice,
  disableDevice,
  groupPolicies,
  listDeviceGroups,
  listDevices,
  listDtmBatchJobs,
  loadDeviceRegistrationReport,
  registerDevice,
} from "../resolvers/dtm.js";
import { bootstrapDownloadPath } from "../http/bootstrap-download.js";
import { readField } from "../model/iot/list.js";
import { requireScope } from "./access.js";
import {
  BatchJobInterface,
  BatchJobKindEnum,
  BatchJobStatusEnum,
  FileRef,
  decisionMutations,
  jobOutcomeType,
} from "./batch.js";
import { builder, describedValues, nodeTypeNames } from "./builder.js";
import { certificatePolicyIdOf, deviceGroupIdOf, deviceIdOf, idArgDescription } from "./global-id.js";
import { resultUnion, UPSTREAM_ERRORS } from "./errors.js";
import { connectionType, pageArgs, totalCountConnection } from "./pagination.js";

/** Device Trust Manager listings answer at most this many a page. */
const MAX_PAGE = 100;

/*
 * Device Trust Manager: device groups, certificate policies (with their CSV templates), devices, single
 * registration, and batch registration jobs (DtmBatchJob, a BatchJob) with their per-row report.
 * Devices, groups and policies need scope `devices`; batch jobs need `batch-jobs` (creating one needs both).
 */

const devices = { scope: SCOPES.devices } as const;
const UNREADABLE_NAME = "Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's could not be read.";
const batchJobs = { scope: SCOPES.batchJobs } as const;

const DtmKeyTypeEnum = builder.enumType("DtmKeyType", {
  description: "Device Trust Manager's key types, in its own (upper-case) spelling.",
  values: describedValues(DTM_KEY_TYPES, {
    RSA_2048: "RSA, 2048-bit modulus.",
    RSA_3072: "RSA, 3072-bit modulus.",
    RSA_4096: "RSA, 4096-bit modulus.",
    P_256: "ECDSA on NIST P-256.",
    P_384: "ECDSA on NIST P-384.",
    P_521: "ECDSA on NIST P-521.",
    ED25519: "Ed25519.",
  }),
});
const DeviceStatusEnum = builder.enumType("DeviceStatus", {
  description: "A device's status in Device Trust Manager (its `status`, any case).",
  values: describedValues(DEVICE_STATUSES, {
    REGISTERED: "Registered in Device Trust Manager, not yet provisioned.",
    PROVISIONED: "Provisioned with its certificates, as DigiCert reports it.",
    DISABLED: "Disabled (disableDevice); it can then be deleted.",
    UNKNOWN: "A status DigiCert added since this gateway was written; the device's other fields stand.",
  }),
});
const DtmManagementMethodEnum = builder.enumType("DtmManagementMethod", {
  description: "How devices are registered under a certificate policy (its management methods).",
  values: describedValues(DTM_MANAGEMENT_METHODS, {
    API: "One device at a time: registerDevice.",
    BATCH: "Many from a CSV file: createDeviceRegistrationBatch.",
  }),
});
const DeviceRegistrationStatusEnum = builder.enumType("DeviceRegistrationStatus", {
  description: "What happened to one row of a batch, from the job's report.",
  values: describedValues(REGISTRATION_ROW_STATUSES, {
    SUCCESS: "The device was registered.",
    FAILED: "The row failed (errorCode and errorMessage say why).",
    REJECTED: "The job was rejected: nothing was registered.",
    UNKNOWN: "A status DigiCert added since this gateway was written; the row's other fields stand.",
  }),
});
const CertificatePolicyStatusEnum = builder.enumType("CertificatePolicyStatus", {
  description: "A certificate policy's status in Device Trust Manager (its `status`, any case).",
  values: {
    ACTIVE: { description: "In use: devices can be registered with it." },
    INACTIVE: { description: "Not in use: DigiCert refuses registrations with it." },
    UNKNOWN: { description: "A status DigiCert added since this gateway was written." },
  } as const,
});

// ---------------------------------------------------------------------------------------------
// Groups and certificate policies
// ---------------------------------------------------------------------------------------------

const TemplateColumnRef = builder.objectRef<TemplateColumn>("CsvTemplateColumn").implement({
  description: "A column of a certificate policy's batch CSV template.",
  fields: (t) => ({
    name: t.exposeString("name", {
      description: "The column's header, e.g. device_name, subject.common_name, san.dns_name, csr.",
    }),
    required: t.exposeBoolean("required", { description: "Every row must have a value in it." }),
    multiple: t.exposeBoolean("multiple", { description: "The column may appear more than once." }),
    clientSideOnly: t.exposeBoolean("clientSideOnly", { description: "Only with CSRs (the csr column)." }),
  }),
});

const CertificatePolicyRef = builder.objectRef<CertificatePolicy>("CertificatePolicy");
nodeTypeNames.add("CertificatePolicy");

builder.node(CertificatePolicyRef, {
  description:
    "A Device Trust Manager certificate (management) policy (GET /devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy/{id}): how devices under it get certificates. Needs scope devices.",
  authScopes: devices,
  id: { resolve: (p) => p.id, parse: (id) => parseDtmCertificatePolicyId(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.devices);
    return ctx.loaders.certificatePolicy.load(id);
  },
  fields: (t) => ({
    policyId: t.exposeString("id", {
      description: "DigiCert's id, IOT_<uuid>; what certificate policy id arguments take besides `id`.",
    }),
    name: t.string({
      nullable: true,
      description: `Its name. ${UNREADABLE_NAME}`,
      resolve: (p) => readField(p, "name"),
    }),
    status: t.field({
      type: CertificatePolicyStatusEnum,
      description: "Whether it is in use.",
      resolve: (p) => p.status,
    }),
    managementMethods: t.field({
      type: [DtmManagementMethodEnum],
      description: "How devices may be registered with it.",
      resolve: (p) => p.managementMethods,
    }),
    clientSideKeyGeneration: t.exposeBoolean("clientSideKeyGeneration", {
      description: "Batches may carry CSRs.",
    }),
    serverSideKeyGeneration: t.exposeBoolean("serverSideKeyGeneration", {
      description: "DigiCert may generate the keys.",
    }),
    allowedKeyTypes: t.field({
      type: [DtmKeyTypeEnum],
      description: "Key types for CSRs and server-side keys; empty when DigiCert lists none.",
      resolve: (p) => p.allowedKeyTypes,
    }),
    defaultKeyType: t.field({
      type: DtmKeyTypeEnum,
      nullable: true,
      description: "The server-side key type when a request names none.",
      resolve: (p) => p.defaultKeyType,
    }),
    approvalRequired: t.exposeBoolean("approvalRequired", {
      description: "Batch jobs wait in PENDING_APPROVAL after processing until approved.",
    }),
    templateColumns: t.field({
      type: [TemplateColumnRef],
      description:
        "The batch CSV template's columns: required, then optional, then client-side extras (csr).",
      resolve: (p) => p.templateColumns,
    }),
    csvTemplate: t.string({
      nullable: true,
      description:
        "The batch CSV template (its header row), as DigiCert serves it. One upstream call; null (with an error) when DigiCert serves none, e.g. for a policy without BATCH.",
      args: {
        serverSideKeyGeneration: t.arg.boolean({
          description: "Absent: client-side (with csr) when the policy allows it.",
        }),
      },
      resolve: (p, args, ctx) => csvTemplate(ctx, p.id, args.serverSideKeyGeneration ?? null),
    }),
  }),
});

const DeviceGroupRef = builder.objectRef<DeviceGroup>("DeviceGroup");
nodeTypeNames.add("DeviceGroup");

builder.node(DeviceGroupRef, {
  description:
    "A Device Trust Manager device group (GET /devicetrustmanager/api/v4/device-group/{id}): devices registered together, under its certificate policies. Needs scope devices.",
  authScopes: devices,
  id: { resolve: (g) => g.id, parse: (id) => parseDtmDeviceGroupId(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.devices);
    return ctx.loaders.deviceGroup.load(id);
  },
  fields: (t) => ({
    groupId: t.exposeString("id", {
      description: "DigiCert's id (a UUID); what device group id arguments take besides `id`.",
    }),
    name: t.string({
      nullable: true,
      description: `Its name. ${UNREADABLE_NAME}`,
      resolve: (g) => readField(g, "name"),
    }),
    description: t.exposeString("description", {
      nullable: true,
      description: "Its description in DigiCert ONE; null when none.",
    }),
    deviceCount: t.exposeInt("deviceCount", {
      nullable: true,
      description:
        "How many devices it holds, as DigiCert counts them (`device_count`); null when DigiCert does not say.",
    }),
    certificatePolicies: t.field({
      type: [CertificatePolicyRef],
      description: "The policies assigned to the group (one upstream call).",
      resolve: (g, _args, ctx) => groupPolicies(ctx, g.id),
    }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Devices
// ---------------------------------------------------------------------------------------------

const AttributeRef = builder
  .objectRef<{ name: string; value: string }>("DeviceBootstrapAttribute")
  .implement({
    description: "A certificate attribute a device was registered with.",
    fields: (t) => ({
      name: t.exposeString("name", { description: "The template column, e.g. subject.common_name." }),
      value: t.exposeString("value", { description: "Its value." }),
    }),
  });

const BootstrapRef = builder.objectRef<Device["bootstrap"][number]>("DeviceBootstrapPolicy").implement({
  description: "A certificate policy the device was registered with.",
  fields: (t) => ({
    certificatePolicyId: t.exposeString("certificatePolicyId", {
      description: "DigiCert's id of the policy (IOT_<uuid>).",
    }),
    serverSideKeyGeneration: t.exposeBoolean("serverSideKeyGeneration", {
      description: "Whether DigiCert generates the device's key under it.",
    }),
    keyType: t.field({
      type: DtmKeyTypeEnum,
      nullable: true,
      description: "The key type; null when DigiCert does not say.",
      resolve: (b) => b.keyType,
    }),
    attributes: t.field({
      type: [AttributeRef],
      description: "Certificate attributes by template column, e.g. subject.common_name.",
      resolve: (b) => b.attributes,
    }),
  }),
});

const BootstrapConfigurationRef = builder
  .objectRef<BootstrapDownloadLink>("DeviceBootstrapConfiguration")
  .implement({
    description:
      "A device's bootstrap configuration, a ZIP DigiCert produces, streamed through the gateway: GET `url` with the same `Authorization` header as GraphQL. Needs scope devices, and keys:generate too for a device whose keys DigiCert generates (the ZIP may hold the key). Never cached by the gateway.",
    fields: (t) => ({
      url: t.exposeString("url", {
        description: "The gateway's download route, relative to the GraphQL endpoint's origin.",
      }),
      contentType: t.exposeString("contentType", { description: "application/zip." }),
      fileName: t.exposeString("fileName", { description: "The file name the download is served under." }),
    }),
  });

export const DeviceRef = builder.objectRef<Device>("Device");
nodeTypeNames.add("Device");

builder.node(DeviceRef, {
  description:
    "A device registered in Device Trust Manager (GET /devicetrustmanager/api/v4/device/{id}). Needs scope devices.",
  authScopes: devices,
  id: { resolve: (d) => d.id, parse: (id) => parseDtmDeviceId(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.devices);
    return ctx.loaders.device.load(id);
  },
  fields: (t) => ({
    deviceId: t.exposeString("id", {
      description: "DigiCert's id (a UUID); what device id arguments take besides `id`.",
    }),
    name: t.exposeString("name", {
      nullable: true,
      description: "Its name, unique in its group; null when none.",
    }),
    description: t.exposeString("description", {
      nullable: true,
      description: "Its description; null when none.",
    }),
    status: t.field({ type: DeviceStatusEnum, description: "Its status.", resolve: (d) => d.status }),
    deviceGroupId: t.exposeString("deviceGroupId", {
      nullable: true,
      description: "DigiCert's id of its group (a UUID); null when DigiCert does not say.",
    }),
    deviceGroup: t.field({
      type: DeviceGroupRef,
      nullable: true,
      description: "Its group, read when selected (once per group per request).",
      resolve: (d, _args, ctx) => (d.deviceGroupId ? ctx.loaders.deviceGroup.load(d.deviceGroupId) : null),
    }),
    registrationMethod: t.field({
      type: DtmManagementMethodEnum,
      nullable: true,
      description: "How it was registered; null when DigiCert does not say.",
      resolve: (d) => d.registrationMethod,
    }),
    bootstrap: t.field({
      type: [BootstrapRef],
      description: "The certificate policies it was registered with.",
      resolve: (d) => d.bootstrap,
    }),
    batchJobId: t.exposeString("batchJobId", {
      nullable: true,
      description: "The batch job that registered it, if one did.",
    }),
    createdAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it was registered, as DigiCert reports it.",
      resolve: (d) => d.createdAt,
    }),
    updatedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it last changed, as DigiCert reports it.",
      resolve: (d) => d.updatedAt,
    }),
    bootstrapConfiguration: t.field({
      type: BootstrapConfigurationRef,
      description:
        "Where to download the device's bootstrap configuration (DigiCert's ZIP) through the gateway; no upstream call until it is fetched.",
      resolve: (d) => bootstrapDownloadLink(d, (deviceId) => bootstrapDownloadPath(deviceId)),
    }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Batch jobs and their report
// ---------------------------------------------------------------------------------------------

const DeviceRegistrationRef = builder.objectRef<DeviceRegistrationRow>("DeviceRegistration").implement({
  description: "One row of a device registration batch: what became of it (from the job's report).",
  authScopes: batchJobs,
  fields: (t) => ({
    row: t.int({
      nullable: true,
      description:
        "The data row, from 1 (the first row after the CSV header). Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's row number could not be read: the rest of the row, and the report, stand.",
      resolve: (r) => readField(r, "row"),
    }),
    deviceName: t.exposeString("deviceName", {
      nullable: true,
      description: "The row's device name; null when the report does not say.",
    }),
    status: t.field({
      type: DeviceRegistrationStatusEnum,
      description: "What happened to the row.",
      resolve: (r) => r.status,
    }),
    deviceId: t.exposeString("deviceId", {
      nullable: true,
      description: "DigiCert's id of the device the row registered (a UUID); null otherwise.",
    }),
    device: t.field({
      type: DeviceRef,
      nullable: true,
      description: "The registered device, read when selected (needs scope devices).",
      resolve: (r, _args, ctx) => {
        if (!r.deviceId) return null;
        requireScope(ctx, SCOPES.devices);
        return ctx.loaders.device.load(r.deviceId);
      },
    }),
    errorCode: t.exposeString("errorCode", {
      nullable: true,
      description: 'DigiCert\'s code for a failed row ("03": the device name is taken).',
    }),
    errorMessage: t.exposeString("errorMessage", {
      nullable: true,
      description: "DigiCert's reason (job data).",
    }),
  }),
});

export const DtmBatchJobRef = builder.objectRef<DtmBatchJob>("DtmBatchJob");
nodeTypeNames.add("DtmBatchJob");

builder.node(DtmBatchJobRef, {
  description:
    "A Device Trust Manager batch device registration job (GET /devicetrustmanager/certificate-batch-service/api/v1/jobs/{id}). Needs scope batch-jobs.",
  interfaces: [BatchJobInterface],
  authScopes: batchJobs,
  isTypeOf: (value) => (value as Partial<DtmBatchJob> | null)?.kind === "DTM_DEVICE_REGISTRATION",
  id: { resolve: (job) => job.id, parse: (id) => parseDtmBatchJobId(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.batchJobs);
    return ctx.loaders.dtmBatchJob.load(id);
  },
  fields: (t) => ({
    deviceGroupId: t.exposeString("deviceGroupId", {
      nullable: true,
      description: "DigiCert's id of the group the devices go to (a UUID).",
    }),
    deviceGroupName: t.exposeString("deviceGroupName", { nullable: true, description: "That group's name." }),
    certificatePolicyId: t.exposeString("certificatePolicyId", {
      nullable: true,
      description: "DigiCert's id of the certificate policy (IOT_<uuid>).",
    }),
    certificatePolicyName: t.exposeString("certificatePolicyName", {
      nullable: true,
      description: "That policy's name.",
    }),
    approvalRequired: t.exposeBoolean("approvalRequired", {
      description: "The job waits in PENDING_APPROVAL after processing.",
    }),
    serverSideKeyGeneration: t.exposeBoolean("serverSideKeyGeneration", {
      nullable: true,
      description: "Whether DigiCert generates the devices' keys; null when DigiCert does not say.",
    }),
    keyType: t.field({
      type: DtmKeyTypeEnum,
      nullable: true,
      description: "The devices' key type.",
      resolve: (job) => job.keyType,
    }),
    fileName: t.exposeString("fileName", { nullable: true, description: "The uploaded file's name." }),
    fileSize: t.exposeInt("fileSize", { nullable: true, description: "The uploaded file's size, bytes." }),
    startedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When DigiCert started processing it.",
      resolve: (job) => job.startedAt,
    }),
    processedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When DigiCert finished processing its rows.",
      resolve: (job) => job.processedAt,
    }),
    approvedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it was approved; null unless it was.",
      resolve: (job) => job.approvedAt,
    }),
    rejectedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it was rejected; null unless it was.",
      resolve: (job) => job.rejectedAt,
    }),
    registrations: t.field({
      type: [DeviceRegistrationRef],
      nullable: true,
      description:
        "The job's report, one entry per data row, once every row is processed (null before then). Read once per job state, shared by every request and subscriber of the tenant.",
      resolve: async (job, _args, ctx) => (await loadDeviceRegistrationReport(ctx, job))?.rows ?? null,
    }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

const DEVICE_GROUP_ID = idArgDescription("DeviceGroup", "`groupId`, a UUID");
const CERTIFICATE_POLICY_ID = idArgDescription("CertificatePolicy", "`policyId`, IOT_<uuid>");
const DEVICE_ID = idArgDescription("Device", "`deviceId`, a UUID");

const DeviceFilterInput = builder.inputType("DeviceFilter", {
  description: "All given fields must match; each is one of Device Trust Manager's device list filters.",
  fields: (t) => ({
    name: t.string({ description: "The device's name: exact, case-insensitive." }),
    deviceGroupId: t.id({ description: `Devices of this group. ${DEVICE_GROUP_ID}` }),
    statuses: t.field({
      type: [DeviceStatusEnum],
      description: "Any of these statuses (not UNKNOWN, which DigiCert cannot filter by).",
    }),
  }),
});

const BatchJobFilterInput = builder.inputType("BatchJobFilter", {
  description: "All given fields must match; each is one of Device Trust Manager's job list filters.",
  fields: (t) => ({
    kind: t.field({
      type: BatchJobKindEnum,
      description:
        "Default DTM_DEVICE_REGISTRATION, the only kind DigiCert lists: IoT Trust Manager has no job listing (read IoT jobs by id).",
    }),
    statuses: t.field({
      type: [BatchJobStatusEnum],
      description:
        "Any of these Device Trust Manager job statuses (not APPROVED or UNKNOWN, which it has not).",
    }),
    deviceGroupId: t.id({ description: `Jobs registering devices in this group. ${DEVICE_GROUP_ID}` }),
  }),
});

const DeviceConnection = connectionType(DeviceRef, {
  name: "Device",
  description: "A page of Device Trust Manager devices.",
  totalCount: "whenSent",
});

const BatchJobConnection = connectionType(BatchJobInterface, {
  name: "BatchJob",
  description: "A page of batch jobs.",
  totalCount: "whenSent",
});

builder.queryFields((t) => ({
  deviceGroups: t.field({
    type: [DeviceGroupRef],
    authScopes: devices,
    description:
      "The device groups these credentials can use (GET /devicetrustmanager/api/v4/device-group; the first 100).",
    resolve: (_root, _args, ctx) => listDeviceGroups(ctx),
  }),
  deviceGroup: t.field({
    type: DeviceGroupRef,
    nullable: true,
    authScopes: devices,
    description:
      "A Device Trust Manager device group (GET /devicetrustmanager/api/v4/device-group/{id}); null when DigiCert has none for these credentials.",
    args: { id: t.arg.id({ required: true, description: DEVICE_GROUP_ID }) },
    resolve: (_root, { id }, ctx) => ctx.loaders.deviceGroup.load(deviceGroupIdOf(id, "id")),
  }),
  certificatePolicy: t.field({
    type: CertificatePolicyRef,
    nullable: true,
    authScopes: devices,
    description:
      "A Device Trust Manager certificate policy (GET .../certificate-configuration-service/api/v2/certificate-policy/{id}); null when DigiCert has none for these credentials.",
    args: { id: t.arg.id({ required: true, description: CERTIFICATE_POLICY_ID }) },
    resolve: (_root, { id }, ctx) => ctx.loaders.certificatePolicy.load(certificatePolicyIdOf(id, "id")),
  }),
  device: t.field({
    type: DeviceRef,
    nullable: true,
    authScopes: devices,
    description:
      "A Device Trust Manager device (GET /devicetrustmanager/api/v4/device/{id}); null when DigiCert has none for these credentials.",
    args: { id: t.arg.id({ required: true, description: DEVICE_ID }) },
    resolve: (_root, { id }, ctx) => ctx.loaders.device.load(deviceIdOf(id, "id")),
  }),
  devices: t.field({
    type: DeviceConnection,
    authScopes: devices,
    description: `Devices matching the filter, newest first (GET /devicetrustmanager/api/v4/device): one upstream call a page, at most ${MAX_PAGE} a page.`,
    args: {
      ...pageArgs(t.arg, MAX_PAGE),
      filter: t.arg({ type: DeviceFilterInput, description: "Absent: every device." }),
    },
    resolve: async (_root, args, ctx) => {
      const filter = args.filter ?? {};
      return totalCountConnection(
        args,
        MAX_PAGE,
        listDevices(ctx, {
          name: filter.name ?? null,
          deviceGroupId:
            filter.deviceGroupId != null
              ? deviceGroupIdOf(filter.deviceGroupId, "filter.deviceGroupId")
              : null,
          statuses: filter.statuses ?? null,
        }),
      );
    },
  }),
  batchJobs: t.field({
    type: BatchJobConnection,
    authScopes: batchJobs,
    description: `Device Trust Manager batch jobs matching the filter, newest first (GET /devicetrustmanager/certificate-batch-service/api/v1/jobs): one upstream call a page, at most ${MAX_PAGE} a page. IoT Trust Manager lists no jobs: read those with batchJob(id:).`,
    args: {
      ...pageArgs(t.arg, MAX_PAGE),
      filter: t.arg({ type: BatchJobFilterInput, description: "Absent: every Device Trust Manager job." }),
    },
    resolve: async (_root, args, ctx) => {
      const filter = (args.filter ?? {}) as {
        kind?: string | null;
        statuses?: string[] | null;
        deviceGroupId?: string | number | null;
      };
      if (filter.kind === "IOT_ENROLLMENT") {
        throw new ValidationError(
          "filter.kind",
          "IoT Trust Manager offers no batch job listing: read an IoT job with batchJob(id).",
        );
      }
      const known = new Set<string>(DTM_JOB_STATUSES);
      const statuses = filter.statuses ?? [];
      if (statuses.some((status) => status === "UNKNOWN" || !known.has(status))) {
        throw new ValidationError(
          "filter.statuses",
          "Filter by Device Trust Manager job statuses (UNKNOWN is not one DigiCert can filter by).",
        );
      }
      return totalCountConnection(
        args,
        MAX_PAGE,
        listDtmBatchJobs(ctx, {
          statuses: statuses as DtmBatchJob["status"][],
          deviceGroupId:
            filter.deviceGroupId != null
              ? deviceGroupIdOf(filter.deviceGroupId, "filter.deviceGroupId")
              : null,
        }),
      );
    },
  }),
}));

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

const AttributeInput = builder.inputType("DeviceAttributeInput", {
  description: "One certificate attribute for a device, by template column.",
  fields: (t) => ({
    name: t.string({
      required: true,
      description: "A template column, e.g. subject.common_name or san.dns_name.",
    }),
    value: t.string({ required: true, description: "Its value." }),
  }),
});

const DeviceServerSideKeyGenerationInput = builder.inputType("DeviceServerSideKeyGenerationInput", {
  description: "DigiCert generates the device's key (delivered in its bootstrap configuration).",
  fields: (t) => ({
    keyType: t.field({ type: DtmKeyTypeEnum, description: "Absent: the policy's default." }),
  }),
});

const DeviceBootstrapInput = builder.inputType("DeviceBootstrapInput", {
  description: "A certificate policy for the device: with its CSR, or with serverSideKeyGeneration.",
  fields: (t) => ({
    certificatePolicyId: t.id({ required: true, description: CERTIFICATE_POLICY_ID }),
    csr: t.string({ description: "PEM PKCS#10; its signature is verified before anything is sent." }),
    serverSideKeyGeneration: t.field({
      type: DeviceServerSideKeyGenerationInput,
      description: "Instead of csr: DigiCert generates the key.",
    }),
    attributes: t.field({
      type: [AttributeInput],
      description: "Certificate attributes by the policy's template columns.",
    }),
  }),
});

const RegisterDeviceInput = builder.inputType("RegisterDeviceInput", {
  description:
    "One device to register (DigiCert's POST /devicetrustmanager/api/v4/device/registration body).",
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique in the group (case-insensitive)." }),
    deviceGroupId: t.id({ required: true, description: `The group it joins. ${DEVICE_GROUP_ID}` }),
    description: t.string({ description: "A description DigiCert keeps with it." }),
    bootstrap: t.field({ type: [DeviceBootstrapInput], description: "At most 5 certificate policies." }),
  }),
});

const DtmBatchServerSideKeyGenerationInput = builder.inputType("DtmBatchServerSideKeyGenerationInput", {
  description: "DigiCert generates each device's key and encrypts it to `encryptionCertificate`.",
  fields: (t) => ({
    encryptionCertificate: t.string({
      required: true,
      description: "One PEM certificate with an RSA key, within its validity.",
    }),
    keyType: t.field({ type: DtmKeyTypeEnum, description: "Absent: the policy's default." }),
  }),
});

const CreateDeviceRegistrationBatchInput = builder.inputType("CreateDeviceRegistrationBatchInput", {
  description:
    "A batch registration job (DigiCert's multipart POST .../certificate-batch-service/api/v1/jobs).",
  fields: (t) => ({
    name: t.string({ required: true, description: "The job's name." }),
    deviceGroupId: t.id({ required: true, description: `The group the devices join. ${DEVICE_GROUP_ID}` }),
    certificatePolicyId: t.id({
      description: `Absent: the group's only BATCH policy. ${CERTIFICATE_POLICY_ID}`,
    }),
    file: t.field({
      type: FileRef,
      required: true,
      description:
        "The data: a CSV whose header has the policy's template columns (see CertificatePolicy.csvTemplate; with a csr column unless serverSideKeyGeneration), or a ZIP of one such CSV or of CSR files. At most 200 MiB. Checked whole before anything is sent.",
    }),
    serverSideKeyGeneration: t.field({
      type: DtmBatchServerSideKeyGenerationInput,
      description: "Present: DigiCert generates the keys (no csr column). Absent: the file carries CSRs.",
    }),
    keyType: t.field({ type: DtmKeyTypeEnum, description: "Client-side keys: the CSRs' key type." }),
    emails: t.stringList({ description: "Who is told about the job (at most 50)." }),
    externalEmails: t.stringList({ description: "External recipients of the results (at most 50)." }),
    passcodeGenerationOption: t.boolean({
      description: "Have DigiCert generate the passcode that protects the results (instead of `passcode`).",
    }),
    passcode: t.string({ description: "4 to 64 printable characters; never echoed or logged." }),
  }),
});

type Registered = { kind: "registered"; deviceId: DtmDeviceId };
type Created = { kind: "created"; jobId: DtmBatchJobId };

const DeviceRegisteredRef = builder.objectRef<Registered>("DeviceRegistered").implement({
  description: "DigiCert registered the device.",
  authScopes: devices,
  fields: (t) => ({
    deviceId: t.exposeString("deviceId", { description: "DigiCert's id of the new device (a UUID)." }),
    device: t.field({
      type: DeviceRef,
      nullable: true,
      description: "The new device, read when selected.",
      resolve: (r, _args, ctx) => ctx.loaders.device.load(r.deviceId),
    }),
  }),
});

function jobField<T extends { kind: string; jobId: DtmBatchJobId }>(name: string, description: string) {
  return jobOutcomeType<T, DtmBatchJobId, DtmBatchJob>(name, description, DtmBatchJobRef, (ctx, id) =>
    ctx.loaders.dtmBatchJob.load(id),
  );
}

const RegisterResult = resultUnion<Registered>(
  "RegisterDeviceResult",
  "The new device, or why not.",
  { registered: DeviceRegisteredRef },
  [
    ValidationError,
    InvalidCsrError,
    DuplicateDeviceError,
    DeviceGroupNotFoundError,
    CertificatePolicyNotFoundError,
    UpstreamOutcomeUnknownError,
    ...UPSTREAM_ERRORS,
  ],
);
const CreateResult = resultUnion<Created>(
  "CreateDeviceRegistrationBatchResult",
  "The new job, or why not. InvalidBatchFileError: the file was refused before anything was sent, naming rows and columns.",
  {
    created: jobField<Created>(
      "DeviceRegistrationBatchCreated",
      "DigiCert accepted the file; the job runs in the background (watch it with batchJobStatusChanged).",
    ),
  },
  [
    ValidationError,
    InvalidBatchFileError,
    DeviceGroupNotFoundError,
    CertificatePolicyNotFoundError,
    UpstreamOutcomeUnknownError,
    ...UPSTREAM_ERRORS,
  ],
);
builder.mutationFields((t) => ({
  registerDevice: t.field({
    type: RegisterResult.ref,
    authScopes: devices,
    description:
      "Registers one device in Device Trust Manager. Checked before anything is sent; never resent.",
    args: { input: t.arg({ type: RegisterDeviceInput, required: true, description: "The device." }) },
    resolve: (_root, { input }, ctx) =>
      RegisterResult.run(async () => ({
        kind: "registered" as const,
        deviceId: await registerDevice(ctx, {
          name: input.name,
          deviceGroupId: deviceGroupIdOf(input.deviceGroupId, "input.deviceGroupId"),
          description: input.description ?? null,
          bootstrap: (input.bootstrap ?? []).map((entry, i) => ({
            certificatePolicyId: certificatePolicyIdOf(
              entry.certificatePolicyId,
              `input.bootstrap[${i}].certificatePolicyId`,
            ),
            csr: entry.csr ?? null,
            serverSideKeyGeneration: entry.serverSideKeyGeneration
              ? { keyType: entry.serverSideKeyGeneration.keyType ?? null }
              : null,
            attributes: entry.attributes ?? null,
          })),
        }),
      })),
  }),
  createDeviceRegistrationBatch: t.field({
    type: CreateResult.ref,
    authScopes: batchJobs,
    description:
      "Creates a Device Trust Manager batch registration job from a data file sent as a multipart upload (with the header x-graphql-csrf or Authorization), streamed to disk whatever its size. Checked before anything is sent: every field, the group and policy, and the whole file (header against the policy's template, every row, every CSR's signature, ZIP entries and sizes). Needs scopes batch-jobs and devices. Never resent.",
    args: {
      input: t.arg({
        type: CreateDeviceRegistrationBatchInput,
        required: true,
        description: "The job and its file.",
      }),
    },
    resolve: (_root, { input }, ctx) => {
      requireScope(ctx, SCOPES.devices);
      return CreateResult.run(async () => ({
        kind: "created" as const,
        jobId: await createDeviceRegistrationBatch(ctx, {
          name: input.name,
          deviceGroupId: deviceGroupIdOf(input.deviceGroupId, "input.deviceGroupId"),
          certificatePolicyId:
            input.certificatePolicyId != null
              ? certificatePolicyIdOf(input.certificatePolicyId, "input.certificatePolicyId")
              : null,
          file: input.file,
          serverSideKeyGeneration: input.serverSideKeyGeneration
            ? {
                encryptionCertificate: input.serverSideKeyGeneration.encryptionCertificate,
                keyType: input.serverSideKeyGeneration.keyType ?? null,
              }
            : null,
          keyType: input.keyType ?? null,
          emails: input.emails ?? null,
          externalEmails: input.externalEmails ?? null,
          passcodeGenerationOption: input.passcodeGenerationOption ?? null,
          passcode: input.passcode ?? null,
        }),
      }));
    },
  }),
}));

// ---------------------------------------------------------------------------------------------
// A device's lifecycle: disable, then delete [C: PATCH .../device/{id}/disable, then .../delete]
// ---------------------------------------------------------------------------------------------

type Disabled = { kind: "disabled"; deviceId: DtmDeviceId };
type Deleted = { kind: "deleted"; deviceId: DtmDeviceId };

const DeviceDisabledRef = builder.objectRef<Disabled>("DeviceDisabled").implement({
  description: "DigiCert disabled the device.",
  authScopes: devices,
  fields: (t) => ({
    deviceId: t.exposeString("deviceId", { description: "DigiCert's id of the device (a UUID)." }),
    device: t.field({
      type: DeviceRef,
      nullable: true,
      description: "The device now (status DISABLED), read when selected.",
      resolve: (r, _args, ctx) => ctx.loaders.device.load(r.deviceId),
    }),
  }),
});

const DeviceDeletedRef = builder.objectRef<Deleted>("DeviceDeleted").implement({
  description: "DigiCert deleted the device.",
  authScopes: devices,
  fields: (t) => ({
    deviceId: t.exposeString("deviceId", { description: "DigiCert's id of the deleted device (a UUID)." }),
  }),
});

const DEVICE_ID_ARG = `${DEVICE_ID} One DigiCert does not show these credentials is a DeviceNotFoundError.`;

const DisableDeviceInput = builder.inputType("DisableDeviceInput", {
  description: "A device to disable, and why.",
  fields: (t) => ({
    id: t.id({ required: true, description: DEVICE_ID_ARG }),
    reason: t.string({
      required: true,
      description: 'Why (DigiCert keeps it): 1 to 255 printable characters, e.g. "No longer needed".',
    }),
  }),
});

const DeleteDeviceInput = builder.inputType("DeleteDeviceInput", {
  description: "A disabled device to delete.",
  fields: (t) => ({ id: t.id({ required: true, description: DEVICE_ID_ARG }) }),
});

const DEVICE_CHANGE_ERRORS = [
  ValidationError,
  DeviceNotFoundError,
  UpstreamOutcomeUnknownError,
  ...UPSTREAM_ERRORS,
];

const DisableResult = resultUnion<Disabled>(
  "DisableDeviceResult",
  "The disabled device, or why not (DeviceNotFoundError: no such device for these credentials).",
  { disabled: DeviceDisabledRef },
  DEVICE_CHANGE_ERRORS,
);
const DeleteResult = resultUnion<Deleted>(
  "DeleteDeviceResult",
  "The deleted device's id, or why not (DeviceNotFoundError: no such device; ValidationError of input.id: DigiCert refused, e.g. a device not disabled first).",
  { deleted: DeviceDeletedRef },
  DEVICE_CHANGE_ERRORS,
);

/** A device id argument: a Device global id or DigiCert's UUID, checked before anything is sent. */
function deviceIdInput(id: string | number): DtmDeviceId {
  return deviceIdOf(id, "input.id");
}

builder.mutationFields((t) => ({
  disableDevice: t.field({
    type: DisableResult.ref,
    authScopes: devices,
    description:
      "Disables a device (it can then be deleted). The id and reason are checked before anything is sent; never resent.",
    args: { input: t.arg({ type: DisableDeviceInput, required: true, description: "The device and why." }) },
    resolve: (_root, { input }, ctx) =>
      DisableResult.run(async () => ({
        kind: "disabled" as const,
        deviceId: await disableDevice(ctx, deviceIdInput(input.id), input.reason),
      })),
  }),
  deleteDevice: t.field({
    type: DeleteResult.ref,
    authScopes: devices,
    description:
      "Deletes a device; DigiCert wants it disabled first (disableDevice). The id is checked before anything is sent; never resent.",
    args: { input: t.arg({ type: DeleteDeviceInput, required: true, description: "The device." }) },
    resolve: (_root, { input }, ctx) =>
      DeleteResult.run(async () => ({
        kind: "deleted" as const,
        deviceId: await deleteDevice(ctx, deviceIdInput(input.id)),
      })),
  }),
}));

decisionMutations({
  kind: "DTM_DEVICE_REGISTRATION",
  job: DtmBatchJobRef,
  load: (ctx, jobId) => ctx.loaders.dtmBatchJob.load(jobId),
  approve: {
    field: "approveDeviceRegistrationBatch",
    result: "ApproveDeviceRegistrationBatchResult",
    success: "DeviceRegistrationBatchApproved",
    successDescription: "DigiCert accepted the approval; the devices are registered.",
    description: "Approves a PENDING_APPROVAL device registration job. Never resent.",
  },
  reject: {
    field: "rejectDeviceRegistrationBatch",
    result: "RejectDeviceRegistrationBatchResult",
    success: "DeviceRegistrationBatchRejected",
    successDescription: "DigiCert accepted the rejection; no device is registered.",
    description: "Rejects a PENDING_APPROVAL device registration job; no device is registered. Never resent.",
  },
});
