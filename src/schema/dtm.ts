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
import { builder, nodeTypeNames } from "./builder.js";
import { ownId } from "./global-id.js";
import { resultUnion, UPSTREAM_ERRORS } from "./errors.js";
import { totalCountConnection, totalCountField } from "./pagination.js";

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
  values: DTM_KEY_TYPES,
});
const DeviceStatusEnum = builder.enumType("DeviceStatus", { values: DEVICE_STATUSES });
const DtmManagementMethodEnum = builder.enumType("DtmManagementMethod", { values: DTM_MANAGEMENT_METHODS });
const DeviceRegistrationStatusEnum = builder.enumType("DeviceRegistrationStatus", {
  description:
    "What happened to one row of a batch: SUCCESS (registered), FAILED, or REJECTED (the job was).",
  values: REGISTRATION_ROW_STATUSES,
});

// ---------------------------------------------------------------------------------------------
// Groups and certificate policies
// ---------------------------------------------------------------------------------------------

const TemplateColumnRef = builder.objectRef<TemplateColumn>("CsvTemplateColumn").implement({
  description: "A column of a certificate policy's batch CSV template.",
  fields: (t) => ({
    name: t.exposeString("name", {
      description: "e.g. device_name, subject.common_name, san.dns_name, csr.",
    }),
    required: t.exposeBoolean("required"),
    multiple: t.exposeBoolean("multiple", { description: "The column may appear more than once." }),
    clientSideOnly: t.exposeBoolean("clientSideOnly", { description: "Only with CSRs (the csr column)." }),
  }),
});

const CertificatePolicyRef = builder.objectRef<CertificatePolicy>("CertificatePolicy").implement({
  description: "A Device Trust Manager certificate (management) policy.",
  authScopes: devices,
  fields: (t) => ({
    id: t.exposeID("id", {
      description: "DigiCert's id, IOT_<uuid>; what certificatePolicyId arguments take.",
    }),
    policyId: t.exposeString("id", { description: "DigiCert's id, IOT_<uuid>; the same as id." }),
    name: t.string({ nullable: true, description: UNREADABLE_NAME, resolve: (p) => readField(p, "name") }),
    status: t.exposeString("status"),
    managementMethods: t.field({ type: [DtmManagementMethodEnum], resolve: (p) => p.managementMethods }),
    clientSideKeyGeneration: t.exposeBoolean("clientSideKeyGeneration", {
      description: "Batches may carry CSRs.",
    }),
    serverSideKeyGeneration: t.exposeBoolean("serverSideKeyGeneration", {
      description: "DigiCert may generate the keys.",
    }),
    allowedKeyTypes: t.field({ type: [DtmKeyTypeEnum], resolve: (p) => p.allowedKeyTypes }),
    defaultKeyType: t.field({ type: DtmKeyTypeEnum, nullable: true, resolve: (p) => p.defaultKeyType }),
    approvalRequired: t.exposeBoolean("approvalRequired", {
      description: "Batch jobs wait in PENDING_APPROVAL after processing until approved.",
    }),
    templateColumns: t.field({ type: [TemplateColumnRef], resolve: (p) => p.templateColumns }),
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

const DeviceGroupRef = builder.objectRef<DeviceGroup>("DeviceGroup").implement({
  description: "A Device Trust Manager device group.",
  authScopes: devices,
  fields: (t) => ({
    id: t.exposeID("id", { description: "DigiCert's id (a UUID); what deviceGroupId arguments take." }),
    groupId: t.exposeString("id", { description: "DigiCert's id (a UUID); the same as id." }),
    name: t.string({ nullable: true, description: UNREADABLE_NAME, resolve: (g) => readField(g, "name") }),
    description: t.exposeString("description", { nullable: true }),
    deviceCount: t.exposeInt("deviceCount", { nullable: true }),
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
    fields: (t) => ({ name: t.exposeString("name"), value: t.exposeString("value") }),
  });

const BootstrapRef = builder.objectRef<Device["bootstrap"][number]>("DeviceBootstrapPolicy").implement({
  description: "A certificate policy the device was registered with.",
  fields: (t) => ({
    certificatePolicyId: t.exposeString("certificatePolicyId"),
    serverSideKeyGeneration: t.exposeBoolean("serverSideKeyGeneration"),
    keyType: t.field({ type: DtmKeyTypeEnum, nullable: true, resolve: (b) => b.keyType }),
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
      fileName: t.exposeString("fileName"),
    }),
  });

export const DeviceRef = builder.objectRef<Device>("Device");
nodeTypeNames.add("Device");

builder.node(DeviceRef, {
  description: "A device registered in Device Trust Manager.",
  authScopes: devices,
  id: { resolve: (d) => d.id, parse: (id) => parseDtmDeviceId(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.devices);
    return ctx.loaders.device.load(id);
  },
  fields: (t) => ({
    deviceId: t.exposeString("id", { description: "DigiCert's id (a UUID)." }),
    name: t.exposeString("name", { nullable: true }),
    description: t.exposeString("description", { nullable: true }),
    status: t.field({ type: DeviceStatusEnum, resolve: (d) => d.status }),
    deviceGroupId: t.exposeString("deviceGroupId", { nullable: true }),
    deviceGroup: t.field({
      type: DeviceGroupRef,
      nullable: true,
      description: "Read when selected (once per group per request).",
      resolve: (d, _args, ctx) => (d.deviceGroupId ? ctx.loaders.deviceGroup.load(d.deviceGroupId) : null),
    }),
    registrationMethod: t.field({
      type: DtmManagementMethodEnum,
      nullable: true,
      resolve: (d) => d.registrationMethod,
    }),
    bootstrap: t.field({ type: [BootstrapRef], resolve: (d) => d.bootstrap }),
    batchJobId: t.exposeString("batchJobId", {
      nullable: true,
      description: "The batch job that registered it, if one did.",
    }),
    createdAt: t.field({ type: "DateTime", nullable: true, resolve: (d) => d.createdAt }),
    updatedAt: t.field({ type: "DateTime", nullable: true, resolve: (d) => d.updatedAt }),
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
    deviceName: t.exposeString("deviceName", { nullable: true }),
    status: t.field({ type: DeviceRegistrationStatusEnum, resolve: (r) => r.status }),
    deviceId: t.exposeString("deviceId", {
      nullable: true,
      description: "Set when the row registered a device.",
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
  description: "A Device Trust Manager batch device registration job.",
  interfaces: [BatchJobInterface],
  authScopes: batchJobs,
  isTypeOf: (value) => (value as Partial<DtmBatchJob> | null)?.kind === "DTM_DEVICE_REGISTRATION",
  id: { resolve: (job) => job.id, parse: (id) => parseDtmBatchJobId(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.batchJobs);
    return ctx.loaders.dtmBatchJob.load(id);
  },
  fields: (t) => ({
    deviceGroupId: t.exposeString("deviceGroupId", { nullable: true }),
    deviceGroupName: t.exposeString("deviceGroupName", { nullable: true }),
    certificatePolicyId: t.exposeString("certificatePolicyId", { nullable: true }),
    certificatePolicyName: t.exposeString("certificatePolicyName", { nullable: true }),
    approvalRequired: t.exposeBoolean("approvalRequired", {
      description: "The job waits in PENDING_APPROVAL after processing.",
    }),
    serverSideKeyGeneration: t.exposeBoolean("serverSideKeyGeneration", { nullable: true }),
    keyType: t.field({ type: DtmKeyTypeEnum, nullable: true, resolve: (job) => job.keyType }),
    fileName: t.exposeString("fileName", { nullable: true, description: "The uploaded file's name." }),
    fileSize: t.exposeInt("fileSize", { nullable: true, description: "Bytes." }),
    startedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.startedAt }),
    processedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.processedAt }),
    approvedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.approvedAt }),
    rejectedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.rejectedAt }),
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

const DeviceFilterInput = builder.inputType("DeviceFilter", {
  fields: (t) => ({
    name: t.string({ description: "Exact, case-insensitive." }),
    deviceGroupId: t.string(),
    statuses: t.field({ type: [DeviceStatusEnum] }),
  }),
});

const BatchJobFilterInput = builder.inputType("BatchJobFilter", {
  fields: (t) => ({
    kind: t.field({
      type: BatchJobKindEnum,
      description:
        "Default DTM_DEVICE_REGISTRATION, the only kind DigiCert lists: IoT Trust Manager has no job listing (read IoT jobs by id).",
    }),
    statuses: t.field({ type: [BatchJobStatusEnum] }),
    deviceGroupId: t.string(),
  }),
});

builder.queryFields((t) => ({
  deviceGroups: t.field({
    type: [DeviceGroupRef],
    authScopes: devices,
    description: "The device groups these credentials can use (the first 100).",
    resolve: (_root, _args, ctx) => listDeviceGroups(ctx),
  }),
  deviceGroup: t.field({
    type: DeviceGroupRef,
    nullable: true,
    authScopes: devices,
    args: { id: t.arg.string({ required: true, description: "The group's id (a UUID)." }) },
    resolve: (_root, { id }, ctx) => ctx.loaders.deviceGroup.load(parseDtmDeviceGroupId(id, "id")),
  }),
  certificatePolicy: t.field({
    type: CertificatePolicyRef,
    nullable: true,
    authScopes: devices,
    args: { id: t.arg.string({ required: true, description: "IOT_<uuid>." }) },
    resolve: (_root, { id }, ctx) =>
      ctx.loaders.certificatePolicy.load(parseDtmCertificatePolicyId(id, "id")),
  }),
  device: t.field({
    type: DeviceRef,
    nullable: true,
    authScopes: devices,
    args: {
      id: t.arg.id({ required: true, description: "The device's global id, or DigiCert's id (a UUID)." }),
    },
    resolve: (_root, { id }, ctx) =>
      ctx.loaders.device.load(parseDtmDeviceId(ownId(String(id), "Device"), "id")),
  }),
  devices: t.connection(
    {
      type: DeviceRef,
      authScopes: devices,
      description: "Devices matching the filter, newest first; at most 100 a page.",
      args: { filter: t.arg({ type: DeviceFilterInput }) },
      resolve: async (_root, args, ctx) => {
        const filter = args.filter ?? {};
        return totalCountConnection(
          args,
          MAX_PAGE,
          listDevices(ctx, {
            name: filter.name ?? null,
            deviceGroupId:
              filter.deviceGroupId != null
                ? parseDtmDeviceGroupId(filter.deviceGroupId, "filter.deviceGroupId")
                : null,
            statuses: filter.statuses ?? null,
          }),
        );
      },
    },
    totalCountField({ nullable: true }),
  ),
  batchJobs: t.connection(
    {
      type: BatchJobInterface,
      authScopes: batchJobs,
      description: "Device Trust Manager batch jobs matching the filter, newest first; at most 100 a page.",
      args: { filter: t.arg({ type: BatchJobFilterInput }) },
      resolve: async (_root, args, ctx) => {
        const filter = (args.filter ?? {}) as {
          kind?: string | null;
          statuses?: string[] | null;
          deviceGroupId?: string | null;
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
                ? parseDtmDeviceGroupId(filter.deviceGroupId, "filter.deviceGroupId")
                : null,
          }),
        );
      },
    },
    totalCountField({ nullable: true }),
  ),
}));

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

const AttributeInput = builder.inputType("DeviceAttributeInput", {
  fields: (t) => ({
    name: t.string({
      required: true,
      description: "A template column, e.g. subject.common_name or san.dns_name.",
    }),
    value: t.string({ required: true }),
  }),
});

const DeviceServerSideKeyGenerationInput = builder.inputType("DeviceServerSideKeyGenerationInput", {
  fields: (t) => ({
    keyType: t.field({ type: DtmKeyTypeEnum, description: "Absent: the policy's default." }),
  }),
});

const DeviceBootstrapInput = builder.inputType("DeviceBootstrapInput", {
  description: "A certificate policy for the device: with its CSR, or with serverSideKeyGeneration.",
  fields: (t) => ({
    certificatePolicyId: t.string({ required: true, description: "IOT_<uuid>." }),
    csr: t.string({ description: "PEM PKCS#10; its signature is verified before anything is sent." }),
    serverSideKeyGeneration: t.field({ type: DeviceServerSideKeyGenerationInput }),
    attributes: t.field({ type: [AttributeInput] }),
  }),
});

const RegisterDeviceInput = builder.inputType("RegisterDeviceInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique in the group (case-insensitive)." }),
    deviceGroupId: t.string({ required: true }),
    description: t.string(),
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
  fields: (t) => ({
    name: t.string({ required: true, description: "The job's name." }),
    deviceGroupId: t.string({ required: true }),
    certificatePolicyId: t.string({ description: "IOT_<uuid>. Absent: the group's only BATCH policy." }),
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
    passcodeGenerationOption: t.boolean(),
    passcode: t.string({ description: "4 to 64 printable characters; never echoed or logged." }),
  }),
});

type Registered = { kind: "registered"; deviceId: DtmDeviceId };
type Created = { kind: "created"; jobId: DtmBatchJobId };

const DeviceRegisteredRef = builder.objectRef<Registered>("DeviceRegistered").implement({
  authScopes: devices,
  fields: (t) => ({
    deviceId: t.exposeString("deviceId"),
    device: t.field({
      type: DeviceRef,
      nullable: true,
      description: "Read when selected.",
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
    args: { input: t.arg({ type: RegisterDeviceInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      RegisterResult.run(async () => ({
        kind: "registered" as const,
        deviceId: await registerDevice(ctx, {
          name: input.name,
          deviceGroupId: parseDtmDeviceGroupId(input.deviceGroupId, "input.deviceGroupId"),
          description: input.description ?? null,
          bootstrap: (input.bootstrap ?? []).map((entry, i) => ({
            certificatePolicyId: parseDtmCertificatePolicyId(
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
    args: { input: t.arg({ type: CreateDeviceRegistrationBatchInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      requireScope(ctx, SCOPES.devices);
      return CreateResult.run(async () => ({
        kind: "created" as const,
        jobId: await createDeviceRegistrationBatch(ctx, {
          name: input.name,
          deviceGroupId: parseDtmDeviceGroupId(input.deviceGroupId, "input.deviceGroupId"),
          certificatePolicyId:
            input.certificatePolicyId != null
              ? parseDtmCertificatePolicyId(input.certificatePolicyId, "input.certificatePolicyId")
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
    deviceId: t.exposeString("deviceId"),
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
  fields: (t) => ({ deviceId: t.exposeString("deviceId") }),
});

const DEVICE_ID_ARG =
  "The device's global id, or DigiCert's id (a UUID). One DigiCert does not show these credentials is a DeviceNotFoundError.";

const DisableDeviceInput = builder.inputType("DisableDeviceInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: DEVICE_ID_ARG }),
    reason: t.string({
      required: true,
      description: 'Why (DigiCert keeps it): 1 to 255 printable characters, e.g. "No longer needed".',
    }),
  }),
});

const DeleteDeviceInput = builder.inputType("DeleteDeviceInput", {
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
  return parseDtmDeviceId(ownId(String(id), "Device"), "input.id");
}

builder.mutationFields((t) => ({
  disableDevice: t.field({
    type: DisableResult.ref,
    authScopes: devices,
    description:
      "Disables a device (it can then be deleted). The id and reason are checked before anything is sent; never resent.",
    args: { input: t.arg({ type: DisableDeviceInput, required: true }) },
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
    args: { input: t.arg({ type: DeleteDeviceInput, required: true }) },
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
