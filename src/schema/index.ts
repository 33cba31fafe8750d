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

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

/** The executable schema. Built once, at import; importing opens nothing. */
export const schema = builder.toSchema();

/** The SDL committed as schema.graphql: printed, lexicographically sorted. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
