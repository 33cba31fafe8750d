/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "subscription BatchJobStatusChanged($id: ID!) {\n  batchJobStatusChanged(id: $id) {\n    __typename\n    id\n    jobId\n    status\n    totalCount\n    successCount\n    failedCount\n  }\n}": typeof types.BatchJobStatusChangedDocument,
    "mutation CreateDeviceRegistrationBatch($input: CreateDeviceRegistrationBatchInput!) {\n  createDeviceRegistrationBatch(input: $input) {\n    __typename\n    ... on DeviceRegistrationBatchCreated {\n      jobId\n      job {\n        id\n        status\n        totalCount\n      }\n    }\n    ... on InvalidBatchFileError {\n      field\n      problems {\n        row\n        column\n        entry\n        message\n      }\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}": typeof types.CreateDeviceRegistrationBatchDocument,
    "query DeviceCertificates($filter: DeviceCertificateFilter, $first: Int!, $after: String) {\n  deviceCertificates(filter: $filter, first: $first, after: $after) {\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        certificateId\n        serialNumber\n        commonName\n        deviceIdentifier\n        status\n        validTo\n        enrollmentProfile {\n          profileId\n          name\n        }\n      }\n    }\n  }\n}": typeof types.DeviceCertificatesDocument,
    "query DeviceGroupPolicies {\n  deviceGroups {\n    id\n    groupId\n    name\n    certificatePolicies {\n      id\n      policyId\n      name\n      managementMethods\n      clientSideKeyGeneration\n      serverSideKeyGeneration\n      templateColumns {\n        name\n        required\n        multiple\n        clientSideOnly\n      }\n    }\n  }\n}": typeof types.DeviceGroupPoliciesDocument,
    "query DtmBatchJobReport($id: ID!) {\n  batchJob(id: $id) {\n    __typename\n    id\n    jobId\n    status\n    totalCount\n    successCount\n    failedCount\n    report {\n      failureReason\n      rowErrors {\n        uniqueIdentifier\n        message\n      }\n    }\n    ... on DtmBatchJob {\n      registrations {\n        row\n        deviceName\n        status\n        deviceId\n        errorCode\n        errorMessage\n      }\n    }\n  }\n}": typeof types.DtmBatchJobReportDocument,
    "query ExpiringCertificates($filter: CertificateFilter!, $first: Int!, $after: String) {\n  certificates(filter: $filter, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        serialNumber\n        commonName\n        status\n        validTo\n        profile {\n          profileId\n          name\n        }\n      }\n    }\n  }\n}": typeof types.ExpiringCertificatesDocument,
    "mutation PickupCertificate($input: PickupCertificateInput!) {\n  pickupCertificate(input: $input) {\n    __typename\n    ... on CertificateIssued {\n      serialNumber\n      deliveryFormat\n      pem\n    }\n    ... on CertificatePending {\n      requestId\n      profileId\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}": typeof types.PickupCertificateDocument,
    "mutation RenewCertificate($input: RenewCertificateInput!) {\n  renewCertificate(input: $input) {\n    __typename\n    ... on CertificateIssued {\n      serialNumber\n      pem\n    }\n    ... on CertificatePending {\n      requestId\n      profileId\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}": typeof types.RenewCertificateDocument,
    "mutation RenewDeviceCertificate($input: RenewDeviceCertificateInput!) {\n  renewDeviceCertificate(input: $input) {\n    __typename\n    ... on DeviceCertificateEnrolled {\n      certificateId\n      serialNumber\n      pem\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}": typeof types.RenewDeviceCertificateDocument,
    "mutation RequestCertificate($input: RequestCertificateInput!) {\n  requestCertificate(input: $input) {\n    __typename\n    ... on CertificateIssued {\n      serialNumber\n      deliveryFormat\n      pem\n    }\n    ... on CertificatePending {\n      requestId\n      profileId\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}": typeof types.RequestCertificateDocument,
};
const documents: Documents = {
    "subscription BatchJobStatusChanged($id: ID!) {\n  batchJobStatusChanged(id: $id) {\n    __typename\n    id\n    jobId\n    status\n    totalCount\n    successCount\n    failedCount\n  }\n}": types.BatchJobStatusChangedDocument,
    "mutation CreateDeviceRegistrationBatch($input: CreateDeviceRegistrationBatchInput!) {\n  createDeviceRegistrationBatch(input: $input) {\n    __typename\n    ... on DeviceRegistrationBatchCreated {\n      jobId\n      job {\n        id\n        status\n        totalCount\n      }\n    }\n    ... on InvalidBatchFileError {\n      field\n      problems {\n        row\n        column\n        entry\n        message\n      }\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}": types.CreateDeviceRegistrationBatchDocument,
    "query DeviceCertificates($filter: DeviceCertificateFilter, $first: Int!, $after: String) {\n  deviceCertificates(filter: $filter, first: $first, after: $after) {\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        certificateId\n        serialNumber\n        commonName\n        deviceIdentifier\n        status\n        validTo\n        enrollmentProfile {\n          profileId\n          name\n        }\n      }\n    }\n  }\n}": types.DeviceCertificatesDocument,
    "query DeviceGroupPolicies {\n  deviceGroups {\n    id\n    groupId\n    name\n    certificatePolicies {\n      id\n      policyId\n      name\n      managementMethods\n      clientSideKeyGeneration\n      serverSideKeyGeneration\n      templateColumns {\n        name\n        required\n        multiple\n        clientSideOnly\n      }\n    }\n  }\n}": types.DeviceGroupPoliciesDocument,
    "query DtmBatchJobReport($id: ID!) {\n  batchJob(id: $id) {\n    __typename\n    id\n    jobId\n    status\n    totalCount\n    successCount\n    failedCount\n    report {\n      failureReason\n      rowErrors {\n        uniqueIdentifier\n        message\n      }\n    }\n    ... on DtmBatchJob {\n      registrations {\n        row\n        deviceName\n        status\n        deviceId\n        errorCode\n        errorMessage\n      }\n    }\n  }\n}": types.DtmBatchJobReportDocument,
    "query ExpiringCertificates($filter: CertificateFilter!, $first: Int!, $after: String) {\n  certificates(filter: $filter, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        serialNumber\n        commonName\n        status\n        validTo\n        profile {\n          profileId\n          name\n        }\n      }\n    }\n  }\n}": types.ExpiringCertificatesDocument,
    "mutation PickupCertificate($input: PickupCertificateInput!) {\n  pickupCertificate(input: $input) {\n    __typename\n    ... on CertificateIssued {\n      serialNumber\n      deliveryFormat\n      pem\n    }\n    ... on CertificatePending {\n      requestId\n      profileId\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}": types.PickupCertificateDocument,
    "mutation RenewCertificate($input: RenewCertificateInput!) {\n  renewCertificate(input: $input) {\n    __typename\n    ... on CertificateIssued {\n      serialNumber\n      pem\n    }\n    ... on CertificatePending {\n      requestId\n      profileId\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}": types.RenewCertificateDocument,
    "mutation RenewDeviceCertificate($input: RenewDeviceCertificateInput!) {\n  renewDeviceCertificate(input: $input) {\n    __typename\n    ... on DeviceCertificateEnrolled {\n      certificateId\n      serialNumber\n      pem\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}": types.RenewDeviceCertificateDocument,
    "mutation RequestCertificate($input: RequestCertificateInput!) {\n  requestCertificate(input: $input) {\n    __typename\n    ... on CertificateIssued {\n      serialNumber\n      deliveryFormat\n      pem\n    }\n    ... on CertificatePending {\n      requestId\n      profileId\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}": types.RequestCertificateDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription BatchJobStatusChanged($id: ID!) {\n  batchJobStatusChanged(id: $id) {\n    __typename\n    id\n    jobId\n    status\n    totalCount\n    successCount\n    failedCount\n  }\n}"): typeof import('./graphql.js').BatchJobStatusChangedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateDeviceRegistrationBatch($input: CreateDeviceRegistrationBatchInput!) {\n  createDeviceRegistrationBatch(input: $input) {\n    __typename\n    ... on DeviceRegistrationBatchCreated {\n      jobId\n      job {\n        id\n        status\n        totalCount\n      }\n    }\n    ... on InvalidBatchFileError {\n      field\n      problems {\n        row\n        column\n        entry\n        message\n      }\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}"): typeof import('./graphql.js').CreateDeviceRegistrationBatchDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query DeviceCertificates($filter: DeviceCertificateFilter, $first: Int!, $after: String) {\n  deviceCertificates(filter: $filter, first: $first, after: $after) {\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        certificateId\n        serialNumber\n        commonName\n        deviceIdentifier\n        status\n        validTo\n        enrollmentProfile {\n          profileId\n          name\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').DeviceCertificatesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query DeviceGroupPolicies {\n  deviceGroups {\n    id\n    groupId\n    name\n    certificatePolicies {\n      id\n      policyId\n      name\n      managementMethods\n      clientSideKeyGeneration\n      serverSideKeyGeneration\n      templateColumns {\n        name\n        required\n        multiple\n        clientSideOnly\n      }\n    }\n  }\n}"): typeof import('./graphql.js').DeviceGroupPoliciesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query DtmBatchJobReport($id: ID!) {\n  batchJob(id: $id) {\n    __typename\n    id\n    jobId\n    status\n    totalCount\n    successCount\n    failedCount\n    report {\n      failureReason\n      rowErrors {\n        uniqueIdentifier\n        message\n      }\n    }\n    ... on DtmBatchJob {\n      registrations {\n        row\n        deviceName\n        status\n        deviceId\n        errorCode\n        errorMessage\n      }\n    }\n  }\n}"): typeof import('./graphql.js').DtmBatchJobReportDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ExpiringCertificates($filter: CertificateFilter!, $first: Int!, $after: String) {\n  certificates(filter: $filter, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        serialNumber\n        commonName\n        status\n        validTo\n        profile {\n          profileId\n          name\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').ExpiringCertificatesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PickupCertificate($input: PickupCertificateInput!) {\n  pickupCertificate(input: $input) {\n    __typename\n    ... on CertificateIssued {\n      serialNumber\n      deliveryFormat\n      pem\n    }\n    ... on CertificatePending {\n      requestId\n      profileId\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}"): typeof import('./graphql.js').PickupCertificateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RenewCertificate($input: RenewCertificateInput!) {\n  renewCertificate(input: $input) {\n    __typename\n    ... on CertificateIssued {\n      serialNumber\n      pem\n    }\n    ... on CertificatePending {\n      requestId\n      profileId\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}"): typeof import('./graphql.js').RenewCertificateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RenewDeviceCertificate($input: RenewDeviceCertificateInput!) {\n  renewDeviceCertificate(input: $input) {\n    __typename\n    ... on DeviceCertificateEnrolled {\n      certificateId\n      serialNumber\n      pem\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}"): typeof import('./graphql.js').RenewDeviceCertificateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RequestCertificate($input: RequestCertificateInput!) {\n  requestCertificate(input: $input) {\n    __typename\n    ... on CertificateIssued {\n      serialNumber\n      deliveryFormat\n      pem\n    }\n    ... on CertificatePending {\n      requestId\n      profileId\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on Error {\n      code\n      message\n    }\n  }\n}"): typeof import('./graphql.js').RequestCertificateDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
