// Rewrites schema.graphql from the code-first schema; `npm test` fails when the two differ.
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { printSortedSchema } from "../src/schema/index.js";

writeFileSync(new URL("../schema.graphql", import.meta.url), printSortedSchema());
console.log("schema.graphql written");
