/**
 * Loads every domain file into the one builder and prints the schema. Pothos lives only in src/schema; the schema
 * layer reads through resolvers, loaders (via the context) and the model, never src/datasources or wire shapes.
 */
import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.js";
import "./scalars.js";
import "./errors.js";
import "./x509.js";
import "./profile.js";
import "./certificate.js";
import "./enrollment.js";
import "./iot.js";
import "./subscriptions.js";
import "./batch.js";
import "./iot-batch-job.js";
import "./dtm.js";

builder.queryType({
  description:
    "Reads from DigiCert ONE: Trust Lifecycle Manager (TLM), IoT Trust Manager and Device Trust Manager. Each field needs its scope; a field the token lacks the scope for fails alone (FORBIDDEN).",
});
builder.mutationType({
  description:
    "Changes in DigiCert ONE. Everything that can be checked is checked before anything is sent; an issuing call is never resent by the gateway. Expected failures are typed results (members of each result union that implement Error), not GraphQL errors.",
});
builder.subscriptionType({
  description: "Live batch job status, over graphql-ws (WebSocket) or server-sent events.",
});

/** The executable schema. Built once, at import; importing opens nothing. */
export const schema = builder.toSchema();

/** The SDL committed as schema.graphql: printed, lexicographically sorted. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
