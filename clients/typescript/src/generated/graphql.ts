/* eslint-disable */
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A date and time, RFC 3339 (section 5.6), e.g. 2025-01-31T12:00:00.000Z: always UTC, to the millisecond, on output; any offset on input. DigiCert's own times are to the second. */
  DateTime: { input: string; output: string; }
  /** An uploaded file (input only): a part of a multipart/form-data request, per the GraphQL multipart request spec; send it with the header x-graphql-csrf (or Authorization). Streamed to a temporary file, never held in memory. */
  File: { input: File | Blob; output: never; }
  /** A certificate serial number (RFC 5280 section 4.1.2.2, a positive integer of at most 20 octets) in hexadecimal. Input: 1 to 40 hex characters in any case, or hex bytes separated by colons or spaces; normalised to DigiCert's form, uppercase hex without separators (e.g. 0F6FA1), which is what outputs always are. */
  SerialNumber: { input: string; output: string; }
  /** A UUID (RFC 9562, which obsoletes RFC 4122) in its 36-character hyphenated form, e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6; any case on input, lowercase on output. */
  UUID: { input: string; output: string; }
};

/** The certificate is already revoked. */
export type AlreadyRevokedError = Error & {
  __typename?: 'AlreadyRevokedError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
  /** The certificate's serial number (or IoT certificate id), as asked for. */
  serialNumber: Scalars['String']['output'];
};

/** The approved job, or why not (RequestNotFoundError: no such job; ValidationError: not PENDING_APPROVAL). */
export type ApproveDeviceRegistrationBatchResult = DeviceRegistrationBatchApproved | RequestNotFoundError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** The approved job, or why not (RequestNotFoundError: no such job; ValidationError: not PENDING_APPROVAL). */
export type ApproveIotBatchJobResult = IotBatchJobApproved | RequestNotFoundError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** The basic constraints extension (RFC 5280 section 4.2.1.9). */
export type BasicConstraints = {
  __typename?: 'BasicConstraints';
  /** Whether the certificate is a CA's. */
  ca: Scalars['Boolean']['output'];
  /** Whether the extension is marked critical. */
  critical: Scalars['Boolean']['output'];
  /** pathLenConstraint: how many CA certificates may follow it in a chain; null: no limit. */
  pathLength?: Maybe<Scalars['Int']['output']>;
};

/** JSON: read `certificates` and `chain` here (or the file). PEM / DER: a ZIP of files, or for server-side keys a P7M (CMS EnvelopedData for the encryption certificate) holding that ZIP and the keys. */
export type BatchCertificateFormat =
  /** A ZIP of DER files (server-side keys: a P7M holding that ZIP and the keys); download it. */
  | 'DER'
  /** One JSON file: read `certificates` and `chain` on the job, or download it. */
  | 'JSON'
  /** A ZIP of PEM files (server-side keys: a P7M holding that ZIP and the keys); download it. */
  | 'PEM';

/** One thing wrong with an uploaded batch file, and where. */
export type BatchFileProblem = {
  __typename?: 'BatchFileProblem';
  /** The CSV column (template name). */
  column?: Maybe<Scalars['String']['output']>;
  /** The ZIP entry, for a ZIP. */
  entry?: Maybe<Scalars['String']['output']>;
  /** What is wrong there, in English. */
  message: Scalars['String']['output'];
  /** The data row, from 1 (the first row after the header), as in the job report; null: the file. */
  row?: Maybe<Scalars['Int']['output']>;
};

/** A job that works through many items in the background: IoT batch enrollment (IotBatchJob) or Device Trust Manager batch registration (DtmBatchJob). */
export type BatchJob = {
  /** When it reached a terminal status; null before then. */
  completedAt?: Maybe<Scalars['DateTime']['output']>;
  /** When it was created, as DigiCert reports it. */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** Rows that failed so far (DigiCert's `failed`). */
  failedCount?: Maybe<Scalars['Int']['output']>;
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
  /** DigiCert's id of the job (a UUID); what job id arguments take besides `id`. */
  jobId: Scalars['String']['output'];
  /** Which product runs it. */
  kind: BatchJobKind;
  /** The job's name; null when it has none. */
  name?: Maybe<Scalars['String']['output']>;
  /** Why the job or its rows failed. */
  report: BatchJobReport;
  /** Where it is. */
  status: BatchJobStatus;
  /** Rows done so far (certificates issued, devices registered; DigiCert's `success`). */
  successCount?: Maybe<Scalars['Int']['output']>;
  /** Rows (or files) in the job, as DigiCert counts them (`total`); null until DigiCert says. */
  totalCount?: Maybe<Scalars['Int']['output']>;
  /** When it last changed, as DigiCert reports it. */
  updatedAt?: Maybe<Scalars['DateTime']['output']>;
};

/** A page of batch jobs. */
export type BatchJobConnection = {
  __typename?: 'BatchJobConnection';
  /** The page's items, each with its cursor, in order. */
  edges: Array<BatchJobEdge>;
  /** Whether more pages follow, and the cursors to read them. */
  pageInfo: PageInfo;
  /** How many items match across all pages, as DigiCert counts them (its `total`); null when DigiCert's answer carries no total. */
  totalCount?: Maybe<Scalars['Int']['output']>;
};

/** The job's file, fetched through the gateway (streamed from DigiCert): GET `url` with the same `Authorization` header as GraphQL. */
export type BatchJobDownload = {
  __typename?: 'BatchJobDownload';
  /** application/json, application/zip, or application/pkcs7-mime (server-side PEM/DER). */
  contentType: Scalars['String']['output'];
  /** The file name the download is served under. */
  fileName: Scalars['String']['output'];
  /** The gateway's download route, relative to the GraphQL endpoint's origin. */
  url: Scalars['String']['output'];
};

/** An edge of BatchJobConnection: one item and its cursor. */
export type BatchJobEdge = {
  __typename?: 'BatchJobEdge';
  /** Opaque: pass it as `after` to read the items that follow this one. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: BatchJob;
};

/** All given fields must match; each is one of Device Trust Manager's job list filters. */
export type BatchJobFilter = {
  /** Jobs registering devices in this group. The DeviceGroup's global id (`DeviceGroup.id`), or DigiCert's id (`groupId`, a UUID); checked before any upstream call. */
  deviceGroupId?: InputMaybe<Scalars['ID']['input']>;
  /** Default DTM_DEVICE_REGISTRATION, the only kind DigiCert lists: IoT Trust Manager has no job listing (read IoT jobs by id). */
  kind?: InputMaybe<BatchJobKind>;
  /** Any of these Device Trust Manager job statuses (not APPROVED or UNKNOWN, which it has not). */
  statuses?: InputMaybe<Array<BatchJobStatus>>;
};

/** Which product's job this is. */
export type BatchJobKind =
  /** Device Trust Manager batch device registration. */
  | 'DTM_DEVICE_REGISTRATION'
  /** IoT Trust Manager batch enrollment. */
  | 'IOT_ENROLLMENT';

/** What went wrong, as DigiCert reports it on the job. */
export type BatchJobReport = {
  __typename?: 'BatchJobReport';
  /** Why the whole job failed (FAILED jobs). */
  failureReason?: Maybe<Scalars['String']['output']>;
  /** The failed rows. IoT jobs: those DigiCert lists on the job (the first 100 or so). Device Trust Manager jobs: from the job's report, once every row is processed (empty before then; null, with an error, when the report cannot be read). */
  rowErrors?: Maybe<Array<BatchJobRowError>>;
};

/** One input row (or file) that failed. */
export type BatchJobRowError = {
  __typename?: 'BatchJobRowError';
  /** DigiCert's reason (job data). */
  message: Scalars['String']['output'];
  /** The row or file, e.g. "Line #0000002" or a CSR's file name. */
  uniqueIdentifier: Scalars['String']['output'];
};

/** IoT jobs: PENDING_APPROVAL (the profile needs approval) or APPROVED at creation, then IN_PROGRESS, then COMPLETE (at least one certificate issued; failed rows counted) or FAILED; REJECTED after rejection. Device Trust Manager jobs: PENDING, IN_PROGRESS, then COMPLETE or FAILED, or PENDING_APPROVAL after processing (approval policies) until approved (COMPLETE) or rejected (PENDING_REJECTION, REJECTION_IN_PROGRESS, REJECTED); TERMINATED if stopped. Terminal: COMPLETE, FAILED, TERMINATED, REJECTED. UNKNOWN: a status this gateway does not know. */
export type BatchJobStatus =
  /** IoT: approved (or needing no approval), about to run. */
  | 'APPROVED'
  /** Done (IoT: at least one certificate issued; failed rows are counted). Terminal. */
  | 'COMPLETE'
  /** The whole job failed (report.failureReason says why). Terminal. */
  | 'FAILED'
  /** Processing its rows. */
  | 'IN_PROGRESS'
  /** Device Trust Manager: accepted, not yet processing. */
  | 'PENDING'
  /** Waiting for approveIotBatchJob / approveDeviceRegistrationBatch (IoT: before processing; Device Trust Manager: after). */
  | 'PENDING_APPROVAL'
  /** Device Trust Manager: a rejection is queued. */
  | 'PENDING_REJECTION'
  /** Rejected: nothing was issued or registered. Terminal. */
  | 'REJECTED'
  /** Device Trust Manager: the rejection is being carried out. */
  | 'REJECTION_IN_PROGRESS'
  /** Device Trust Manager: stopped. Terminal. */
  | 'TERMINATED'
  /** A status DigiCert added since this gateway was written; the job's other fields stand. */
  | 'UNKNOWN';

/** A DigiCert ONE business unit (`business_unit`), which owns profiles and certificates. */
export type BusinessUnit = {
  __typename?: 'BusinessUnit';
  /** DigiCert's id of the business unit; what CertificateFilter.businessUnitId takes. */
  businessUnitId: Scalars['String']['output'];
  /** Its name; null when DigiCert sent none. */
  name?: Maybe<Scalars['String']['output']>;
};

/** A certificate issued through Trust Lifecycle Manager (GET /mpki/api/v1/certificate/{serial}, or a certificate-search item). Its global id is made of its serial number. Needs scope certificates:read. */
export type Certificate = Node & {
  __typename?: 'Certificate';
  /** The DigiCert ONE account the certificate belongs to (`account.id`). */
  accountId?: Maybe<Scalars['String']['output']>;
  /** The business unit it belongs to; null when DigiCert names none. */
  businessUnit?: Maybe<BusinessUnit>;
  /** End-entity to root (additional-formats); fetched only when selected. Null, with this field's error, when that read fails. */
  chain?: Maybe<Array<ChainCertificate>>;
  /** The subject's common name as DigiCert reports it (`common_name`). */
  commonName?: Maybe<Scalars['String']['output']>;
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
  /** The issuing CA's id (`ica.id`); filter with `issuingCaId`. */
  issuingCaId?: Maybe<Scalars['String']['output']>;
  /** The issuing CA's name as DigiCert reports it (`issuing_ca_name`). */
  issuingCaName?: Maybe<Scalars['String']['output']>;
  /** DigiCert's notes on the certificate. */
  notes?: Maybe<Scalars['String']['output']>;
  /** The end-entity certificate, PEM (DigiCert sends PEM or bare base64 DER; both come out as PEM). Null, with an UPSTREAM_INVALID_RESPONSE error on this field alone, when DigiCert sent no certificate (a search item has one only once issued) or one in neither form. */
  pem?: Maybe<Scalars['String']['output']>;
  /** PKCS#7 (PEM) of the certificate and its chain (additional-formats); fetched only when selected. */
  pkcs7?: Maybe<Scalars['String']['output']>;
  /** The profile it was issued under (one upstream read per distinct profile per request); null when DigiCert names none or it no longer exists. */
  profile?: Maybe<Profile>;
  /** How it was revoked or suspended; null when it is not. */
  revocation?: Maybe<Revocation>;
  /** The seat that owns it; null when DigiCert names none. */
  seat?: Maybe<Seat>;
  /** DigiCert's overall security rating of the certificate (`cert_security_rating`), e.g. Secure. */
  securityRating?: Maybe<Scalars['String']['output']>;
  /** The serial number, DigiCert's id of a TLM certificate: uppercase hex, as DigiCert prints it. */
  serialNumber: Scalars['SerialNumber']['output'];
  /** Its status in DigiCert. */
  status: CertificateStatus;
  /** The certificate template its profile uses (`template_name`). */
  templateName?: Maybe<Scalars['String']['output']>;
  /** SHA-256 of the DER as DigiCert reports it (`thumbprint`), uppercase hex. */
  thumbprint?: Maybe<Scalars['String']['output']>;
  /** Start of validity as DigiCert reports it (`valid_from`). */
  validFrom?: Maybe<Scalars['DateTime']['output']>;
  /** End of validity as DigiCert reports it (`valid_to`). */
  validTo?: Maybe<Scalars['DateTime']['output']>;
  /** Parsed from `pem`; no upstream call. Null, with an UPSTREAM_INVALID_RESPONSE error on this field alone, when there is no certificate or it does not parse: the certificate's other fields are still served. */
  x509?: Maybe<X509Certificate>;
};

/** A page of TLM certificates (certificate-search). */
export type CertificateConnection = {
  __typename?: 'CertificateConnection';
  /** The page's items, each with its cursor, in order. */
  edges: Array<CertificateEdge>;
  /** Whether more pages follow, and the cursors to read them. */
  pageInfo: PageInfo;
  /** How many certificates match across all pages: certificate-search's `total`, which DigiCert always sends. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of CertificateConnection: one item and its cursor. */
export type CertificateEdge = {
  __typename?: 'CertificateEdge';
  /** Opaque: pass it as `after` to read the items that follow this one. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: Certificate;
};

/** All given fields must match; each is one of DigiCert's certificate-search filters, so a page is one upstream call. Certificates expiring in the next 30 days: `{ expiresBefore: <now + 30 days>, statuses: [ISSUED] }`. */
export type CertificateFilter = {
  /** The issuing CA's key identifier (the certificates' AKI), hex (colons allowed). */
  authorityKeyIdentifier?: InputMaybe<Scalars['String']['input']>;
  /** The business unit's id. */
  businessUnitId?: InputMaybe<Scalars['UUID']['input']>;
  /** The business unit's name. */
  businessUnitName?: InputMaybe<Scalars['String']['input']>;
  /** The subject's common name, as DigiCert's search matches it. */
  commonName?: InputMaybe<Scalars['String']['input']>;
  /** Only certificates whose validTo is at or before this (DigiCert's valid_to, to the second). */
  expiresBefore?: InputMaybe<Scalars['DateTime']['input']>;
  /** Only certificates whose validFrom is at or after this (DigiCert's valid_from, to the second). DigiCert's search has no upper bound on validFrom and no lower bound on validTo. */
  issuedAfter?: InputMaybe<Scalars['DateTime']['input']>;
  /** The issuing CA's id, as `Certificate.issuingCaId`. */
  issuingCaId?: InputMaybe<Scalars['String']['input']>;
  /** The issuing CA's name, as `Certificate.issuingCaName`. */
  issuingCaName?: InputMaybe<Scalars['String']['input']>;
  /** The issuing CA certificate's serial. */
  issuingCaSerialNumber?: InputMaybe<Scalars['SerialNumber']['input']>;
  /** The Profile's global id (`Profile.id`), or DigiCert's id (`profileId`, a UUID); checked before any upstream call. */
  profileId?: InputMaybe<Scalars['ID']['input']>;
  /** The owning seat's id (`Seat.seatId`), exact. */
  seatId?: InputMaybe<Scalars['String']['input']>;
  /** The owning seat's type. */
  seatType?: InputMaybe<SeatType>;
  /** One serial number. */
  serialNumber?: InputMaybe<Scalars['SerialNumber']['input']>;
  /** One status; see `statuses` for several. */
  status?: InputMaybe<CertificateSearchStatus>;
  /** Any of these statuses (not with `status`). EXPIRED: past validTo, unless revoked. */
  statuses?: InputMaybe<Array<CertificateSearchStatus>>;
  /** SHA-256 of the DER, hex (colons allowed). */
  thumbprint?: InputMaybe<Scalars['String']['input']>;
};

/** DigiCert issued the certificate. Returned whenever DigiCert's answer carries a serial number, whatever else in it could not be read: the certificate exists. */
export type CertificateIssued = {
  __typename?: 'CertificateIssued';
  /** The certificate's details (one upstream read, only when selected). Null with this field's error when that read fails; serialNumber is still served. */
  certificate?: Maybe<Certificate>;
  /** As DigiCert delivered it (or, when its answer does not say, as requested). */
  deliveryFormat: DeliveryFormat;
  /** X509 delivery: the certificate, then the chain when includeCaChain, PEM (normalised from PEM or bare base64). Null for PKCS7 delivery (see pkcs7); null with an UPSTREAM_INVALID_RESPONSE error on this field alone when DigiCert's text is unreadable (read `certificate` instead). */
  pem?: Maybe<Scalars['String']['output']>;
  /** PKCS7 delivery: the PKCS#7 bundle, PEM. Null for X509 delivery; null with an UPSTREAM_INVALID_RESPONSE error on this field alone when unreadable. */
  pkcs7?: Maybe<Scalars['String']['output']>;
  /** The new certificate's serial number, from DigiCert's answer. */
  serialNumber: Scalars['SerialNumber']['output'];
};

/** No certificate has this serial number (or IoT certificate id). */
export type CertificateNotFoundError = Error & {
  __typename?: 'CertificateNotFoundError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
  /** What was asked for: a serial number (uppercase hex), or for IoT certificates DigiCert's certificate id. */
  serialNumber: Scalars['String']['output'];
};

/** The request awaits approval; call pickupCertificate with requestId and profileId later. */
export type CertificatePending = {
  __typename?: 'CertificatePending';
  /** The profile (one upstream read, when selected); null when it no longer exists. */
  profile?: Maybe<Profile>;
  /** DigiCert's id of the profile (a UUID); what pickupCertificate's profileId takes. */
  profileId: Scalars['String']['output'];
  /** DigiCert's id of the pending request; what pickupCertificate's requestId takes. */
  requestId: Scalars['String']['output'];
};

/** A Device Trust Manager certificate (management) policy (GET /devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy/{id}): how devices under it get certificates. Needs scope devices. */
export type CertificatePolicy = Node & {
  __typename?: 'CertificatePolicy';
  /** Key types for CSRs and server-side keys; empty when DigiCert lists none. */
  allowedKeyTypes: Array<DtmKeyType>;
  /** Batch jobs wait in PENDING_APPROVAL after processing until approved. */
  approvalRequired: Scalars['Boolean']['output'];
  /** Batches may carry CSRs. */
  clientSideKeyGeneration: Scalars['Boolean']['output'];
  /** The batch CSV template (its header row), as DigiCert serves it. One upstream call; null (with an error) when DigiCert serves none, e.g. for a policy without BATCH. */
  csvTemplate?: Maybe<Scalars['String']['output']>;
  /** The server-side key type when a request names none. */
  defaultKeyType?: Maybe<DtmKeyType>;
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
  /** How devices may be registered with it. */
  managementMethods: Array<DtmManagementMethod>;
  /** Its name. Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's could not be read. */
  name?: Maybe<Scalars['String']['output']>;
  /** DigiCert's id, IOT_<uuid>; what certificate policy id arguments take besides `id`. */
  policyId: Scalars['String']['output'];
  /** DigiCert may generate the keys. */
  serverSideKeyGeneration: Scalars['Boolean']['output'];
  /** Whether it is in use. */
  status: CertificatePolicyStatus;
  /** The batch CSV template's columns: required, then optional, then client-side extras (csr). */
  templateColumns: Array<CsvTemplateColumn>;
};


/** A Device Trust Manager certificate (management) policy (GET /devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy/{id}): how devices under it get certificates. Needs scope devices. */
export type CertificatePolicyCsvTemplateArgs = {
  serverSideKeyGeneration?: InputMaybe<Scalars['Boolean']['input']>;
};

/** The certificate policy does not exist or is not available to this gateway. */
export type CertificatePolicyNotFoundError = Error & {
  __typename?: 'CertificatePolicyNotFoundError';
  /** DigiCert's id of the policy (IOT_<uuid>). */
  certificatePolicyId: Scalars['String']['output'];
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** A certificate policy's status in Device Trust Manager (its `status`, any case). */
export type CertificatePolicyStatus =
  /** In use: devices can be registered with it. */
  | 'ACTIVE'
  /** Not in use: DigiCert refuses registrations with it. */
  | 'INACTIVE'
  /** A status DigiCert added since this gateway was written. */
  | 'UNKNOWN';

/** DigiCert took the certificate off hold. */
export type CertificateResumed = {
  __typename?: 'CertificateResumed';
  /** The certificate as DigiCert reports it after resuming. */
  certificate?: Maybe<Certificate>;
  /** The resumed certificate's serial number. */
  serialNumber: Scalars['SerialNumber']['output'];
};

/** DigiCert accepted the revocation. */
export type CertificateRevoked = {
  __typename?: 'CertificateRevoked';
  /** The certificate as DigiCert reports it after the revocation. */
  certificate?: Maybe<Certificate>;
  /** The revoked certificate's serial number. */
  serialNumber: Scalars['SerialNumber']['output'];
};

/** The statuses TLM's certificate-search filters by (its `status`): CertificateStatus without PENDING and UNKNOWN, which DigiCert cannot search by. */
export type CertificateSearchStatus =
  /** Past validTo, unless revoked. */
  | 'EXPIRED'
  /** Issued and valid. */
  | 'ISSUED'
  /** Revoked. */
  | 'REVOKED'
  /** On hold (CERTIFICATE_HOLD). */
  | 'SUSPENDED';

/** A certificate's status as DigiCert reports it (TLM's and IoT Trust Manager's `status`, any case), for certificates of both products. Filters take the subsets DigiCert searches by: CertificateSearchStatus (TLM) and DeviceCertificateSearchStatus (IoT). */
export type CertificateStatus =
  /** Past its validTo, not revoked. */
  | 'EXPIRED'
  /** Issued and valid. */
  | 'ISSUED'
  /** Requested, awaiting approval or issuance. */
  | 'PENDING'
  /** Revoked (revocation says when and why). */
  | 'REVOKED'
  /** On hold (revoked with CERTIFICATE_HOLD); resumeCertificate takes it off hold. */
  | 'SUSPENDED'
  /** A status DigiCert added since this gateway was written; the certificate's other fields stand. */
  | 'UNKNOWN';

/** A CA certificate of a chain, as DigiCert sends it. */
export type ChainCertificate = {
  __typename?: 'ChainCertificate';
  /** Its common name as DigiCert reports it; null when DigiCert sent none (see x509.subject). */
  commonName?: Maybe<Scalars['String']['output']>;
  /** PEM (normalised when DigiCert sent PEM or bare base64; as sent when it is neither). */
  pem: Scalars['String']['output'];
  /** Parsed from `pem`. Null, with an UPSTREAM_INVALID_RESPONSE error on this field alone, when it is not a certificate. */
  x509?: Maybe<X509Certificate>;
};

/** A batch registration job (DigiCert's multipart POST .../certificate-batch-service/api/v1/jobs). */
export type CreateDeviceRegistrationBatchInput = {
  /** Absent: the group's only BATCH policy. The CertificatePolicy's global id (`CertificatePolicy.id`), or DigiCert's id (`policyId`, IOT_<uuid>); checked before any upstream call. */
  certificatePolicyId?: InputMaybe<Scalars['ID']['input']>;
  /** The group the devices join. The DeviceGroup's global id (`DeviceGroup.id`), or DigiCert's id (`groupId`, a UUID); checked before any upstream call. */
  deviceGroupId: Scalars['ID']['input'];
  /** Who is told about the job (at most 50). */
  emails?: InputMaybe<Array<Scalars['String']['input']>>;
  /** External recipients of the results (at most 50). */
  externalEmails?: InputMaybe<Array<Scalars['String']['input']>>;
  /** The data: a CSV whose header has the policy's template columns (see CertificatePolicy.csvTemplate; with a csr column unless serverSideKeyGeneration), or a ZIP of one such CSV or of CSR files. At most 200 MiB. Checked whole before anything is sent. */
  file: Scalars['File']['input'];
  /** Client-side keys: the CSRs' key type. */
  keyType?: InputMaybe<DtmKeyType>;
  /** The job's name. */
  name: Scalars['String']['input'];
  /** 4 to 64 printable characters; never echoed or logged. */
  passcode?: InputMaybe<Scalars['String']['input']>;
  /** Have DigiCert generate the passcode that protects the results (instead of `passcode`). */
  passcodeGenerationOption?: InputMaybe<Scalars['Boolean']['input']>;
  /** Present: DigiCert generates the keys (no csr column). Absent: the file carries CSRs. */
  serverSideKeyGeneration?: InputMaybe<DtmBatchServerSideKeyGenerationInput>;
};

/** The new job, or why not. InvalidBatchFileError: the file was refused before anything was sent, naming rows and columns. */
export type CreateDeviceRegistrationBatchResult = CertificatePolicyNotFoundError | DeviceGroupNotFoundError | DeviceRegistrationBatchCreated | InvalidBatchFileError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** An IoT batch enrollment job (DigiCert's multipart POST /iot/api/v1/batch-enroll). */
export type CreateIotBatchEnrollmentInput = {
  /** The format of the job's download. */
  certificateFormat: BatchCertificateFormat;
  /** An IoT enrollment profile that allows BATCH. The EnrollmentProfile's global id (`EnrollmentProfile.id`), or DigiCert's id (`profileId`, IOT_<uuid>); checked before any upstream call. */
  enrollmentProfileId: Scalars['ID']['input'];
  /** CSV with a header row of enrollment-specification field ids or names (CLIENT_SIDE: with a csr column; SERVER_SIDE: without), or a ZIP of CSR files or of one CSV. */
  file: Scalars['File']['input'];
  /** Put the chain with each certificate (default false). */
  includeFullChain?: InputMaybe<Scalars['Boolean']['input']>;
  /** Who generates the keys. */
  keyGeneration: IotBatchKeyGeneration;
  /** Required with SERVER_SIDE, refused with CLIENT_SIDE. */
  serverSideKeyGeneration?: InputMaybe<IotBatchServerSideKeyGenerationInput>;
};

/** The new job, or why not. InvalidBatchFileError: the file was refused before anything was sent, naming rows and columns or ZIP entries. */
export type CreateIotBatchEnrollmentResult = InvalidBatchFileError | InvalidCsrError | IotBatchEnrollmentCreated | ProfileNotFoundError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** A column of a certificate policy's batch CSV template. */
export type CsvTemplateColumn = {
  __typename?: 'CsvTemplateColumn';
  /** Only with CSRs (the csr column). */
  clientSideOnly: Scalars['Boolean']['output'];
  /** The column may appear more than once. */
  multiple: Scalars['Boolean']['output'];
  /** The column's header, e.g. device_name, subject.common_name, san.dns_name, csr. */
  name: Scalars['String']['output'];
  /** Every row must have a value in it. */
  required: Scalars['Boolean']['output'];
};

/** A disabled device to delete. */
export type DeleteDeviceInput = {
  /** The Device's global id (`Device.id`), or DigiCert's id (`deviceId`, a UUID); checked before any upstream call. One DigiCert does not show these credentials is a DeviceNotFoundError. */
  id: Scalars['ID']['input'];
};

/** The deleted device's id, or why not (DeviceNotFoundError: no such device; ValidationError of input.id: DigiCert refused, e.g. a device not disabled first). */
export type DeleteDeviceResult = DeviceDeleted | DeviceNotFoundError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** How DigiCert delivers an issued certificate: X.509 PEM, or a PKCS#7 bundle. */
export type DeliveryFormat =
  /** A PKCS#7 bundle, PEM: CertificateIssued.pkcs7 (DigiCert's `PKCS7`). */
  | 'PKCS7'
  /** X.509 PEM: CertificateIssued.pem (DigiCert's `x509`). */
  | 'X509';

/** The private key, DER, base64. */
export type DerPrivateKey = {
  __typename?: 'DerPrivateKey';
  /** The bytes, base64 (RFC 4648). Never logged or cached. */
  base64: Scalars['String']['output'];
};

/** A device registered in Device Trust Manager (GET /devicetrustmanager/api/v4/device/{id}). Needs scope devices. */
export type Device = Node & {
  __typename?: 'Device';
  /** The batch job that registered it, if one did. */
  batchJobId?: Maybe<Scalars['String']['output']>;
  /** The certificate policies it was registered with. */
  bootstrap: Array<DeviceBootstrapPolicy>;
  /** Where to download the device's bootstrap configuration (DigiCert's ZIP) through the gateway; no upstream call until it is fetched. */
  bootstrapConfiguration: DeviceBootstrapConfiguration;
  /** When it was registered, as DigiCert reports it. */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** Its description; null when none. */
  description?: Maybe<Scalars['String']['output']>;
  /** Its group, read when selected (once per group per request). */
  deviceGroup?: Maybe<DeviceGroup>;
  /** DigiCert's id of its group (a UUID); null when DigiCert does not say. */
  deviceGroupId?: Maybe<Scalars['String']['output']>;
  /** DigiCert's id (a UUID); what device id arguments take besides `id`. */
  deviceId: Scalars['String']['output'];
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
  /** Its name, unique in its group; null when none. */
  name?: Maybe<Scalars['String']['output']>;
  /** How it was registered; null when DigiCert does not say. */
  registrationMethod?: Maybe<DtmManagementMethod>;
  /** Its status. */
  status: DeviceStatus;
  /** When it last changed, as DigiCert reports it. */
  updatedAt?: Maybe<Scalars['DateTime']['output']>;
};

/** A device attribute recorded with an IoT certificate (DigiCert's `device_attributes`). */
export type DeviceAttribute = {
  __typename?: 'DeviceAttribute';
  /** The attribute's id in the enrollment specification (EnrollmentField.id), not a global id. */
  id: Scalars['String']['output'];
  /** Its display name; null when DigiCert sent none. */
  name?: Maybe<Scalars['String']['output']>;
  /** Its value. */
  value: Scalars['String']['output'];
};

/** One certificate attribute for a device, by template column. */
export type DeviceAttributeInput = {
  /** A template column, e.g. subject.common_name or san.dns_name. */
  name: Scalars['String']['input'];
  /** Its value. */
  value: Scalars['String']['input'];
};

/** A certificate attribute a device was registered with. */
export type DeviceBootstrapAttribute = {
  __typename?: 'DeviceBootstrapAttribute';
  /** The template column, e.g. subject.common_name. */
  name: Scalars['String']['output'];
  /** Its value. */
  value: Scalars['String']['output'];
};

/** A device's bootstrap configuration, a ZIP DigiCert produces, streamed through the gateway: GET `url` with the same `Authorization` header as GraphQL. Needs scope devices, and keys:generate too for a device whose keys DigiCert generates (the ZIP may hold the key). Never cached by the gateway. */
export type DeviceBootstrapConfiguration = {
  __typename?: 'DeviceBootstrapConfiguration';
  /** application/zip. */
  contentType: Scalars['String']['output'];
  /** The file name the download is served under. */
  fileName: Scalars['String']['output'];
  /** The gateway's download route, relative to the GraphQL endpoint's origin. */
  url: Scalars['String']['output'];
};

/** A certificate policy for the device: with its CSR, or with serverSideKeyGeneration. */
export type DeviceBootstrapInput = {
  /** Certificate attributes by the policy's template columns. */
  attributes?: InputMaybe<Array<DeviceAttributeInput>>;
  /** The CertificatePolicy's global id (`CertificatePolicy.id`), or DigiCert's id (`policyId`, IOT_<uuid>); checked before any upstream call. */
  certificatePolicyId: Scalars['ID']['input'];
  /** PEM PKCS#10; its signature is verified before anything is sent. */
  csr?: InputMaybe<Scalars['String']['input']>;
  /** Instead of csr: DigiCert generates the key. */
  serverSideKeyGeneration?: InputMaybe<DeviceServerSideKeyGenerationInput>;
};

/** A certificate policy the device was registered with. */
export type DeviceBootstrapPolicy = {
  __typename?: 'DeviceBootstrapPolicy';
  /** Certificate attributes by template column, e.g. subject.common_name. */
  attributes: Array<DeviceBootstrapAttribute>;
  /** DigiCert's id of the policy (IOT_<uuid>). */
  certificatePolicyId: Scalars['String']['output'];
  /** The key type; null when DigiCert does not say. */
  keyType?: Maybe<DtmKeyType>;
  /** Whether DigiCert generates the device's key under it. */
  serverSideKeyGeneration: Scalars['Boolean']['output'];
};

/** A certificate issued through IoT Trust Manager (GET /iot/api/v1/certificate/{id}); `x509` is parsed exactly as for TLM certificates. Needs scope certificates:read. */
export type DeviceCertificate = Node & {
  __typename?: 'DeviceCertificate';
  /** DigiCert's certificate id (a UUID); what device certificate id arguments take besides `id`. */
  certificateId: Scalars['String']['output'];
  /** Intermediate first. Entries DigiCert sent without a certificate are left out. */
  chain: Array<ChainCertificate>;
  /** The subject's common name as DigiCert reports it (`common_name`). */
  commonName?: Maybe<Scalars['String']['output']>;
  /** The device attributes recorded with it. */
  deviceAttributes: Array<DeviceAttribute>;
  /** The device's identifier (the DEVICE_IDENTIFIER attribute). */
  deviceIdentifier?: Maybe<Scalars['String']['output']>;
  /** The profile it was issued under (one upstream read per distinct profile per request). */
  enrollmentProfile?: Maybe<EnrollmentProfile>;
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
  /** The subject key's type (`key_type`); null when DigiCert does not say. */
  keyType?: Maybe<IotKeyType>;
  /** The certificate alone, PEM (DigiCert's PEM or bare base64, normalised). Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert sent none the gateway could read. */
  pem?: Maybe<Scalars['String']['output']>;
  /** Why it was revoked; null when it is not, or DigiCert does not say. */
  revocationReason?: Maybe<RevocationReason>;
  /** Uppercase hex (`serial_number`). Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's could not be read. */
  serialNumber?: Maybe<Scalars['SerialNumber']['output']>;
  /** Its status in DigiCert (`status`). */
  status: CertificateStatus;
  /** SHA-256 of the DER as DigiCert reports it, uppercase hex. */
  thumbprint?: Maybe<Scalars['String']['output']>;
  /** Start of validity as DigiCert reports it (`valid_from`). */
  validFrom?: Maybe<Scalars['DateTime']['output']>;
  /** End of validity as DigiCert reports it (`valid_to`). */
  validTo?: Maybe<Scalars['DateTime']['output']>;
  /** Parsed from `pem`; no upstream call. Null, with an UPSTREAM_INVALID_RESPONSE error, when it does not parse: the rest of the certificate stands. */
  x509?: Maybe<X509Certificate>;
};

/** A page of IoT certificates. */
export type DeviceCertificateConnection = {
  __typename?: 'DeviceCertificateConnection';
  /** The page's items, each with its cursor, in order. */
  edges: Array<DeviceCertificateEdge>;
  /** Whether more pages follow, and the cursors to read them. */
  pageInfo: PageInfo;
  /** How many items match across all pages, as DigiCert counts them (its `total`); null when DigiCert's answer carries no total. */
  totalCount?: Maybe<Scalars['Int']['output']>;
};

/** An edge of DeviceCertificateConnection: one item and its cursor. */
export type DeviceCertificateEdge = {
  __typename?: 'DeviceCertificateEdge';
  /** Opaque: pass it as `after` to read the items that follow this one. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: DeviceCertificate;
};

/** DigiCert accepted the request and answered: whatever of its answer could be read (at least one of certificateId, serialNumber and requestId). A field it sent in a form the gateway cannot read is null with an UPSTREAM_INVALID_RESPONSE error; the others stand. */
export type DeviceCertificateEnrolled = {
  __typename?: 'DeviceCertificateEnrolled';
  /** The certificate's details (one upstream read by id, else by serial number, only when selected). Null, with an error, when that read fails: the rest of the result (and the private key) stands. */
  certificate?: Maybe<DeviceCertificate>;
  /** DigiCert's certificate id (a UUID). Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's answer held one the gateway could not read. */
  certificateId?: Maybe<Scalars['String']['output']>;
  /** The certificate, PEM; null for CERT_ENCRYPTED, where it travels inside the bundle. Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's answer held one the gateway could not read. */
  pem?: Maybe<Scalars['String']['output']>;
  /** Server-side key generation only. Null for a CSR, and for a repeat of an idempotencyKey (the key was delivered to the first call). Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's answer held one the gateway could not read. */
  privateKey?: Maybe<PrivateKey>;
  /** DigiCert's certificate request id. */
  requestId?: Maybe<Scalars['String']['output']>;
  /** The new certificate's serial number, uppercase hex. Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's answer held one the gateway could not read. */
  serialNumber?: Maybe<Scalars['SerialNumber']['output']>;
};

/** All given fields must match; each is one of IoT Trust Manager's certificate list filters. */
export type DeviceCertificateFilter = {
  /** The subject's common name, as DigiCert matches it. */
  commonName?: InputMaybe<Scalars['String']['input']>;
  /** The device's identifier (DEVICE_IDENTIFIER), exact. */
  deviceIdentifier?: InputMaybe<Scalars['String']['input']>;
  /** The EnrollmentProfile's global id (`EnrollmentProfile.id`), or DigiCert's id (`profileId`, IOT_<uuid>); checked before any upstream call. */
  enrollmentProfileId?: InputMaybe<Scalars['ID']['input']>;
  /** One serial number. */
  serialNumber?: InputMaybe<Scalars['SerialNumber']['input']>;
  /** Any of these statuses. */
  statuses?: InputMaybe<Array<DeviceCertificateSearchStatus>>;
};

/** DigiCert accepted the revocation. */
export type DeviceCertificateRevoked = {
  __typename?: 'DeviceCertificateRevoked';
  /** The certificate as DigiCert reports it after the revocation (read when selected). */
  certificate?: Maybe<DeviceCertificate>;
};

/** The statuses IoT Trust Manager's certificate list filters by (its `status`): the CertificateStatus values it has. */
export type DeviceCertificateSearchStatus =
  /** Past validTo. */
  | 'EXPIRED'
  /** Issued and valid. */
  | 'ISSUED'
  /** Revoked. */
  | 'REVOKED';

/** A page of Device Trust Manager devices. */
export type DeviceConnection = {
  __typename?: 'DeviceConnection';
  /** The page's items, each with its cursor, in order. */
  edges: Array<DeviceEdge>;
  /** Whether more pages follow, and the cursors to read them. */
  pageInfo: PageInfo;
  /** How many items match across all pages, as DigiCert counts them (its `total`); null when DigiCert's answer carries no total. */
  totalCount?: Maybe<Scalars['Int']['output']>;
};

/** DigiCert deleted the device. */
export type DeviceDeleted = {
  __typename?: 'DeviceDeleted';
  /** DigiCert's id of the deleted device (a UUID). */
  deviceId: Scalars['String']['output'];
};

/** DigiCert disabled the device. */
export type DeviceDisabled = {
  __typename?: 'DeviceDisabled';
  /** The device now (status DISABLED), read when selected. */
  device?: Maybe<Device>;
  /** DigiCert's id of the device (a UUID). */
  deviceId: Scalars['String']['output'];
};

/** An edge of DeviceConnection: one item and its cursor. */
export type DeviceEdge = {
  __typename?: 'DeviceEdge';
  /** Opaque: pass it as `after` to read the items that follow this one. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: Device;
};

/** All given fields must match; each is one of Device Trust Manager's device list filters. */
export type DeviceFilter = {
  /** Devices of this group. The DeviceGroup's global id (`DeviceGroup.id`), or DigiCert's id (`groupId`, a UUID); checked before any upstream call. */
  deviceGroupId?: InputMaybe<Scalars['ID']['input']>;
  /** The device's name: exact, case-insensitive. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** Any of these statuses (not UNKNOWN, which DigiCert cannot filter by). */
  statuses?: InputMaybe<Array<DeviceStatus>>;
};

/** A Device Trust Manager device group (GET /devicetrustmanager/api/v4/device-group/{id}): devices registered together, under its certificate policies. Needs scope devices. */
export type DeviceGroup = Node & {
  __typename?: 'DeviceGroup';
  /** The policies assigned to the group (one upstream call). */
  certificatePolicies: Array<CertificatePolicy>;
  /** Its description in DigiCert ONE; null when none. */
  description?: Maybe<Scalars['String']['output']>;
  /** How many devices it holds, as DigiCert counts them (`device_count`); null when DigiCert does not say. */
  deviceCount?: Maybe<Scalars['Int']['output']>;
  /** DigiCert's id (a UUID); what device group id arguments take besides `id`. */
  groupId: Scalars['String']['output'];
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
  /** Its name. Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's could not be read. */
  name?: Maybe<Scalars['String']['output']>;
};

/** The device group does not exist or is not available to this gateway. */
export type DeviceGroupNotFoundError = Error & {
  __typename?: 'DeviceGroupNotFoundError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** DigiCert's id of the group (a UUID). */
  deviceGroupId: Scalars['String']['output'];
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** The device does not exist or is not available to this gateway. */
export type DeviceNotFoundError = Error & {
  __typename?: 'DeviceNotFoundError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** DigiCert's id of the device (a UUID). */
  deviceId: Scalars['String']['output'];
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** DigiCert registered the device. */
export type DeviceRegistered = {
  __typename?: 'DeviceRegistered';
  /** The new device, read when selected. */
  device?: Maybe<Device>;
  /** DigiCert's id of the new device (a UUID). */
  deviceId: Scalars['String']['output'];
};

/** One row of a device registration batch: what became of it (from the job's report). */
export type DeviceRegistration = {
  __typename?: 'DeviceRegistration';
  /** The registered device, read when selected (needs scope devices). */
  device?: Maybe<Device>;
  /** DigiCert's id of the device the row registered (a UUID); null otherwise. */
  deviceId?: Maybe<Scalars['String']['output']>;
  /** The row's device name; null when the report does not say. */
  deviceName?: Maybe<Scalars['String']['output']>;
  /** DigiCert's code for a failed row ("03": the device name is taken). */
  errorCode?: Maybe<Scalars['String']['output']>;
  /** DigiCert's reason (job data). */
  errorMessage?: Maybe<Scalars['String']['output']>;
  /** The data row, from 1 (the first row after the CSV header). Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's row number could not be read: the rest of the row, and the report, stand. */
  row?: Maybe<Scalars['Int']['output']>;
  /** What happened to the row. */
  status: DeviceRegistrationStatus;
};

/** DigiCert accepted the approval; the devices are registered. */
export type DeviceRegistrationBatchApproved = {
  __typename?: 'DeviceRegistrationBatchApproved';
  /** The job as DigiCert reports it now (read when selected). */
  job?: Maybe<DtmBatchJob>;
  /** DigiCert's id of the job (a UUID). */
  jobId: Scalars['String']['output'];
};

/** DigiCert accepted the file; the job runs in the background (watch it with batchJobStatusChanged). */
export type DeviceRegistrationBatchCreated = {
  __typename?: 'DeviceRegistrationBatchCreated';
  /** The job as DigiCert reports it now (read when selected). */
  job?: Maybe<DtmBatchJob>;
  /** DigiCert's id of the job (a UUID). */
  jobId: Scalars['String']['output'];
};

/** DigiCert accepted the rejection; no device is registered. */
export type DeviceRegistrationBatchRejected = {
  __typename?: 'DeviceRegistrationBatchRejected';
  /** The job as DigiCert reports it now (read when selected). */
  job?: Maybe<DtmBatchJob>;
  /** DigiCert's id of the job (a UUID). */
  jobId: Scalars['String']['output'];
};

/** What happened to one row of a batch, from the job's report. */
export type DeviceRegistrationStatus =
  /** The row failed (errorCode and errorMessage say why). */
  | 'FAILED'
  /** The job was rejected: nothing was registered. */
  | 'REJECTED'
  /** The device was registered. */
  | 'SUCCESS'
  /** A status DigiCert added since this gateway was written; the row's other fields stand. */
  | 'UNKNOWN';

/** DigiCert generates the device's key (delivered in its bootstrap configuration). */
export type DeviceServerSideKeyGenerationInput = {
  /** Absent: the policy's default. */
  keyType?: InputMaybe<DtmKeyType>;
};

/** A device's status in Device Trust Manager (its `status`, any case). */
export type DeviceStatus =
  /** Disabled (disableDevice); it can then be deleted. */
  | 'DISABLED'
  /** Provisioned with its certificates, as DigiCert reports it. */
  | 'PROVISIONED'
  /** Registered in Device Trust Manager, not yet provisioned. */
  | 'REGISTERED'
  /** A status DigiCert added since this gateway was written; the device's other fields stand. */
  | 'UNKNOWN';

/** A device to disable, and why. */
export type DisableDeviceInput = {
  /** The Device's global id (`Device.id`), or DigiCert's id (`deviceId`, a UUID); checked before any upstream call. One DigiCert does not show these credentials is a DeviceNotFoundError. */
  id: Scalars['ID']['input'];
  /** Why (DigiCert keeps it): 1 to 255 printable characters, e.g. "No longer needed". */
  reason: Scalars['String']['input'];
};

/** The disabled device, or why not (DeviceNotFoundError: no such device for these credentials). */
export type DisableDeviceResult = DeviceDisabled | DeviceNotFoundError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** A certificate's subject or issuer name. */
export type DistinguishedName = {
  __typename?: 'DistinguishedName';
  /** Every attribute, in encoded order. */
  attributes: Array<DistinguishedNameAttribute>;
  /** The last (most specific) CN; null when the name has none. */
  commonName?: Maybe<Scalars['String']['output']>;
  /** The whole name as one string, RDNs in encoded order joined by ", " (RFC 4514 style). */
  dn: Scalars['String']['output'];
};

/** One attribute of a distinguished name (an AttributeTypeAndValue of RFC 5280), in encoded order. */
export type DistinguishedNameAttribute = {
  __typename?: 'DistinguishedNameAttribute';
  /** The attribute type's OID, dotted decimal, e.g. 2.5.4.3. */
  oid: Scalars['String']['output'];
  /** Short name (CN, O, OU, L, ST, C, E, DC, SERIALNUMBER, ...), or the dotted OID when unknown. */
  type: Scalars['String']['output'];
  /** The attribute's value, as text. */
  value: Scalars['String']['output'];
};

/** A Device Trust Manager batch device registration job (GET /devicetrustmanager/certificate-batch-service/api/v1/jobs/{id}). Needs scope batch-jobs. */
export type DtmBatchJob = BatchJob & Node & {
  __typename?: 'DtmBatchJob';
  /** The job waits in PENDING_APPROVAL after processing. */
  approvalRequired: Scalars['Boolean']['output'];
  /** When it was approved; null unless it was. */
  approvedAt?: Maybe<Scalars['DateTime']['output']>;
  /** DigiCert's id of the certificate policy (IOT_<uuid>). */
  certificatePolicyId?: Maybe<Scalars['String']['output']>;
  /** That policy's name. */
  certificatePolicyName?: Maybe<Scalars['String']['output']>;
  /** When it reached a terminal status; null before then. */
  completedAt?: Maybe<Scalars['DateTime']['output']>;
  /** When it was created, as DigiCert reports it. */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** DigiCert's id of the group the devices go to (a UUID). */
  deviceGroupId?: Maybe<Scalars['String']['output']>;
  /** That group's name. */
  deviceGroupName?: Maybe<Scalars['String']['output']>;
  /** Rows that failed so far (DigiCert's `failed`). */
  failedCount?: Maybe<Scalars['Int']['output']>;
  /** The uploaded file's name. */
  fileName?: Maybe<Scalars['String']['output']>;
  /** The uploaded file's size, bytes. */
  fileSize?: Maybe<Scalars['Int']['output']>;
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
  /** DigiCert's id of the job (a UUID); what job id arguments take besides `id`. */
  jobId: Scalars['String']['output'];
  /** The devices' key type. */
  keyType?: Maybe<DtmKeyType>;
  /** Which product runs it. */
  kind: BatchJobKind;
  /** The job's name; null when it has none. */
  name?: Maybe<Scalars['String']['output']>;
  /** When DigiCert finished processing its rows. */
  processedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The job's report, one entry per data row, once every row is processed (null before then). Read once per job state, shared by every request and subscriber of the tenant. */
  registrations?: Maybe<Array<DeviceRegistration>>;
  /** When it was rejected; null unless it was. */
  rejectedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Why the job or its rows failed. */
  report: BatchJobReport;
  /** Whether DigiCert generates the devices' keys; null when DigiCert does not say. */
  serverSideKeyGeneration?: Maybe<Scalars['Boolean']['output']>;
  /** When DigiCert started processing it. */
  startedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Where it is. */
  status: BatchJobStatus;
  /** Rows done so far (certificates issued, devices registered; DigiCert's `success`). */
  successCount?: Maybe<Scalars['Int']['output']>;
  /** Rows (or files) in the job, as DigiCert counts them (`total`); null until DigiCert says. */
  totalCount?: Maybe<Scalars['Int']['output']>;
  /** When it last changed, as DigiCert reports it. */
  updatedAt?: Maybe<Scalars['DateTime']['output']>;
};

/** DigiCert generates each device's key and encrypts it to `encryptionCertificate`. */
export type DtmBatchServerSideKeyGenerationInput = {
  /** One PEM certificate with an RSA key, within its validity. */
  encryptionCertificate: Scalars['String']['input'];
  /** Absent: the policy's default. */
  keyType?: InputMaybe<DtmKeyType>;
};

/** Device Trust Manager's key types, in its own (upper-case) spelling. */
export type DtmKeyType =
  /** Ed25519. */
  | 'ED25519'
  /** ECDSA on NIST P-256. */
  | 'P_256'
  /** ECDSA on NIST P-384. */
  | 'P_384'
  /** ECDSA on NIST P-521. */
  | 'P_521'
  /** RSA, 2048-bit modulus. */
  | 'RSA_2048'
  /** RSA, 3072-bit modulus. */
  | 'RSA_3072'
  /** RSA, 4096-bit modulus. */
  | 'RSA_4096';

/** How devices are registered under a certificate policy (its management methods). */
export type DtmManagementMethod =
  /** One device at a time: registerDevice. */
  | 'API'
  /** Many from a CSV file: createDeviceRegistrationBatch. */
  | 'BATCH';

/** The profile allows one valid certificate per subject, and one exists. */
export type DuplicateCertificateError = Error & {
  __typename?: 'DuplicateCertificateError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** A device of this name already exists in the device group. */
export type DuplicateDeviceError = Error & {
  __typename?: 'DuplicateDeviceError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** The device name that is taken; null when DigiCert's answer does not say. */
  deviceName?: Maybe<Scalars['String']['output']>;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** CMS EnvelopedData (P7M), base64, for the encryption certificate: a ZIP of the certificate, chain and key. */
export type EncryptedCertificateBundle = {
  __typename?: 'EncryptedCertificateBundle';
  /** The bytes, base64 (RFC 4648). Never logged or cached. */
  base64: Scalars['String']['output'];
};

/** CMS EnvelopedData (P7M), base64, for the encryption certificate: the private key alone. */
export type EncryptedPrivateKey = {
  __typename?: 'EncryptedPrivateKey';
  /** The bytes, base64 (RFC 4648). Never logged or cached. */
  base64: Scalars['String']['output'];
};

/** Exactly one of csr or serverSideKeyGeneration. */
export type EnrollDeviceCertificateInput = {
  /** subject.* and san.* ids of the profile. */
  certificateAttributes?: InputMaybe<Array<IotAttributeInput>>;
  /** One PEM PKCS#10 request; its signature is verified first. */
  csr?: InputMaybe<Scalars['String']['input']>;
  /** DEVICE_IDENTIFIER and device attribute ids. */
  deviceAttributes?: InputMaybe<Array<IotAttributeInput>>;
  /** A profile whose enrollment methods include API. The EnrollmentProfile's global id (`EnrollmentProfile.id`), or DigiCert's id (`profileId`, IOT_<uuid>); checked before any upstream call. */
  enrollmentProfileId: Scalars['ID']['input'];
  /** Optional: a repeat with the same key and input returns the first result (without the private key) instead of issuing again. */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  /** Instead of csr: DigiCert generates the key pair. */
  serverSideKeyGeneration?: InputMaybe<ServerSideKeyGenerationInput>;
};

/** The certificate (and private key), or why not. */
export type EnrollDeviceCertificateResult = DeviceCertificateEnrolled | DuplicateCertificateError | InvalidCsrError | ProfileNotFoundError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** An attribute the enrollment profile defines (GET /iot/api/v1/enrollment-profile/{id}/enrollment-specification). */
export type EnrollmentField = {
  __typename?: 'EnrollmentField';
  /** The value the profile always puts in the certificate (a request may repeat it, not change it). */
  fixedValue?: Maybe<Scalars['String']['output']>;
  /** The field's id in DigiCert's enrollment specification, not a global id: subject.common_name, san.dns_name, DEVICE_IDENTIFIER, or a device attribute's UUID. What IotAttributeInput.id takes. */
  id: Scalars['String']['output'];
  /** Which list of a request carries it. */
  kind: EnrollmentFieldKind;
  /** Whether it may have several values. */
  multiple: Scalars['Boolean']['output'];
  /** Its display name in DigiCert ONE. */
  name: Scalars['String']['output'];
  /** Whether a request must carry it. */
  required: Scalars['Boolean']['output'];
};

/** Where an enrollment field's value goes in a request. */
export type EnrollmentFieldKind =
  /** In certificateAttributes (subject.* and san.* fields). */
  | 'CERTIFICATE'
  /** In deviceAttributes (DEVICE_IDENTIFIER and device attributes). */
  | 'DEVICE'
  /** A kind DigiCert added since this gateway was written. */
  | 'UNKNOWN';

/** An IoT Trust Manager enrollment profile (GET /iot/api/v1/enrollment-profile/{id}): the rules device certificates are requested under. Needs scope certificates:read. */
export type EnrollmentProfile = Node & {
  __typename?: 'EnrollmentProfile';
  /** Key types for CSRs and server-side keys (`allowed_key_types`); empty when DigiCert lists none. */
  allowedKeyTypes: Array<IotKeyType>;
  /** Whether batch jobs wait in PENDING_APPROVAL until approved (`batch_approval_required`). */
  approvalRequired: Scalars['Boolean']['output'];
  /** The server-side key type when a request names none (`default_key_type`). */
  defaultKeyType?: Maybe<IotKeyType>;
  /** The methods it allows that the gateway uses (`enrollment_methods`). */
  enrollmentMethods: Array<IotEnrollmentMethod>;
  /** The attributes to send (enrollment specification; one upstream read, when selected). */
  fields: Array<EnrollmentField>;
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
  /** Who may generate keys (`key_generation_option`). */
  keyGenerationOption: KeyGenerationOption;
  /** Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's could not be read. */
  name?: Maybe<Scalars['String']['output']>;
  /** DigiCert's id, IOT_<uuid>; what enrollment profile id arguments take besides `id`. */
  profileId: Scalars['String']['output'];
  /** Whether it is in use (DigiCert's `status`). */
  status: ProfileStatus;
};

/** A page of IoT enrollment profiles. */
export type EnrollmentProfileConnection = {
  __typename?: 'EnrollmentProfileConnection';
  /** The page's items, each with its cursor, in order. */
  edges: Array<EnrollmentProfileEdge>;
  /** Whether more pages follow, and the cursors to read them. */
  pageInfo: PageInfo;
  /** How many items match across all pages, as DigiCert counts them (its `total`); null when DigiCert's answer carries no total. */
  totalCount?: Maybe<Scalars['Int']['output']>;
};

/** An edge of EnrollmentProfileConnection: one item and its cursor. */
export type EnrollmentProfileEdge = {
  __typename?: 'EnrollmentProfileEdge';
  /** Opaque: pass it as `after` to read the items that follow this one. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: EnrollmentProfile;
};

/** An expected failure the caller can act on. */
export type Error = {
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** Stable machine-readable error codes, shared by typed results (`Error.code`) and GraphQL errors' `extensions.code`. */
export type ErrorCode =
  /** The certificate is already revoked. */
  | 'ALREADY_REVOKED'
  /** No certificate has this serial number (or IoT certificate id). */
  | 'CERTIFICATE_NOT_FOUND'
  /** The Device Trust Manager certificate policy does not exist for these credentials. */
  | 'CERTIFICATE_POLICY_NOT_FOUND'
  /** The Device Trust Manager device group does not exist for these credentials. */
  | 'DEVICE_GROUP_NOT_FOUND'
  /** The Device Trust Manager device does not exist for these credentials. */
  | 'DEVICE_NOT_FOUND'
  /** The profile allows one valid certificate per subject, and one exists. */
  | 'DUPLICATE_CERTIFICATE'
  /** A device of this name already exists in the Device Trust Manager device group. */
  | 'DUPLICATE_DEVICE'
  /** The caller's token lacks the scope this field needs; only that field fails. */
  | 'FORBIDDEN'
  /** An uploaded batch file was refused before anything was sent to DigiCert. */
  | 'INVALID_BATCH_FILE'
  /** The CSR is not one well-formed, correctly signed PKCS#10 request the profile accepts. */
  | 'INVALID_CSR'
  /** The TLM profile or IoT enrollment profile does not exist for these credentials. */
  | 'PROFILE_NOT_FOUND'
  /** The certificate is outside its profile's renewal window. */
  | 'RENEWAL_NOT_ALLOWED'
  /** No pending certificate request, or batch job, has this id. */
  | 'REQUEST_NOT_FOUND'
  /** The gateway cannot do this safely now (its shared store is unreachable); nothing was sent to DigiCert. */
  | 'SERVICE_UNAVAILABLE'
  /** DigiCert ONE refused the operation for the gateway's credentials (HTTP 403). */
  | 'UPSTREAM_FORBIDDEN'
  /** DigiCert ONE answered with something the gateway could not read. */
  | 'UPSTREAM_INVALID_RESPONSE'
  /** The call may or may not have taken effect at DigiCert ONE; check before retrying. */
  | 'UPSTREAM_OUTCOME_UNKNOWN'
  /** DigiCert ONE rejected the gateway's credentials (HTTP 401); an operator must act. */
  | 'UPSTREAM_UNAUTHENTICATED'
  /** DigiCert ONE is unavailable and nothing was done; try again later. */
  | 'UPSTREAM_UNAVAILABLE'
  /** An input value was refused, by the gateway before any upstream call or by DigiCert (ValidationError names it). */
  | 'VALIDATION_FAILED';

/** One purpose of the extended key usage extension (RFC 5280 section 4.2.1.12). */
export type ExtendedKeyUsage = {
  __typename?: 'ExtendedKeyUsage';
  /** serverAuth, clientAuth, codeSigning, emailProtection, timeStamping or OCSPSigning; null for another OID. */
  name?: Maybe<Scalars['String']['output']>;
  /** The purpose's OID, dotted decimal, e.g. 1.3.6.1.5.5.7.3.1. */
  oid: Scalars['String']['output'];
};

/** The uploaded batch file was refused before anything was sent upstream; `problems` names each row and column (or ZIP entry). */
export type InvalidBatchFileError = Error & {
  __typename?: 'InvalidBatchFileError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** The file's input path, e.g. `input.file`. */
  field: Scalars['String']['output'];
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
  /** Each problem found, in file order (at most the first 20). */
  problems: Array<BatchFileProblem>;
};

/** The CSR is not one well-formed, correctly signed PKCS#10 request the profile accepts. */
export type InvalidCsrError = Error & {
  __typename?: 'InvalidCsrError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** One attribute of a request, by its enrollment-specification id. */
export type IotAttributeInput = {
  /** An EnrollmentField.id of the profile, e.g. subject.common_name or DEVICE_IDENTIFIER (not a global id). */
  id: Scalars['String']['input'];
  /** Its value. */
  value: Scalars['String']['input'];
};

/** A certificate a JSON-format batch job issued: whatever of it could be read (one unreadable certificate never hides the others). */
export type IotBatchCertificate = {
  __typename?: 'IotBatchCertificate';
  /** The device certificate's id in IoT Trust Manager (a UUID). Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert sent it in a form the gateway could not read (the job's other certificates stand). */
  certificateId?: Maybe<Scalars['String']['output']>;
  /** The chain after this certificate, when the job asked for it with each certificate. */
  chain: Array<ChainCertificate>;
  /** The end-entity certificate, PEM. Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert sent it in a form the gateway could not read (the job's other certificates stand). */
  pem?: Maybe<Scalars['String']['output']>;
  /** Server-side jobs only (null otherwise); needs scope keys:generate. Base64 of a DER CMS EnvelopedData for the job's encryption certificate, holding the key as PEM: `openssl smime -decrypt -binary -inform DER -inkey <key>` opens it. The gateway never decrypts, logs or caches it. */
  privateKey?: Maybe<Scalars['String']['output']>;
  /** The input row or file it came from, e.g. "Line #0000001". Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert sent it in a form the gateway could not read (the job's other certificates stand). */
  uniqueIdentifier?: Maybe<Scalars['String']['output']>;
  /** Parsed from `pem`; no upstream call. Null, with an UPSTREAM_INVALID_RESPONSE error, when it does not parse: the job's other certificates stand. */
  x509?: Maybe<X509Certificate>;
};

/** DigiCert accepted the file; the job runs in the background (poll `batchJob`). */
export type IotBatchEnrollmentCreated = {
  __typename?: 'IotBatchEnrollmentCreated';
  /** The new job, as DigiCert created it. */
  job: IotBatchJob;
};

/** An IoT Trust Manager batch enrollment job (GET /iot/api/v1/batch-enroll/{id}). Needs scope batch-jobs. */
export type IotBatchJob = BatchJob & Node & {
  __typename?: 'IotBatchJob';
  /** When it was approved; null unless it was. */
  approvedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The format of the job's download; null when DigiCert does not say. */
  certificateFormat?: Maybe<BatchCertificateFormat>;
  /** A COMPLETE JSON-format job's certificates, parsed (one download per request, with `chain`); null for other jobs: use `download`. */
  certificates?: Maybe<Array<IotBatchCertificate>>;
  /** A COMPLETE JSON-format job's issuing chain, intermediate first: each certificate is signed by the next. Null for other jobs. */
  chain?: Maybe<Array<ChainCertificate>>;
  /** When it reached a terminal status; null before then. */
  completedAt?: Maybe<Scalars['DateTime']['output']>;
  /** When it was created, as DigiCert reports it. */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** A COMPLETE job's file, in any format, through the gateway; null before then. */
  download?: Maybe<BatchJobDownload>;
  /** DigiCert's id of the IoT enrollment profile (IOT_<uuid>). */
  enrollmentProfileId?: Maybe<Scalars['String']['output']>;
  /** That profile's name. */
  enrollmentProfileName?: Maybe<Scalars['String']['output']>;
  /** Rows that failed so far (DigiCert's `failed`). */
  failedCount?: Maybe<Scalars['Int']['output']>;
  /** The uploaded file's name. */
  fileName?: Maybe<Scalars['String']['output']>;
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
  /** Each certificate comes with its chain. */
  includeFullChain: Scalars['Boolean']['output'];
  /** DigiCert's id of the job (a UUID); what job id arguments take besides `id`. */
  jobId: Scalars['String']['output'];
  /** Who generates the keys; null when DigiCert does not say. */
  keyGeneration?: Maybe<IotBatchKeyGeneration>;
  /** The generated keys' type (server-side jobs); null otherwise. */
  keyType?: Maybe<IotKeyType>;
  /** Which product runs it. */
  kind: BatchJobKind;
  /** The job's name; null when it has none. */
  name?: Maybe<Scalars['String']['output']>;
  /** The key files' format in the download (server-side jobs); null otherwise. */
  privateKeyFormat?: Maybe<IotBatchPrivateKeyFormat>;
  /** When it was rejected; null unless it was. */
  rejectedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Why the job or its rows failed. */
  report: BatchJobReport;
  /** When DigiCert started processing it. */
  startedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Where it is. */
  status: BatchJobStatus;
  /** Rows done so far (certificates issued, devices registered; DigiCert's `success`). */
  successCount?: Maybe<Scalars['Int']['output']>;
  /** Rows (or files) in the job, as DigiCert counts them (`total`); null until DigiCert says. */
  totalCount?: Maybe<Scalars['Int']['output']>;
  /** When it last changed, as DigiCert reports it. */
  updatedAt?: Maybe<Scalars['DateTime']['output']>;
};

/** DigiCert accepted the approval; the job runs. */
export type IotBatchJobApproved = {
  __typename?: 'IotBatchJobApproved';
  /** The job as DigiCert reports it now (read when selected). */
  job?: Maybe<IotBatchJob>;
  /** DigiCert's id of the job (a UUID). */
  jobId: Scalars['String']['output'];
};

/** DigiCert accepted the rejection; nothing is issued. */
export type IotBatchJobRejected = {
  __typename?: 'IotBatchJobRejected';
  /** The job as DigiCert reports it now (read when selected). */
  job?: Maybe<IotBatchJob>;
  /** DigiCert's id of the job (a UUID). */
  jobId: Scalars['String']['output'];
};

/** Who generates the keys of a batch job. */
export type IotBatchKeyGeneration =
  /** The data file carries CSRs (a csr column, or a ZIP of CSR files). */
  | 'CLIENT_SIDE'
  /** DigiCert generates the keys and returns them encrypted. */
  | 'SERVER_SIDE';

/** The key files inside a server-side PEM or DER download. */
export type IotBatchPrivateKeyFormat =
  /** DER key files. */
  | 'DER'
  /** PEM key files. */
  | 'PEM';

/** DigiCert generates each row's key and returns it encrypted to `encryptionCertificate`. */
export type IotBatchServerSideKeyGenerationInput = {
  /** One PEM certificate with an RSA key, within its validity. */
  encryptionCertificate: Scalars['String']['input'];
  /** Absent: the profile's default. */
  keyType?: InputMaybe<IotKeyType>;
  /** The key files inside a PEM/DER download; default PEM. */
  privateKeyFormat?: InputMaybe<IotBatchPrivateKeyFormat>;
  /** Default PKCS8; PKCS1 for RSA keys only. */
  privateKeySyntax?: InputMaybe<PrivateKeySyntax>;
};

/** An IoT enrollment method the gateway uses (a profile's `enrollment_methods`; EST, SCEP and CMPv2 are left out). */
export type IotEnrollmentMethod =
  /** One certificate per call: enrollDeviceCertificate. */
  | 'API'
  /** Many from a file: createIotBatchEnrollment. */
  | 'BATCH';

/** An IoT Trust Manager key type (DigiCert's lowercase `key_type`, e.g. rsa_2048). */
export type IotKeyType =
  /** Ed25519. */
  | 'ED_25519'
  /** ECDSA on NIST P-256. */
  | 'P_256'
  /** ECDSA on NIST P-384. */
  | 'P_384'
  /** ECDSA on NIST P-521. */
  | 'P_521'
  /** RSA, 2048-bit modulus. */
  | 'RSA_2048'
  /** RSA, 3072-bit modulus. */
  | 'RSA_3072'
  /** RSA, 4096-bit modulus. */
  | 'RSA_4096';

/** The public key's algorithm (its SubjectPublicKeyInfo). */
export type KeyAlgorithm =
  /** Elliptic curve (id-ecPublicKey); see `curve`. */
  | 'EC'
  /** Ed448 (RFC 8410). */
  | 'ED448'
  /** Ed25519 (RFC 8410). */
  | 'ED25519'
  /** RSA (rsaEncryption). */
  | 'RSA'
  /** Another algorithm the gateway does not name. */
  | 'UNKNOWN';

/** Who may generate keys under an IoT enrollment profile (its `key_generation_option`). */
export type KeyGenerationOption =
  /** Either, per request. */
  | 'CLIENT_OR_SERVER_SIDE'
  /** The requester, who sends a CSR. */
  | 'CLIENT_SIDE'
  /** DigiCert, which returns the key once. */
  | 'SERVER_SIDE'
  /** An option DigiCert added since this gateway was written. */
  | 'UNKNOWN';

/** A bit of the key usage extension (RFC 5280 section 4.2.1.3). */
export type KeyUsage =
  /** cRLSign: the key signs CRLs. */
  | 'CRL_SIGN'
  /** dataEncipherment. */
  | 'DATA_ENCIPHERMENT'
  /** decipherOnly (with keyAgreement). */
  | 'DECIPHER_ONLY'
  /** digitalSignature. */
  | 'DIGITAL_SIGNATURE'
  /** encipherOnly (with keyAgreement). */
  | 'ENCIPHER_ONLY'
  /** keyAgreement. */
  | 'KEY_AGREEMENT'
  /** keyCertSign: the key signs certificates. */
  | 'KEY_CERT_SIGN'
  /** keyEncipherment. */
  | 'KEY_ENCIPHERMENT'
  /** nonRepudiation (contentCommitment). */
  | 'NON_REPUDIATION';

/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type Mutation = {
  __typename?: 'Mutation';
  /** Approves a PENDING_APPROVAL device registration job. Never resent. */
  approveDeviceRegistrationBatch: ApproveDeviceRegistrationBatchResult;
  /** Approves a PENDING_APPROVAL job. Never resent. */
  approveIotBatchJob: ApproveIotBatchJobResult;
  /** Creates a Device Trust Manager batch registration job from a data file sent as a multipart upload (with the header x-graphql-csrf or Authorization), streamed to disk whatever its size. Checked before anything is sent: every field, the group and policy, and the whole file (header against the policy's template, every row, every CSR's signature, ZIP entries and sizes). Needs scopes batch-jobs and devices. Never resent. */
  createDeviceRegistrationBatch: CreateDeviceRegistrationBatchResult;
  /** Creates an IoT batch enrollment job from a data file sent as a multipart upload (with the header x-graphql-csrf or Authorization). Checked before anything is sent: the profile id, the key generation fields, the encryption certificate, the profile's rules, and the file (InvalidBatchFileError names its rows, columns or ZIP entries). Never resent. */
  createIotBatchEnrollment: CreateIotBatchEnrollmentResult;
  /** Deletes a device; DigiCert wants it disabled first (disableDevice). The id is checked before anything is sent; never resent. */
  deleteDevice: DeleteDeviceResult;
  /** Disables a device (it can then be deleted). The id and reason are checked before anything is sent; never resent. */
  disableDevice: DisableDeviceResult;
  /** Request an IoT certificate (POST /iot/api/v1/certificate) with a CSR, or with a key pair DigiCert generates (returned once; needs scope keys:generate). Never retried. */
  enrollDeviceCertificate: EnrollDeviceCertificateResult;
  /** Collect a certificate whose request was pending approval (POST /mpki/api/v1/certificate-pickup/{request_id}, which only reads); safe to repeat. */
  pickupCertificate: PickupCertificateResult;
  /** Registers one device in Device Trust Manager. Checked before anything is sent; never resent. */
  registerDevice: RegisterDeviceResult;
  /** Rejects a PENDING_APPROVAL device registration job; no device is registered. Never resent. */
  rejectDeviceRegistrationBatch: RejectDeviceRegistrationBatchResult;
  /** Rejects a PENDING_APPROVAL job; nothing is issued. Never resent. */
  rejectIotBatchJob: RejectIotBatchJobResult;
  /** Renew a TLM certificate within its profile's renewal window, with a new CSR (POST /mpki/api/v1/certificate/{serial}/renew). Never retried by the gateway. */
  renewCertificate: RenewCertificateResult;
  /** Renew an IoT certificate (POST /iot/api/v1/certificate/{id}/renew) with a CSR or a new server-side key. Never retried. */
  renewDeviceCertificate: RenewDeviceCertificateResult;
  /** Submit a CSR to a TLM profile (POST /mpki/api/v1/certificate). Never retried by the gateway. */
  requestCertificate: RequestCertificateResult;
  /** Take a suspended (CERTIFICATE_HOLD) certificate off hold (DELETE /mpki/api/v1/certificate/{serial}/revoke). DigiCert suspends and resumes only its private CA's certificates. Never retried by the gateway. */
  resumeCertificate: ResumeCertificateResult;
  /** Revoke (or, with CERTIFICATE_HOLD, suspend) a TLM certificate (PUT /mpki/api/v1/certificate/{serial}/revoke). */
  revokeCertificate: RevokeCertificateResult;
  /** Revoke an IoT certificate (PUT /iot/api/v1/certificate/{id}/revoke). Never retried. */
  revokeDeviceCertificate: RevokeDeviceCertificateResult;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationApproveDeviceRegistrationBatchArgs = {
  id: Scalars['ID']['input'];
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationApproveIotBatchJobArgs = {
  id: Scalars['ID']['input'];
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationCreateDeviceRegistrationBatchArgs = {
  input: CreateDeviceRegistrationBatchInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationCreateIotBatchEnrollmentArgs = {
  input: CreateIotBatchEnrollmentInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationDeleteDeviceArgs = {
  input: DeleteDeviceInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationDisableDeviceArgs = {
  input: DisableDeviceInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationEnrollDeviceCertificateArgs = {
  input: EnrollDeviceCertificateInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationPickupCertificateArgs = {
  input: PickupCertificateInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationRegisterDeviceArgs = {
  input: RegisterDeviceInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationRejectDeviceRegistrationBatchArgs = {
  id: Scalars['ID']['input'];
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationRejectIotBatchJobArgs = {
  id: Scalars['ID']['input'];
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationRenewCertificateArgs = {
  input: RenewCertificateInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationRenewDeviceCertificateArgs = {
  input: RenewDeviceCertificateInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationRequestCertificateArgs = {
  input: RequestCertificateInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationResumeCertificateArgs = {
  input: ResumeCertificateInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationRevokeCertificateArgs = {
  input: RevokeCertificateInput;
};


/** Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors. */
export type MutationRevokeDeviceCertificateArgs = {
  input: RevokeDeviceCertificateInput;
};

/** An object with a global id (`id`), readable again with `node(id:)` or `nodes(ids:)`. The global id is opaque (base64 of the type and DigiCert's id); every argument that names an object also takes DigiCert's own id. */
export type Node = {
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
};

/** One labelled value of a raw other name, as DigiCert's API takes it. */
export type OtherNameValueInput = {
  /** The value's label, as the other name's type defines it. */
  label: Scalars['String']['input'];
  /** The value. */
  value: Scalars['String']['input'];
};

/** otherName SANs (TLM's other_names). */
export type OtherNamesInput = {
  /** Microsoft GUIDs: a UUID, a braced UUID, or 0x and 32 hexadecimal digits. */
  guids?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Other names of any type. */
  raw?: InputMaybe<Array<RawOtherNameInput>>;
};

/** Where a page of a connection sits. Pagination is forward only (`first`, `after`): DigiCert's listings are offset pages. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The cursor of the page's last edge, to pass as `after`; null on an empty page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** Whether more items follow: pass `endCursor` as `after` to read them. */
  hasNextPage: Scalars['Boolean']['output'];
  /** Whether items come before this page (it did not start at the first item). */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** The cursor of the page's first edge; null on an empty page. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

/** The private key as PEM text (PKCS#8, or PKCS#1 for RSA when asked). */
export type PemPrivateKey = {
  __typename?: 'PemPrivateKey';
  /** The key, PEM text. Never logged or cached. */
  pem: Scalars['String']['output'];
};

/** A pending request to collect (CertificatePending's requestId and profileId). */
export type PickupCertificateInput = {
  /** The request's profile. The Profile's global id (`Profile.id`), or DigiCert's id (`profileId`, a UUID); checked before any upstream call. */
  profileId: Scalars['ID']['input'];
  /** DigiCert's request id (CertificatePending.requestId): 1 to 64 letters, digits or dashes. */
  requestId: Scalars['String']['input'];
};

/** The certificate once approved, the same pending request until then, or why not. */
export type PickupCertificateResult = CertificateIssued | CertificatePending | ProfileNotFoundError | RequestNotFoundError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** A PKCS#12 file (key, certificate and chain), base64; it opens with the password you chose. */
export type Pkcs12Bundle = {
  __typename?: 'Pkcs12Bundle';
  /** The bytes, base64 (RFC 4648). Never logged or cached. */
  base64: Scalars['String']['output'];
};

/** Server-side generated key material, delivered once: DigiCert keeps no copy and neither does the gateway. */
export type PrivateKey = DerPrivateKey | EncryptedCertificateBundle | EncryptedPrivateKey | PemPrivateKey | Pkcs12Bundle;

/** How a server-side generated key is delivered (DigiCert's `private_key_format`). */
export type PrivateKeyFormat =
  /** CMS EnvelopedData for encryptionCertificate, holding certificate, chain and key: EncryptedCertificateBundle. */
  | 'CERT_ENCRYPTED'
  /** CMS EnvelopedData for encryptionCertificate, holding the key alone: EncryptedPrivateKey. */
  | 'CERT_ENCRYPTED_KEY_ONLY'
  /** DER, base64: DerPrivateKey. */
  | 'DER'
  /** PEM text: PemPrivateKey. */
  | 'PEM'
  /** A PKCS#12 file with the certificate and chain, opened by pkcs12Password: Pkcs12Bundle. */
  | 'PKCS12';

/** The syntax of a server-side generated private key (DigiCert's `private_key_syntax`). */
export type PrivateKeySyntax =
  /** PKCS#1, RSA keys only. */
  | 'PKCS1'
  /** PKCS#8 (any key type); the default. */
  | 'PKCS8';

/** A Trust Lifecycle Manager certificate profile (GET /mpki/api/v2/profile/{id}): the template, enrollment method and rules certificates are requested under. Needs scope certificates:read. */
export type Profile = Node & {
  __typename?: 'Profile';
  /** Key sizes (RSA bits, e.g. 2048) or curves (e.g. P-256) a CSR's key may have, as DigiCert lists them. */
  allowedKeySizes: Array<Scalars['String']['output']>;
  /** How requesters authenticate (`authentication_method`), e.g. third_party_app (instant issuance over the API) or manual_approval. */
  authenticationMethod?: Maybe<Scalars['String']['output']>;
  /** Whether DigiCert renews certificates of this profile automatically. */
  automatedRenewal?: Maybe<Scalars['Boolean']['output']>;
  /** The business unit that owns it; null when DigiCert names none. */
  businessUnit?: Maybe<BusinessUnit>;
  /** OIDs of the extended key usages the profile adds beyond its template's. */
  customExtendedKeyUsages: Array<Scalars['String']['output']>;
  /** How the profile delivers certificates by default (`certificate_delivery_format`). */
  deliveryFormat?: Maybe<ProfileDeliveryFormat>;
  /** DigiCert's duplicate-certificate policy: true allows several valid certificates per subject; false answers requestCertificate with DuplicateCertificateError. */
  duplicateCertificatesAllowed?: Maybe<Scalars['Boolean']['output']>;
  /** How certificates are requested (`enrollment_method`), e.g. rest_api (what requestCertificate needs), csr, est or scep. */
  enrollmentMethod?: Maybe<Scalars['String']['output']>;
  /** The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates). */
  id: Scalars['ID']['output'];
  /** The key escrow policy; null when DigiCert reports none. */
  keyEscrow?: Maybe<ProfileKeyEscrow>;
  /** The profile's name in DigiCert ONE. */
  name: Scalars['String']['output'];
  /** DigiCert's profile id (a UUID); what profile id arguments take besides `id`. */
  profileId: Scalars['String']['output'];
  /** The renewal window as DigiCert's `renewal_period_days`: days before expiry (default 30) from which renewCertificate is allowed. */
  renewalPeriodDays?: Maybe<Scalars['Int']['output']>;
  /** Days before expiry in which a certificate may be renewed (`renewal_window_days`). */
  renewalWindowDays?: Maybe<Scalars['Int']['output']>;
  /** The signature algorithm of its certificates (`signature_algorithm`), e.g. SHA256_WITH_RSA or MATCH_ISSUER. */
  signatureAlgorithm?: Maybe<Scalars['String']['output']>;
  /** Whether it is in use. */
  status: ProfileStatus;
  /** The subject alternative name attributes it defines, in DigiCert's order. */
  subjectAltNameAttributes: Array<ProfileAttribute>;
  /** The subject attributes it defines, in DigiCert's order. */
  subjectAttributes: Array<ProfileAttribute>;
  /** Its certificates' validity; null when DigiCert sent none. */
  validity?: Maybe<ProfileValidity>;
  /** Whether a request's `validity` is honoured (`override_cert_validity_via_api`). */
  validityOverrideAllowed: Scalars['Boolean']['output'];
};

/** A subject or SAN attribute the profile defines (its `certificate.subject` or `extensions.san`). */
export type ProfileAttribute = {
  __typename?: 'ProfileAttribute';
  /** Whether a request must carry it. */
  mandatory: Scalars['Boolean']['output'];
  /** Whether it may have several values. */
  multiple: Scalars['Boolean']['output'];
  /** Where the value may come from, in DigiCert's order; empty when the profile lists none. */
  sources: Array<ProfileAttributeSource>;
  /** DigiCert's attribute name, e.g. common_name or dns_names. */
  type: Scalars['String']['output'];
};

/** One source of an attribute's value, as the profile configures it. */
export type ProfileAttributeSource = {
  __typename?: 'ProfileAttributeSource';
  /** The Active Directory attribute an AD_ATTRIBUTE source reads. */
  adAttributeKey?: Maybe<Scalars['String']['output']>;
  /** The value every certificate gets, for a FIXED_VALUE source. */
  fixedValue?: Maybe<Scalars['String']['output']>;
  /** Whether this source must supply the value. */
  mandatory: Scalars['Boolean']['output'];
  /** The kind of source. */
  source: ProfileAttributeSourceType;
};

/** Where an attribute's value comes from (DigiCert's `source`); UNKNOWN for a source DigiCert added since. */
export type ProfileAttributeSourceType =
  /** Read from Active Directory (`adAttributeKey`). */
  | 'AD_ATTRIBUTE'
  /** The requester supplies it (in requestCertificate's input). */
  | 'ENTERED_BY_USER_DURING_ENROLLMENT'
  /** The same value for every certificate (`fixedValue`). */
  | 'FIXED_VALUE'
  /** A source DigiCert added since this gateway was written. */
  | 'UNKNOWN'
  /** An administrator uploaded it to DigiCert ONE. */
  | 'UPLOADED_BY_ADMIN';

/** A page of TLM profiles. No totalCount: TLM's profile list does not count. */
export type ProfileConnection = {
  __typename?: 'ProfileConnection';
  /** The page's items, each with its cursor, in order. */
  edges: Array<ProfileEdge>;
  /** Whether more pages follow, and the cursors to read them. */
  pageInfo: PageInfo;
};

/** How the profile delivers certificates; UNKNOWN for a format DigiCert added since. */
export type ProfileDeliveryFormat =
  /** A PKCS#7 bundle of the certificate and its chain. */
  | 'PKCS7'
  /** A format DigiCert added since this gateway was written. */
  | 'UNKNOWN'
  /** An X.509 certificate, PEM. */
  | 'X509';

/** An edge of ProfileConnection: one item and its cursor. */
export type ProfileEdge = {
  __typename?: 'ProfileEdge';
  /** Opaque: pass it as `after` to read the items that follow this one. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: Profile;
};

/** The profile's key escrow policy (`key_escrow_policy`). */
export type ProfileKeyEscrow = {
  __typename?: 'ProfileKeyEscrow';
  /** Where keys are escrowed, e.g. CLOUD. */
  deploymentMode?: Maybe<Scalars['String']['output']>;
  /** Whether recovering a key needs two administrators. */
  dualAdminRecovery?: Maybe<Scalars['Boolean']['output']>;
  /** Whether DigiCert escrows private keys. */
  enabled: Scalars['Boolean']['output'];
};

/** The profile does not exist or is not available to this gateway. */
export type ProfileNotFoundError = Error & {
  __typename?: 'ProfileNotFoundError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
  /** DigiCert's id of the profile asked for (a UUID, or IOT_<uuid> for IoT). */
  profileId: Scalars['String']['output'];
};

/** A profile's status in DigiCert (TLM's `Active`/`Deleted`, IoT Trust Manager's `ACTIVE`/`DELETED`). */
export type ProfileStatus =
  /** In use: certificates can be requested with it. */
  | 'ACTIVE'
  /** Deleted in DigiCert ONE: it issues no more certificates. */
  | 'DELETED'
  /** A status DigiCert added since this gateway was written. */
  | 'UNKNOWN';

/** How long the profile's certificates are valid (its `certificate.validity`). */
export type ProfileValidity = {
  __typename?: 'ProfileValidity';
  /** How many units. */
  duration: Scalars['Int']['output'];
  /** The unit of `duration`: years, months, days, hours or minutes (lowercase, as DigiCert sends it). */
  unit: Scalars['String']['output'];
};

/** The certificate's public key. */
export type PublicKeyInfo = {
  __typename?: 'PublicKeyInfo';
  /** The key's algorithm. */
  algorithm: KeyAlgorithm;
  /** P-256, P-384 or P-521 for EC keys; null otherwise. */
  curve?: Maybe<Scalars['String']['output']>;
  /** Bits: the RSA modulus size, or the EC field size (256, 384, 521); null otherwise. */
  size?: Maybe<Scalars['Int']['output']>;
};

/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type Query = {
  __typename?: 'Query';
  /** A batch job of either product by its global id, or by DigiCert's job id (a UUID; both products are asked); null when DigiCert has none. */
  batchJob?: Maybe<BatchJob>;
  /** Device Trust Manager batch jobs matching the filter, newest first (GET /devicetrustmanager/certificate-batch-service/api/v1/jobs): one upstream call a page, at most 100 a page. IoT Trust Manager lists no jobs: read those with batchJob(id:). */
  batchJobs: BatchJobConnection;
  /** A TLM certificate by serial number (GET /mpki/api/v1/certificate/{serial}); null when DigiCert has none. By global id: node(id:). */
  certificate?: Maybe<Certificate>;
  /** A Device Trust Manager certificate policy (GET .../certificate-configuration-service/api/v2/certificate-policy/{id}); null when DigiCert has none for these credentials. */
  certificatePolicy?: Maybe<CertificatePolicy>;
  /** TLM certificates matching the filter, newest first (GET /mpki/api/v1/certificate-search): one upstream call a page, at most 100 a page. */
  certificates: CertificateConnection;
  /** A Device Trust Manager device (GET /devicetrustmanager/api/v4/device/{id}); null when DigiCert has none for these credentials. */
  device?: Maybe<Device>;
  /** An IoT certificate (GET /iot/api/v1/certificate/{id}); null when DigiCert has none for these credentials. */
  deviceCertificate?: Maybe<DeviceCertificate>;
  /** IoT certificates matching the filter (GET /iot/api/v1/certificate): one upstream call a page, at most 100 a page. */
  deviceCertificates: DeviceCertificateConnection;
  /** A Device Trust Manager device group (GET /devicetrustmanager/api/v4/device-group/{id}); null when DigiCert has none for these credentials. */
  deviceGroup?: Maybe<DeviceGroup>;
  /** The device groups these credentials can use (GET /devicetrustmanager/api/v4/device-group; the first 100). */
  deviceGroups: Array<DeviceGroup>;
  /** Devices matching the filter, newest first (GET /devicetrustmanager/api/v4/device): one upstream call a page, at most 100 a page. */
  devices: DeviceConnection;
  /** An IoT enrollment profile (GET /iot/api/v1/enrollment-profile/{id}); null when it does not exist or is not available to the gateway. */
  enrollmentProfile?: Maybe<EnrollmentProfile>;
  /** IoT enrollment profiles, in DigiCert's order (GET /iot/api/v1/enrollment-profile); at most 50 a page. */
  enrollmentProfiles: EnrollmentProfileConnection;
  /** The object with this global id; null when DigiCert has none (or these credentials cannot see it). Needs the scope the object's type needs; no upstream call for a malformed id (VALIDATION_FAILED). */
  node?: Maybe<Node>;
  /** The objects with these global ids, in the same order: each null when DigiCert has none, or with its own error (e.g. FORBIDDEN) at its index. At most 50 ids; read through the same per-request loaders as the fields that return them. */
  nodes: Array<Maybe<Node>>;
  /** A TLM profile (GET /mpki/api/v2/profile/{id}); null when it does not exist or is not available to the gateway. */
  profile?: Maybe<Profile>;
  /** TLM profiles, in DigiCert's order (GET /mpki/api/v2/profile); at most 50 a page. */
  profiles: ProfileConnection;
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryBatchJobArgs = {
  id: Scalars['ID']['input'];
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryBatchJobsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<BatchJobFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryCertificateArgs = {
  serialNumber: Scalars['SerialNumber']['input'];
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryCertificatePolicyArgs = {
  id: Scalars['ID']['input'];
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryCertificatesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<CertificateFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryDeviceArgs = {
  id: Scalars['ID']['input'];
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryDeviceCertificateArgs = {
  id: Scalars['ID']['input'];
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryDeviceCertificatesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<DeviceCertificateFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryDeviceGroupArgs = {
  id: Scalars['ID']['input'];
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryDevicesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<DeviceFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryEnrollmentProfileArgs = {
  id: Scalars['ID']['input'];
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryEnrollmentProfilesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryProfileArgs = {
  id: Scalars['ID']['input'];
};


/** Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN). */
export type QueryProfilesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** An otherName SAN of any type (raw_other_names): its type OID and its values. */
export type RawOtherNameInput = {
  /** Dotted decimal, e.g. 1.3.6.1.4.1.311.25.1. */
  oid: Scalars['String']['input'];
  /** 1 to 20 values. */
  values: Array<OtherNameValueInput>;
};

/** One device to register (DigiCert's POST /devicetrustmanager/api/v4/device/registration body). */
export type RegisterDeviceInput = {
  /** At most 5 certificate policies. */
  bootstrap?: InputMaybe<Array<DeviceBootstrapInput>>;
  /** A description DigiCert keeps with it. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** The group it joins. The DeviceGroup's global id (`DeviceGroup.id`), or DigiCert's id (`groupId`, a UUID); checked before any upstream call. */
  deviceGroupId: Scalars['ID']['input'];
  /** Unique in the group (case-insensitive). */
  name: Scalars['String']['input'];
};

/** The new device, or why not. */
export type RegisterDeviceResult = CertificatePolicyNotFoundError | DeviceGroupNotFoundError | DeviceRegistered | DuplicateDeviceError | InvalidCsrError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** The rejected job, or why not (RequestNotFoundError: no such job; ValidationError: not PENDING_APPROVAL). */
export type RejectDeviceRegistrationBatchResult = DeviceRegistrationBatchRejected | RequestNotFoundError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** The rejected job, or why not (RequestNotFoundError: no such job; ValidationError: not PENDING_APPROVAL). */
export type RejectIotBatchJobResult = IotBatchJobRejected | RequestNotFoundError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** A renewal of a TLM certificate (DigiCert's POST /mpki/api/v1/certificate/{serial}/renew body). */
export type RenewCertificateInput = {
  /** One PEM PKCS#10 request for the new certificate; its signature is verified first. */
  csr: Scalars['String']['input'];
  /** X509 (default): CertificateIssued.pem; PKCS7: CertificateIssued.pkcs7. */
  deliveryFormat?: InputMaybe<DeliveryFormat>;
  /** Optional, 1-128 of [A-Za-z0-9_.:-], e.g. a UUID. Repeating the mutation with the same key and input returns the first result instead of issuing again (kept 24 h); the same key with other input is a ValidationError. */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  /** Append the chain to the returned PEM (or PKCS#7). */
  includeCaChain?: InputMaybe<Scalars['Boolean']['input']>;
  /** The certificate to renew; it must be within its profile's renewal window. */
  serialNumber: Scalars['SerialNumber']['input'];
  /** Absent: the profile's validity. */
  validity?: InputMaybe<ValidityInput>;
};

/** The renewed certificate (a new serial number), a pending request, or why not. */
export type RenewCertificateResult = CertificateIssued | CertificateNotFoundError | CertificatePending | DuplicateCertificateError | InvalidCsrError | RenewalNotAllowedError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** A renewal of an IoT certificate: exactly one of csr or serverSideKeyGeneration. */
export type RenewDeviceCertificateInput = {
  /** Absent: the certificate's own. subject.* and san.* ids of the profile. */
  certificateAttributes?: InputMaybe<Array<IotAttributeInput>>;
  /** One PEM PKCS#10 request for the new certificate. */
  csr?: InputMaybe<Scalars['String']['input']>;
  /** Absent: the certificate's own. DEVICE_IDENTIFIER and device attribute ids. */
  deviceAttributes?: InputMaybe<Array<IotAttributeInput>>;
  /** The certificate to renew. The DeviceCertificate's global id (`DeviceCertificate.id`), or DigiCert's id (`certificateId`, a UUID, or the serial number); checked before any upstream call. */
  id: Scalars['ID']['input'];
  /** Optional: a repeat with the same key and input returns the first result (without the private key) instead of issuing again. */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  /** Instead of csr: DigiCert generates a new key pair. */
  serverSideKeyGeneration?: InputMaybe<ServerSideKeyGenerationInput>;
};

/** The renewed certificate (and private key), or why not. */
export type RenewDeviceCertificateResult = CertificateNotFoundError | DeviceCertificateEnrolled | InvalidCsrError | RenewalNotAllowedError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** The certificate is outside its profile's renewal window. */
export type RenewalNotAllowedError = Error & {
  __typename?: 'RenewalNotAllowedError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
  /** The certificate's serial number (or IoT certificate id), as asked for. */
  serialNumber: Scalars['String']['output'];
};

/** A certificate request to a TLM profile (DigiCert's POST /mpki/api/v1/certificate body). */
export type RequestCertificateInput = {
  /** One PEM PKCS#10 request; its signature is verified first. */
  csr: Scalars['String']['input'];
  /** X509 (default): CertificateIssued.pem; PKCS7: CertificateIssued.pkcs7. */
  deliveryFormat?: InputMaybe<DeliveryFormat>;
  /** Optional, 1-128 of [A-Za-z0-9_.:-], e.g. a UUID. Repeating the mutation with the same key and input returns the first result instead of issuing again (kept 24 h); the same key with other input is a ValidationError. */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  /** Append the chain to the returned PEM (or PKCS#7). */
  includeCaChain?: InputMaybe<Scalars['Boolean']['input']>;
  /** A profile with enrollment method rest_api. The Profile's global id (`Profile.id`), or DigiCert's id (`profileId`, a UUID); checked before any upstream call. */
  profileId: Scalars['ID']['input'];
  /** The seat that will own the certificate, e.g. an email or FQDN. */
  seatId: Scalars['String']['input'];
  /** Subject attributes; absent: the CSR's. */
  subject?: InputMaybe<SubjectInput>;
  /** Subject alternative names. */
  subjectAltNames?: InputMaybe<SubjectAltNamesInput>;
  /** Tags DigiCert keeps on the certificate (at most 100, each 1-128 characters). */
  tags?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Absent: the profile's validity. */
  validity?: InputMaybe<ValidityInput>;
};

/** The certificate, a pending request, or why not. */
export type RequestCertificateResult = CertificateIssued | CertificatePending | DuplicateCertificateError | InvalidCsrError | ProfileNotFoundError | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** No pending certificate request, or batch job, has this id. */
export type RequestNotFoundError = Error & {
  __typename?: 'RequestNotFoundError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
  /** The id asked for: a TLM request id, or a batch job's id as it was sent. */
  requestId: Scalars['String']['output'];
};

/** A suspended certificate to take off hold. */
export type ResumeCertificateInput = {
  /** The certificate, revoked with CERTIFICATE_HOLD. */
  serialNumber: Scalars['SerialNumber']['input'];
};

/** The resumed certificate, or why not (ValidationError on input.serialNumber: DigiCert refused, e.g. not on hold). */
export type ResumeCertificateResult = CertificateNotFoundError | CertificateResumed | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** How and when a certificate was revoked, as DigiCert reports it. */
export type Revocation = {
  __typename?: 'Revocation';
  /** As DigiCert reports it (set in DigiCert ONE; the API's revoke takes none). */
  comments?: Maybe<Scalars['String']['output']>;
  /** Why; null when DigiCert does not say. */
  reason?: Maybe<RevocationReason>;
  /** When; null when DigiCert does not say. */
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
};

/** Why a certificate was revoked: RFC 5280's CRLReason (section 5.3.1), as DigiCert takes and reports it. */
export type RevocationReason =
  /** aACompromise (10): the attribute authority is compromised. */
  | 'AA_COMPROMISE'
  /** affiliationChanged (3): the subject's name or other information changed. */
  | 'AFFILIATION_CHANGED'
  /** cACompromise (2): the issuing CA's key is compromised. */
  | 'CA_COMPROMISE'
  /** certificateHold (6): suspended; it can be taken off hold (resumeCertificate). */
  | 'CERTIFICATE_HOLD'
  /** cessationOfOperation (5): no longer needed. */
  | 'CESSATION_OF_OPERATION'
  /** keyCompromise (1): the private key is known or suspected to be compromised. */
  | 'KEY_COMPROMISE'
  /** privilegeWithdrawn (9): a privilege it asserted was withdrawn. */
  | 'PRIVILEGE_WITHDRAWN'
  /** removeFromCRL (8): taken off hold. */
  | 'REMOVE_FROM_CRL'
  /** superseded (4): replaced by another certificate. */
  | 'SUPERSEDED'
  /** unspecified (0). */
  | 'UNSPECIFIED';

/** A revocation (DigiCert's PUT /mpki/api/v1/certificate/{serial}/revoke body). */
export type RevokeCertificateInput = {
  /**
   * Ignored: at most 512 printable characters, checked, and not sent to DigiCert.
   * @deprecated DigiCert ONE's revoke request takes only the reason: the gateway checks this value (at most 512 printable characters) and does not send it.
   */
  comments?: InputMaybe<Scalars['String']['input']>;
  /** CERTIFICATE_HOLD suspends (resumeCertificate takes it off hold). */
  reason: RevocationReason;
  /** The certificate to revoke. */
  serialNumber: Scalars['SerialNumber']['input'];
};

/** The revoked certificate, or why not. */
export type RevokeCertificateResult = AlreadyRevokedError | CertificateNotFoundError | CertificateRevoked | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamUnavailableError | ValidationError;

/** A revocation of an IoT certificate. */
export type RevokeDeviceCertificateInput = {
  /** The certificate to revoke. The DeviceCertificate's global id (`DeviceCertificate.id`), or DigiCert's id (`certificateId`, a UUID, or the serial number); checked before any upstream call. */
  id: Scalars['ID']['input'];
  /** Why (DigiCert's `reason`). */
  reason: RevocationReason;
};

/** The revoked certificate, or why not. */
export type RevokeDeviceCertificateResult = AlreadyRevokedError | CertificateNotFoundError | DeviceCertificateRevoked | ServiceUnavailableError | UpstreamAuthenticationError | UpstreamForbiddenError | UpstreamInvalidResponseError | UpstreamOutcomeUnknownError | UpstreamUnavailableError | ValidationError;

/** The TLM seat (user, device or server) that owns the certificate. */
export type Seat = {
  __typename?: 'Seat';
  /** DigiCert's seat id, e.g. an email or FQDN; what `seatId` inputs and filters take. */
  seatId: Scalars['String']['output'];
};

/** The kind of seat that owns a certificate (certificate-search's seat_type_id). */
export type SeatType =
  /** A device. */
  | 'DEVICE_SEAT'
  /** Certificates imported into DigiCert ONE. */
  | 'IMPORTED_SEAT'
  /** A server. */
  | 'SERVER_SEAT'
  /** Certificates DigiCert ONE found but does not manage. */
  | 'UNMANAGED_SEAT'
  /** A person. */
  | 'USER_SEAT';

/** Have DigiCert generate the key pair (needs the keys:generate scope). */
export type ServerSideKeyGenerationInput = {
  /** CERT_ENCRYPTED and CERT_ENCRYPTED_KEY_ONLY: a PEM certificate with an RSA key. */
  encryptionCertificate?: InputMaybe<Scalars['String']['input']>;
  /** PKCS12 and CERT_ENCRYPTED: put the chain in the bundle too. */
  includeCertificateChain?: InputMaybe<Scalars['Boolean']['input']>;
  /** Absent: the profile's default. */
  keyType?: InputMaybe<IotKeyType>;
  /** PKCS12 only: 6 to 20 of A-Z a-z 0-9. */
  pkcs12Password?: InputMaybe<Scalars['String']['input']>;
  /** How the key comes back (the PrivateKey member). */
  privateKeyFormat: PrivateKeyFormat;
  /** Absent: PKCS8. */
  privateKeySyntax?: InputMaybe<PrivateKeySyntax>;
};

/** The gateway cannot process this safely now (its shared store is unreachable); nothing was sent to DigiCert ONE. Send the same request again later. */
export type ServiceUnavailableError = Error & {
  __typename?: 'ServiceUnavailableError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
  /** Seconds to wait before sending the request again; null when the gateway cannot tell. */
  retryAfterSeconds?: Maybe<Scalars['Int']['output']>;
};

/** One subject alternative name of the certificate. */
export type SubjectAltName = {
  __typename?: 'SubjectAltName';
  /** Its form. */
  type: SubjectAltNameType;
  /** Its value, as text. */
  value: Scalars['String']['output'];
};

/** The GeneralName form of a subject alternative name (RFC 5280 section 4.2.1.6). */
export type SubjectAltNameType =
  /** dNSName: a host name. */
  | 'DNS'
  /** rfc822Name: an email address. */
  | 'EMAIL'
  /** iPAddress: IPv4 dotted or IPv6 compressed lowercase. */
  | 'IP'
  /** Any other form (other otherNames, directoryName, registeredID, ...). */
  | 'OTHER'
  /** A Microsoft user principal name (otherName 1.3.6.1.4.1.311.20.2.3). */
  | 'UPN'
  /** uniformResourceIdentifier. */
  | 'URI';

/** Subject alternative names (TLM's attributes.extensions.san); the profile decides which it uses. */
export type SubjectAltNamesInput = {
  /** dNSName SANs: host names (`dns_names`). */
  dnsNames?: InputMaybe<Array<Scalars['String']['input']>>;
  /** rfc822Name SANs: email addresses (`emails`). */
  emails?: InputMaybe<Array<Scalars['String']['input']>>;
  /** iPAddress SANs: IPv4 or IPv6 addresses (`ip_addresses`). */
  ipAddresses?: InputMaybe<Array<Scalars['String']['input']>>;
  /** otherName SANs. */
  otherNames?: InputMaybe<OtherNamesInput>;
  /** registeredID names: dotted-decimal OIDs. */
  registeredIds?: InputMaybe<Array<Scalars['String']['input']>>;
  /** uniformResourceIdentifier SANs (`uris`). */
  uris?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Microsoft UPNs (user@domain); DigiCert takes them for USER seats only. */
  userPrincipalNames?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** Subject attributes (TLM's attributes.subject); the profile decides which are required and which it uses. Values override the CSR's. */
export type SubjectInput = {
  /** CN, at most 64 characters. */
  commonName?: InputMaybe<Scalars['String']['input']>;
  /** C: two-letter ISO 3166 code. */
  country?: InputMaybe<Scalars['String']['input']>;
  /** description, one or more. */
  descriptions?: InputMaybe<Array<Scalars['String']['input']>>;
  /** dnQualifier. */
  dnQualifier?: InputMaybe<Scalars['String']['input']>;
  /** DC (domain_component), one or more, most significant last as in a DN (e.g. example, com). */
  domainComponents?: InputMaybe<Array<Scalars['String']['input']>>;
  /** emailAddress. */
  email?: InputMaybe<Scalars['String']['input']>;
  /** givenName. */
  givenName?: InputMaybe<Scalars['String']['input']>;
  /** L. */
  locality?: InputMaybe<Scalars['String']['input']>;
  /** organizationIdentifier. */
  organizationIdentifier?: InputMaybe<Scalars['String']['input']>;
  /** O. */
  organizationName?: InputMaybe<Scalars['String']['input']>;
  /** OU, one or more. */
  organizationalUnits?: InputMaybe<Array<Scalars['String']['input']>>;
  /** postalCode. */
  postalCode?: InputMaybe<Scalars['String']['input']>;
  /** pseudonym. */
  pseudonym?: InputMaybe<Scalars['String']['input']>;
  /** The subject's serialNumber attribute (2.5.4.5), not the certificate's serial number. */
  serialNumber?: InputMaybe<Scalars['String']['input']>;
  /** ST. */
  state?: InputMaybe<Scalars['String']['input']>;
  /** street, one or more. */
  streetAddresses?: InputMaybe<Array<Scalars['String']['input']>>;
  /** SN (surname). */
  surname?: InputMaybe<Scalars['String']['input']>;
  /** title. */
  title?: InputMaybe<Scalars['String']['input']>;
  /** x500UniqueIdentifier (unique_identifier), e.g. hex. */
  uniqueIdentifier?: InputMaybe<Scalars['String']['input']>;
  /** unstructuredAddress, one or more. */
  unstructuredAddresses?: InputMaybe<Array<Scalars['String']['input']>>;
  /** unstructuredName, one or more. */
  unstructuredNames?: InputMaybe<Array<Scalars['String']['input']>>;
  /** UID (user_identifier). */
  userIdentifier?: InputMaybe<Scalars['String']['input']>;
};

/** Live batch job status, over graphql-ws (WebSocket) or server-sent events. */
export type Subscription = {
  __typename?: 'Subscription';
  /** One batch job's state now, then on every change until a terminal status (COMPLETE, FAILED, TERMINATED, REJECTED). One poller of DigiCert per job however many listen. */
  batchJobStatusChanged: BatchJob;
  /** Several batch jobs (1 to 50): each one's state now, then its changes; completes when all have. */
  batchJobsStatusChanged: BatchJob;
};


/** Live batch job status, over graphql-ws (WebSocket) or server-sent events. */
export type SubscriptionBatchJobStatusChangedArgs = {
  id: Scalars['ID']['input'];
};


/** Live batch job status, over graphql-ws (WebSocket) or server-sent events. */
export type SubscriptionBatchJobsStatusChangedArgs = {
  ids: Array<Scalars['ID']['input']>;
};

/** DigiCert ONE rejected the gateway's credentials; an operator must act. */
export type UpstreamAuthenticationError = Error & {
  __typename?: 'UpstreamAuthenticationError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** DigiCert ONE refused the operation for the gateway's credentials. */
export type UpstreamForbiddenError = Error & {
  __typename?: 'UpstreamForbiddenError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** DigiCert ONE answered with a response the gateway could not read. */
export type UpstreamInvalidResponseError = Error & {
  __typename?: 'UpstreamInvalidResponseError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** The request may or may not have taken effect at DigiCert ONE. Check (e.g. search certificates) before retrying. */
export type UpstreamOutcomeUnknownError = Error & {
  __typename?: 'UpstreamOutcomeUnknownError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** An id DigiCert's answer did carry (a request id, or a serial the gateway could not read), to look for before trying again; null when none. Not a global id. */
  id?: Maybe<Scalars['String']['output']>;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** DigiCert ONE is unavailable; nothing was done. Try again later. */
export type UpstreamUnavailableError = Error & {
  __typename?: 'UpstreamUnavailableError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
  /** Seconds to wait before trying again, from DigiCert's Retry-After; null when it gave none. */
  retryAfterSeconds?: Maybe<Scalars['Int']['output']>;
};

/** An input value was refused; `field` is its path, e.g. `input.subject.country`. */
export type ValidationError = Error & {
  __typename?: 'ValidationError';
  /** What kind of failure this is; stable, for programs. */
  code: ErrorCode;
  /** The refused input's path, e.g. `input.subject.country` or `filter.statuses`. */
  field: Scalars['String']['output'];
  /** What happened, in English, for people; may change between releases. */
  message: Scalars['String']['output'];
};

/** A requested validity (DigiCert's `validity`). Honoured only by profiles that allow overriding validity (Profile.validityOverrideAllowed); others use the profile's. */
export type ValidityInput = {
  /** How many units, at least 1. */
  duration: Scalars['Int']['input'];
  /** The unit of `duration`. */
  unit: ValidityUnit;
};

/** The unit of a requested validity (DigiCert's `validity.unit`). */
export type ValidityUnit =
  /** Days. */
  | 'DAYS'
  /** Hours. */
  | 'HOURS'
  /** Minutes. */
  | 'MINUTES'
  /** Months. */
  | 'MONTHS'
  /** Years. */
  | 'YEARS';

/** Fields parsed by the gateway from the certificate itself (DER), not reported by DigiCert; no upstream call. */
export type X509Certificate = {
  __typename?: 'X509Certificate';
  /** The basic constraints; null without the extension. */
  basicConstraints?: Maybe<BasicConstraints>;
  /** Whole days until notAfter at the time of the request; negative once expired. */
  daysUntilExpiry: Scalars['Int']['output'];
  /** The extended key usages; null without the extension. */
  extendedKeyUsage?: Maybe<Array<ExtendedKeyUsage>>;
  /** The issuer's name. */
  issuer: DistinguishedName;
  /** The key usage bits set; null without the extension. */
  keyUsage?: Maybe<Array<KeyUsage>>;
  /** End of the validity period (notAfter). */
  notAfter: Scalars['DateTime']['output'];
  /** Start of the validity period (notBefore). */
  notBefore: Scalars['DateTime']['output'];
  /** The public key. */
  publicKey: PublicKeyInfo;
  /** Subject equals issuer and the certificate's own key verifies its signature. */
  selfSigned: Scalars['Boolean']['output'];
  /** The serial number in the certificate, without the DER sign-padding 00, as DigiCert prints it. */
  serialNumber: Scalars['SerialNumber']['output'];
  /** SHA-1 over the DER, uppercase hex without separators. */
  sha1Fingerprint: Scalars['String']['output'];
  /** SHA-256 over the DER, uppercase hex without separators. */
  sha256Fingerprint: Scalars['String']['output'];
  /** The issuer's signature algorithm, e.g. SHA256_WITH_RSA or SHA384_WITH_ECDSA; else its OID. */
  signatureAlgorithm: Scalars['String']['output'];
  /** The subject name. */
  subject: DistinguishedName;
  /** The subject alternative names, in encoded order; empty without the extension. */
  subjectAltNames: Array<SubjectAltName>;
};

export type BatchJobStatusChangedSubscriptionVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type BatchJobStatusChangedSubscription = { __typename?: 'Subscription', batchJobStatusChanged:
    | { __typename: 'DtmBatchJob', id: string, jobId: string, status: BatchJobStatus, totalCount?: number | null, successCount?: number | null, failedCount?: number | null }
    | { __typename: 'IotBatchJob', id: string, jobId: string, status: BatchJobStatus, totalCount?: number | null, successCount?: number | null, failedCount?: number | null }
   };

export type CreateDeviceRegistrationBatchMutationVariables = Exact<{
  input: CreateDeviceRegistrationBatchInput;
}>;


export type CreateDeviceRegistrationBatchMutation = { __typename?: 'Mutation', createDeviceRegistrationBatch:
    | { __typename: 'CertificatePolicyNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'DeviceGroupNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'DeviceRegistrationBatchCreated', jobId: string, job?: { __typename?: 'DtmBatchJob', id: string, status: BatchJobStatus, totalCount?: number | null } | null }
    | { __typename: 'InvalidBatchFileError', field: string, code: ErrorCode, message: string, problems: Array<{ __typename?: 'BatchFileProblem', row?: number | null, column?: string | null, entry?: string | null, message: string }> }
    | { __typename: 'ServiceUnavailableError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamAuthenticationError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamForbiddenError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamInvalidResponseError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamOutcomeUnknownError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamUnavailableError', code: ErrorCode, message: string }
    | { __typename: 'ValidationError', field: string, code: ErrorCode, message: string }
   };

export type DeviceCertificatesQueryVariables = Exact<{
  filter?: InputMaybe<DeviceCertificateFilter>;
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type DeviceCertificatesQuery = { __typename?: 'Query', deviceCertificates: { __typename?: 'DeviceCertificateConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename?: 'DeviceCertificateEdge', node: { __typename?: 'DeviceCertificate', id: string, certificateId: string, serialNumber?: string | null, commonName?: string | null, deviceIdentifier?: string | null, status: CertificateStatus, validTo?: string | null, enrollmentProfile?: { __typename?: 'EnrollmentProfile', profileId: string, name?: string | null } | null } }> } };

export type DeviceGroupPoliciesQueryVariables = Exact<{ [key: string]: never; }>;


export type DeviceGroupPoliciesQuery = { __typename?: 'Query', deviceGroups: Array<{ __typename?: 'DeviceGroup', id: string, groupId: string, name?: string | null, certificatePolicies: Array<{ __typename?: 'CertificatePolicy', id: string, policyId: string, name?: string | null, managementMethods: Array<DtmManagementMethod>, clientSideKeyGeneration: boolean, serverSideKeyGeneration: boolean, templateColumns: Array<{ __typename?: 'CsvTemplateColumn', name: string, required: boolean, multiple: boolean, clientSideOnly: boolean }> }> }> };

export type DtmBatchJobReportQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type DtmBatchJobReportQuery = { __typename?: 'Query', batchJob?:
    | { __typename: 'DtmBatchJob', id: string, jobId: string, status: BatchJobStatus, totalCount?: number | null, successCount?: number | null, failedCount?: number | null, registrations?: Array<{ __typename?: 'DeviceRegistration', row?: number | null, deviceName?: string | null, status: DeviceRegistrationStatus, deviceId?: string | null, errorCode?: string | null, errorMessage?: string | null }> | null, report: { __typename?: 'BatchJobReport', failureReason?: string | null, rowErrors?: Array<{ __typename?: 'BatchJobRowError', uniqueIdentifier: string, message: string }> | null } }
    | { __typename: 'IotBatchJob', id: string, jobId: string, status: BatchJobStatus, totalCount?: number | null, successCount?: number | null, failedCount?: number | null, report: { __typename?: 'BatchJobReport', failureReason?: string | null, rowErrors?: Array<{ __typename?: 'BatchJobRowError', uniqueIdentifier: string, message: string }> | null } }
   | null };

export type ExpiringCertificatesQueryVariables = Exact<{
  filter: CertificateFilter;
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type ExpiringCertificatesQuery = { __typename?: 'Query', certificates: { __typename?: 'CertificateConnection', totalCount: number, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename?: 'CertificateEdge', node: { __typename?: 'Certificate', id: string, serialNumber: string, commonName?: string | null, status: CertificateStatus, validTo?: string | null, profile?: { __typename?: 'Profile', profileId: string, name: string } | null } }> } };

export type PickupCertificateMutationVariables = Exact<{
  input: PickupCertificateInput;
}>;


export type PickupCertificateMutation = { __typename?: 'Mutation', pickupCertificate:
    | { __typename: 'CertificateIssued', serialNumber: string, deliveryFormat: DeliveryFormat, pem?: string | null }
    | { __typename: 'CertificatePending', requestId: string, profileId: string }
    | { __typename: 'ProfileNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'RequestNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'ServiceUnavailableError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamAuthenticationError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamForbiddenError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamInvalidResponseError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamOutcomeUnknownError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamUnavailableError', code: ErrorCode, message: string }
    | { __typename: 'ValidationError', field: string, code: ErrorCode, message: string }
   };

export type RenewCertificateMutationVariables = Exact<{
  input: RenewCertificateInput;
}>;


export type RenewCertificateMutation = { __typename?: 'Mutation', renewCertificate:
    | { __typename: 'CertificateIssued', serialNumber: string, pem?: string | null }
    | { __typename: 'CertificateNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'CertificatePending', requestId: string, profileId: string }
    | { __typename: 'DuplicateCertificateError', code: ErrorCode, message: string }
    | { __typename: 'InvalidCsrError', code: ErrorCode, message: string }
    | { __typename: 'RenewalNotAllowedError', code: ErrorCode, message: string }
    | { __typename: 'ServiceUnavailableError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamAuthenticationError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamForbiddenError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamInvalidResponseError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamOutcomeUnknownError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamUnavailableError', code: ErrorCode, message: string }
    | { __typename: 'ValidationError', field: string, code: ErrorCode, message: string }
   };

export type RenewDeviceCertificateMutationVariables = Exact<{
  input: RenewDeviceCertificateInput;
}>;


export type RenewDeviceCertificateMutation = { __typename?: 'Mutation', renewDeviceCertificate:
    | { __typename: 'CertificateNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'DeviceCertificateEnrolled', certificateId?: string | null, serialNumber?: string | null, pem?: string | null }
    | { __typename: 'InvalidCsrError', code: ErrorCode, message: string }
    | { __typename: 'RenewalNotAllowedError', code: ErrorCode, message: string }
    | { __typename: 'ServiceUnavailableError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamAuthenticationError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamForbiddenError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamInvalidResponseError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamOutcomeUnknownError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamUnavailableError', code: ErrorCode, message: string }
    | { __typename: 'ValidationError', field: string, code: ErrorCode, message: string }
   };

export type RequestCertificateMutationVariables = Exact<{
  input: RequestCertificateInput;
}>;


export type RequestCertificateMutation = { __typename?: 'Mutation', requestCertificate:
    | { __typename: 'CertificateIssued', serialNumber: string, deliveryFormat: DeliveryFormat, pem?: string | null }
    | { __typename: 'CertificatePending', requestId: string, profileId: string }
    | { __typename: 'DuplicateCertificateError', code: ErrorCode, message: string }
    | { __typename: 'InvalidCsrError', code: ErrorCode, message: string }
    | { __typename: 'ProfileNotFoundError', code: ErrorCode, message: string }
    | { __typename: 'ServiceUnavailableError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamAuthenticationError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamForbiddenError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamInvalidResponseError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamOutcomeUnknownError', code: ErrorCode, message: string }
    | { __typename: 'UpstreamUnavailableError', code: ErrorCode, message: string }
    | { __typename: 'ValidationError', field: string, code: ErrorCode, message: string }
   };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const BatchJobStatusChangedDocument = new TypedDocumentString(`
    subscription BatchJobStatusChanged($id: ID!) {
  batchJobStatusChanged(id: $id) {
    __typename
    id
    jobId
    status
    totalCount
    successCount
    failedCount
  }
}
    `, {"hash":"d2d6dfb5a98d2066ed8e3856bd4a78654b2064161d7a0092d4542caa7234be13"}) as unknown as TypedDocumentString<BatchJobStatusChangedSubscription, BatchJobStatusChangedSubscriptionVariables>;
export const CreateDeviceRegistrationBatchDocument = new TypedDocumentString(`
    mutation CreateDeviceRegistrationBatch($input: CreateDeviceRegistrationBatchInput!) {
  createDeviceRegistrationBatch(input: $input) {
    __typename
    ... on DeviceRegistrationBatchCreated {
      jobId
      job {
        id
        status
        totalCount
      }
    }
    ... on InvalidBatchFileError {
      field
      problems {
        row
        column
        entry
        message
      }
    }
    ... on ValidationError {
      field
    }
    ... on Error {
      code
      message
    }
  }
}
    `, {"hash":"dff8f49b72314da5babb233a266fa66d34edf489f76a0ee5d15d0f12ecfdb025"}) as unknown as TypedDocumentString<CreateDeviceRegistrationBatchMutation, CreateDeviceRegistrationBatchMutationVariables>;
export const DeviceCertificatesDocument = new TypedDocumentString(`
    query DeviceCertificates($filter: DeviceCertificateFilter, $first: Int!, $after: String) {
  deviceCertificates(filter: $filter, first: $first, after: $after) {
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        certificateId
        serialNumber
        commonName
        deviceIdentifier
        status
        validTo
        enrollmentProfile {
          profileId
          name
        }
      }
    }
  }
}
    `, {"hash":"97551d8ad1d94ad546ad8e5712b86f0b2080219d5bfb42f10aaa268a8cbe87b7"}) as unknown as TypedDocumentString<DeviceCertificatesQuery, DeviceCertificatesQueryVariables>;
export const DeviceGroupPoliciesDocument = new TypedDocumentString(`
    query DeviceGroupPolicies {
  deviceGroups {
    id
    groupId
    name
    certificatePolicies {
      id
      policyId
      name
      managementMethods
      clientSideKeyGeneration
      serverSideKeyGeneration
      templateColumns {
        name
        required
        multiple
        clientSideOnly
      }
    }
  }
}
    `, {"hash":"d6cad46e8e7d7160951e44fde33c32842a8b3775f067f3d6bb6d7814b5c513dc"}) as unknown as TypedDocumentString<DeviceGroupPoliciesQuery, DeviceGroupPoliciesQueryVariables>;
export const DtmBatchJobReportDocument = new TypedDocumentString(`
    query DtmBatchJobReport($id: ID!) {
  batchJob(id: $id) {
    __typename
    id
    jobId
    status
    totalCount
    successCount
    failedCount
    report {
      failureReason
      rowErrors {
        uniqueIdentifier
        message
      }
    }
    ... on DtmBatchJob {
      registrations {
        row
        deviceName
        status
        deviceId
        errorCode
        errorMessage
      }
    }
  }
}
    `, {"hash":"f7b063fe5e0f7ccbd35a44dc3fb2655b16e401d5a12960f1e2bc3a98f82a4bec"}) as unknown as TypedDocumentString<DtmBatchJobReportQuery, DtmBatchJobReportQueryVariables>;
export const ExpiringCertificatesDocument = new TypedDocumentString(`
    query ExpiringCertificates($filter: CertificateFilter!, $first: Int!, $after: String) {
  certificates(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        serialNumber
        commonName
        status
        validTo
        profile {
          profileId
          name
        }
      }
    }
  }
}
    `, {"hash":"d3ca4e81d7f438e694950cc0b2cd2d7deb8d06707c1f27dc23acf3f8867c1708"}) as unknown as TypedDocumentString<ExpiringCertificatesQuery, ExpiringCertificatesQueryVariables>;
export const PickupCertificateDocument = new TypedDocumentString(`
    mutation PickupCertificate($input: PickupCertificateInput!) {
  pickupCertificate(input: $input) {
    __typename
    ... on CertificateIssued {
      serialNumber
      deliveryFormat
      pem
    }
    ... on CertificatePending {
      requestId
      profileId
    }
    ... on ValidationError {
      field
    }
    ... on Error {
      code
      message
    }
  }
}
    `, {"hash":"de32b3581e38bf81d3953b89c946b8965aa624176f08957d71484a4bb6e433f8"}) as unknown as TypedDocumentString<PickupCertificateMutation, PickupCertificateMutationVariables>;
export const RenewCertificateDocument = new TypedDocumentString(`
    mutation RenewCertificate($input: RenewCertificateInput!) {
  renewCertificate(input: $input) {
    __typename
    ... on CertificateIssued {
      serialNumber
      pem
    }
    ... on CertificatePending {
      requestId
      profileId
    }
    ... on ValidationError {
      field
    }
    ... on Error {
      code
      message
    }
  }
}
    `, {"hash":"1b523f519b95377c34a25c16971e36342eacceeade192c605ce306dc71539960"}) as unknown as TypedDocumentString<RenewCertificateMutation, RenewCertificateMutationVariables>;
export const RenewDeviceCertificateDocument = new TypedDocumentString(`
    mutation RenewDeviceCertificate($input: RenewDeviceCertificateInput!) {
  renewDeviceCertificate(input: $input) {
    __typename
    ... on DeviceCertificateEnrolled {
      certificateId
      serialNumber
      pem
    }
    ... on ValidationError {
      field
    }
    ... on Error {
      code
      message
    }
  }
}
    `, {"hash":"687e1e6ba79d84a0572ba5b5811821b020f3282b3ce33a6c28a3a2ffaf3b17bd"}) as unknown as TypedDocumentString<RenewDeviceCertificateMutation, RenewDeviceCertificateMutationVariables>;
export const RequestCertificateDocument = new TypedDocumentString(`
    mutation RequestCertificate($input: RequestCertificateInput!) {
  requestCertificate(input: $input) {
    __typename
    ... on CertificateIssued {
      serialNumber
      deliveryFormat
      pem
    }
    ... on CertificatePending {
      requestId
      profileId
    }
    ... on ValidationError {
      field
    }
    ... on Error {
      code
      message
    }
  }
}
    `, {"hash":"60be2cfa931d56b40b24cf76ccb524f1b0f34689cd8a1b8ebf9f177f31f90bcd"}) as unknown as TypedDocumentString<RequestCertificateMutation, RequestCertificateMutationVariables>;