/**
 * Connections, one shape for every listing: `<Type>Connection` with `edges`, `pageInfo` and (where DigiCert counts)
 * `totalCount`, and `<Type>Edge` with `node` and `cursor`. Pagination is forward only (`first`, `after`): DigiCert's
 * listings are offset pages, and no connection offers `last` or `before`.
 *
 * `totalCount`: `Int!` where DigiCert's API always sends a total (TLM certificate-search), `Int` where its answer may
 * carry one (IoT Trust Manager and Device Trust Manager lists, whose documentation does not promise it), absent
 * where DigiCert never counts (TLM's profile list).
 */
import type { ArgBuilder, InterfaceRef, ObjectRef } from "@pothos/core";
import { resolveOffsetConnection } from "@pothos/plugin-relay";
import { UpstreamInvalidResponseError, ValidationError } from "../model/errors.js";
import { type BuilderTypes, builder } from "./builder.js";

/** Items in a page when `first` is not given. */
const DEFAULT_PAGE = 20;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** The forward-pagination arguments of a connection field whose pages hold at most `maxSize` items. */
export function pageArgs(arg: ArgBuilder<BuilderTypes>, maxSize: number) {
  return {
    first: arg.int({
      description: `How many items to return: 1 to ${maxSize} (default ${DEFAULT_PAGE}).`,
    }),
    after: arg.string({
      description:
        "Start after this cursor (`pageInfo.endCursor`, or an edge's `cursor`, from this connection); absent: from the first item.",
    }),
  };
}

/**
 * Forward offset pagination over an upstream `offset`/`limit` API. Sizes and cursors are
 * checked here so a bad value is a VALIDATION_FAILED error naming the argument, not a masked throw.
 */
export async function offsetPage<T>(
  args: PageArgs,
  maxSize: number,
  fetch: (page: { offset: number; limit: number }) => Promise<T[]>,
) {
  if (args.first !== null && args.first !== undefined && (args.first < 1 || args.first > maxSize)) {
    throw new ValidationError("first", `first must be between 1 and ${maxSize}.`);
  }
  if (args.after && !isOffsetCursor(args.after)) {
    throw new ValidationError("after", "after must be a cursor returned by this connection.");
  }
  return resolveOffsetConnection(
    { args: { first: args.first, after: args.after }, defaultSize: DEFAULT_PAGE, maxSize },
    fetch,
  );
}

function isOffsetCursor(cursor: string): boolean {
  if (cursor.length > 64) return false;
  return /^OffsetConnection:\d{1,9}$/.test(Buffer.from(cursor, "base64").toString("utf8"));
}

/** A page read from DigiCert: its items, and how many match across all pages when DigiCert says. */
export interface CountedPage<T> {
  items: T[];
  total: number | null;
}

/** A connection over an offset page reader, carrying DigiCert's total for `totalCount`. */
export async function totalCountConnection<T>(
  args: PageArgs,
  maxSize: number,
  read: (offset: number, limit: number) => Promise<CountedPage<T>>,
) {
  let totalCount: number | null = null;
  const connection = await offsetPage(args, maxSize, async ({ offset, limit }) => {
    const page = await read(offset, limit);
    totalCount = page.total;
    return page.items;
  });
  return { ...connection, totalCount };
}

/** How a connection counts: see the module comment. */
export type TotalCount = "always" | "whenSent" | "none";

/**
 * The connection and edge types of one node type, named `<name>Connection` and `<name>Edge`. Its fields return what
 * `offsetPage` (totalCount "none") or `totalCountConnection` returns.
 */
export function connectionType(
  node: ObjectRef<BuilderTypes, unknown> | InterfaceRef<BuilderTypes, unknown>,
  options: { name: string; description: string; totalCount: TotalCount; totalCountDescription?: string },
) {
  const counted = options.totalCount;
  const totalCount =
    counted === "none"
      ? {}
      : {
          fields: (t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, object>) => ({
            totalCount: t.int({
              nullable: counted === "whenSent",
              description:
                options.totalCountDescription ??
                (counted === "always"
                  ? "How many items match across all pages, as DigiCert counts them (its `total`)."
                  : "How many items match across all pages, as DigiCert counts them (its `total`); null when DigiCert's answer carries no total."),
              resolve: (parent) => {
                const total = (parent as { totalCount?: number | null }).totalCount ?? null;
                // DigiCert documents the total as always sent: an answer without one is unreadable.
                if (total === null && counted === "always") throw new UpstreamInvalidResponseError();
                return total as number;
              },
            }),
          }),
        };
  return builder.connectionObject(
    {
      type: node as ObjectRef<BuilderTypes, unknown>,
      name: `${options.name}Connection`,
      description: options.description,
      ...totalCount,
    },
    {
      name: `${options.name}Edge`,
      description: `An edge of ${options.name}Connection: one item and its cursor.`,
    },
  );
}
