import SchemaBuilder from "@pothos/core";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import type { Scope } from "../auth/viewer.js";
import { ForbiddenError, ValidationError } from "../model/errors.js";
import type { GatewayContext } from "../context.js";
import type { SerialNumber, Uuid } from "../model/ids.js";
import { decodeGlobalId } from "./global-id.js";

/** The one builder. Types live in the domain files beside this one; index.ts loads them. */
export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  /** `authScopes: { scope: "certificates:read" }`: the token must grant that scope. */
  AuthScopes: { scope: Scope };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    SerialNumber: { Input: SerialNumber; Output: string };
    UUID: { Input: Uuid; Output: string };
  };
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({ scope: (scope) => context.viewer.scopes.has(scope) }),
    // A missing scope fails that field only, as FORBIDDEN.
    unauthorizedError: () => new ForbiddenError(),
  },
  relay: {
    decodeGlobalID: (globalID) => decodeNodeId(globalID),
    clientMutationId: "omit",
    cursorType: "String",
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    nodesQueryOptions: false,
  },
});

/** Names of the types that implement Node; each domain file adds its own. */
export const nodeTypeNames = new Set<string>();

/**
 * Global ids are base64 of "Type:id". Anything else, or a type that is not a Node, is a
 * VALIDATION_FAILED naming `id`, and the message never repeats the input.
 */
function decodeNodeId(globalID: string): { typename: string; id: string } {
  const global = decodeGlobalId(globalID);
  if (!global || !nodeTypeNames.has(global.typename)) {
    throw new ValidationError("id", "Not a global id issued by this API.");
  }
  return global;
}

/** The builder's resolved type parameters, for helpers that take refs. */
export type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
