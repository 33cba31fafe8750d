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
    "subscription PortalBatchJobsStatusChanged($ids: [ID!]!) {\n  batchJobsStatusChanged(ids: $ids) {\n    __typename\n    id\n    jobId\n    kind\n    name\n    status\n    totalCount\n    successCount\n    failedCount\n    createdAt\n  }\n}": typeof types.PortalBatchJobsStatusChangedDocument,
    "query PortalBatchJobs($first: Int!) {\n  batchJobs(first: $first) {\n    edges {\n      node {\n        __typename\n        id\n        jobId\n        kind\n        name\n        status\n        totalCount\n        successCount\n        failedCount\n        createdAt\n      }\n    }\n  }\n}": typeof types.PortalBatchJobsDocument,
    "query PortalCertificate($serialNumber: SerialNumber!) {\n  certificate(serialNumber: $serialNumber) {\n    id\n    serialNumber\n    commonName\n    status\n    validFrom\n    validTo\n    issuingCaName\n    profile {\n      name\n    }\n    x509 {\n      subject {\n        dn\n      }\n      issuer {\n        dn\n      }\n      serialNumber\n      notBefore\n      notAfter\n      daysUntilExpiry\n      signatureAlgorithm\n      selfSigned\n      publicKey {\n        algorithm\n        size\n        curve\n      }\n      subjectAltNames {\n        type\n        value\n      }\n      keyUsage\n      extendedKeyUsage {\n        name\n        oid\n      }\n      basicConstraints {\n        ca\n        pathLength\n      }\n      sha256Fingerprint\n    }\n  }\n}": typeof types.PortalCertificateDocument,
    "query PortalCertificates($filter: CertificateFilter, $first: Int!, $after: String) {\n  certificates(filter: $filter, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        serialNumber\n        commonName\n        status\n        validTo\n        profile {\n          profileId\n          name\n        }\n      }\n    }\n  }\n}": typeof types.PortalCertificatesDocument,
    "query PortalProfiles {\n  profiles(first: 50) {\n    edges {\n      node {\n        profileId\n        name\n      }\n    }\n  }\n}": typeof types.PortalProfilesDocument,
};
const documents: Documents = {
    "subscription PortalBatchJobsStatusChanged($ids: [ID!]!) {\n  batchJobsStatusChanged(ids: $ids) {\n    __typename\n    id\n    jobId\n    kind\n    name\n    status\n    totalCount\n    successCount\n    failedCount\n    createdAt\n  }\n}": types.PortalBatchJobsStatusChangedDocument,
    "query PortalBatchJobs($first: Int!) {\n  batchJobs(first: $first) {\n    edges {\n      node {\n        __typename\n        id\n        jobId\n        kind\n        name\n        status\n        totalCount\n        successCount\n        failedCount\n        createdAt\n      }\n    }\n  }\n}": types.PortalBatchJobsDocument,
    "query PortalCertificate($serialNumber: SerialNumber!) {\n  certificate(serialNumber: $serialNumber) {\n    id\n    serialNumber\n    commonName\n    status\n    validFrom\n    validTo\n    issuingCaName\n    profile {\n      name\n    }\n    x509 {\n      subject {\n        dn\n      }\n      issuer {\n        dn\n      }\n      serialNumber\n      notBefore\n      notAfter\n      daysUntilExpiry\n      signatureAlgorithm\n      selfSigned\n      publicKey {\n        algorithm\n        size\n        curve\n      }\n      subjectAltNames {\n        type\n        value\n      }\n      keyUsage\n      extendedKeyUsage {\n        name\n        oid\n      }\n      basicConstraints {\n        ca\n        pathLength\n      }\n      sha256Fingerprint\n    }\n  }\n}": types.PortalCertificateDocument,
    "query PortalCertificates($filter: CertificateFilter, $first: Int!, $after: String) {\n  certificates(filter: $filter, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        serialNumber\n        commonName\n        status\n        validTo\n        profile {\n          profileId\n          name\n        }\n      }\n    }\n  }\n}": types.PortalCertificatesDocument,
    "query PortalProfiles {\n  profiles(first: 50) {\n    edges {\n      node {\n        profileId\n        name\n      }\n    }\n  }\n}": types.PortalProfilesDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription PortalBatchJobsStatusChanged($ids: [ID!]!) {\n  batchJobsStatusChanged(ids: $ids) {\n    __typename\n    id\n    jobId\n    kind\n    name\n    status\n    totalCount\n    successCount\n    failedCount\n    createdAt\n  }\n}"): typeof import('./graphql.js').PortalBatchJobsStatusChangedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PortalBatchJobs($first: Int!) {\n  batchJobs(first: $first) {\n    edges {\n      node {\n        __typename\n        id\n        jobId\n        kind\n        name\n        status\n        totalCount\n        successCount\n        failedCount\n        createdAt\n      }\n    }\n  }\n}"): typeof import('./graphql.js').PortalBatchJobsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PortalCertificate($serialNumber: SerialNumber!) {\n  certificate(serialNumber: $serialNumber) {\n    id\n    serialNumber\n    commonName\n    status\n    validFrom\n    validTo\n    issuingCaName\n    profile {\n      name\n    }\n    x509 {\n      subject {\n        dn\n      }\n      issuer {\n        dn\n      }\n      serialNumber\n      notBefore\n      notAfter\n      daysUntilExpiry\n      signatureAlgorithm\n      selfSigned\n      publicKey {\n        algorithm\n        size\n        curve\n      }\n      subjectAltNames {\n        type\n        value\n      }\n      keyUsage\n      extendedKeyUsage {\n        name\n        oid\n      }\n      basicConstraints {\n        ca\n        pathLength\n      }\n      sha256Fingerprint\n    }\n  }\n}"): typeof import('./graphql.js').PortalCertificateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PortalCertificates($filter: CertificateFilter, $first: Int!, $after: String) {\n  certificates(filter: $filter, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        serialNumber\n        commonName\n        status\n        validTo\n        profile {\n          profileId\n          name\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').PortalCertificatesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PortalProfiles {\n  profiles(first: 50) {\n    edges {\n      node {\n        profileId\n        name\n      }\n    }\n  }\n}"): typeof import('./graphql.js').PortalProfilesDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
