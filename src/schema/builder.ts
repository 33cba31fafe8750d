import SchemaBuilder, { brandWithType } from "@pothos/core";
import type { GraphQLResolveInfo } from "graphql";
import RelayPlugin, { resolveNodes } from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import type { Scope } from "../auth/viewer.js";
import { ForbiddenError, ValidationError } from "../model/errors.js";
import type { GatewayContext } from "../context.js";
import type { SerialNumber, Uuid } from "../model/ids.js";
import { decodeGlobalId } from "./global-id.js";

/** The most ids one `nodes(ids:)` reads: each may be an upstream call. */
export const MAX_NODES = 50;

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
    nodeTypeOptions: {
      description:
        "An object with a global id (`id`), readable again with `node(id:)` or `nodes(ids:)`. The global id is opaque (base64 of the type and DigiCert's id); every argument that names an object also takes DigiCert's own id.",
    },
    idFieldOptions: {
      description:
        "The global id: opaque, stable, unique across types. Read the object again with `node(id:)`; every argument that names an object takes it. DigiCert's own id is beside it (`profileId`, `certificateId`, `deviceId`, `jobId`, ...; `serialNumber` for TLM certificates).",
    },
    nodeQueryOptions: {
      description:
        "The object with this global id; null when DigiCert has none (or these credentials cannot see it). Needs the scope the object's type needs; no upstream call for a malformed id (VALIDATION_FAILED).",
      args: { id: { description: "A global id (any object's `id`)." } },
    },
    nodesQueryOptions: {
      description: `The objects with these global ids, in the same order: each null when DigiCert has none, or with its own error (e.g. FORBIDDEN) at its index. At most ${MAX_NODES} ids; read through the same per-request loaders as the fields that return them.`,
      args: {
        ids: {
          description: `At most ${MAX_NODES} global ids (any objects' \`id\`, of any types); more is a VALIDATION_FAILED. A malformed one fails the whole field (VALIDATION_FAILED) before any upstream call.`,
        },
      },
      resolve: (_root, args, ctx, info) => {
        if (args.ids.length > MAX_NODES) {
          throw new ValidationError("ids", `Ask for at most ${MAX_NODES} ids at once.`);
        }
        return eachNode(args.ids, ctx, info);
      },
    },
    pageInfoTypeOptions: {
      description:
        "Where a page of a connection sits. Pagination is forward only (`first`, `after`): DigiCert's listings are offset pages.",
    },
    hasNextPageFieldOptions: {
      description: "Whether more items follow: pass `endCursor` as `after` to read them.",
    },
    hasPreviousPageFieldOptions: {
      description: "Whether items come before this page (it did not start at the first item).",
    },
    startCursorFieldOptions: { description: "The cursor of the page's first edge; null on an empty page." },
    endCursorFieldOptions: {
      description: "The cursor of the page's last edge, to pass as `after`; null on an empty page.",
    },
    pageInfoFieldOptions: { description: "Whether more pages follow, and the cursors to read them." },
    edgesFieldOptions: { nullable: false, description: "The page's items, each with its cursor, in order." },
    nodeFieldOptions: { nullable: false, description: "The item." },
    cursorFieldOptions: {
      description: "Opaque: pass it as `after` to read the items that follow this one.",
    },
  },
});

/**
 * `nodes(ids:)`: one id at a time, so a failure (a missing scope, DigiCert unavailable) fails its own entry only. Each
 * entry is branded with its type here: a repeated id is served from Pothos's request cache, maybe before Pothos brands it.
 */
function eachNode(
  ids: readonly { typename: string; id: string }[],
  ctx: GatewayContext,
  info: GraphQLResolveInfo,
): Promise<unknown>[] {
  return ids.map(async (id) => {
    // A cached entry is the first read's promise, inside the array.
    const node: unknown = await (await resolveNodes(builder, ctx, info, [id]))[0];
    brandWithType(node, id.typename as never);
    return node;
  });
}

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

/**
 * An enum's values, each with its description: TypeScript refuses a value left undescribed. The enum keeps the
 * order of `values` (the model's list).
 */
export function describedValues<const V extends string>(
  values: readonly V[],
  descriptions: Record<V, string>,
): Record<V, { description: string }> {
  return Object.fromEntries(values.map((value) => [value, { description: descriptions[value] }])) as Record<
    V,
    { description: string }
  >;
}
