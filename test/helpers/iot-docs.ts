/** The example response of shared/digicert-docs/iot-trust-manager-batch-download-certificates.txt, verbatim. */
export const DOCUMENTED_DOWNLOAD = `{
    "job_id": "e6006353-ba03-4909-afc8-c611f00d7644",
    "chain": [
        {
            "cert_type": "intermediate",
            "blob": "MIID5DCCAsy...N/mqQ==",
            "common_name": "ICA RSA"
        },
        {
            "cert_type": "root",
            "blob": "MIIDxDC...fL+7bk=",
            "common_name": "RSA Root"
        }
    ],
    "certificates": [
        {
            "id": "60f0f385-9afa-464b-9811-d337245c4363",
            "unique_identifier": "Line #0000001",
            "body": "-----BEGIN CERTIFICATE-----\\nMIID...K8FhP\\n-----END CERTIFICATE-----\\n",
            "private_key": "MIAGCSq...tLQo="
        },
        {
            "id": "9766ee7c-62d5-47f4-b4cf-475409c62eea",
            "unique_identifier": "Line #0000002",
            "body": "-----BEGIN CERTIFICATE-----\\nMIID...3KFxa\\n-----END CERTIFICATE-----\\n",
            "private_key": "MIAGCSq...LQo="
        }
    ]
}`;
/** Where the docs are on these machines; tests that compare against it skip when it is absent. */
export const DOC_FILE = "/work/shared/digicert-docs/iot-trust-manager-batch-download-certificates.txt";
