import { resolveOffsetConnection } from "@pothos/plugin-relay";
import { ValidationError } from "../model/errors.js";
import type { BuilderTypes } from "./builder.js";

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
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
  if (args.last !== null && args.last !== undefined) {
    throw new ValidationError("last", "Only forward pagination (first, after) is supported.");
  }
  if (args.after && !isOffsetCursor(args.after)) {
    throw new ValidationError("after", "after must be a cursor returned by this connection.");
  }
  return resolveOffsetConnection(
    { args: { first: args.first, after: args.after }, defaultSize: 20, maxSize },
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

/** The connection-type options that add `totalCount` (read from what `totalCountConnection` returned). */
export function totalCountField<Nullable extends boolean>(options: {
  nullable: Nullable;
  description?: string;
}) {
  return {
    fields: (c: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, object>) => ({
      totalCount: c.int({
        nullable: options.nullable,
        ...(options.description ? { description: options.description } : {}),
        resolve: (parent) => (parent as { totalCount: number }).totalCount as never,
      }),
    }),
  };
}
