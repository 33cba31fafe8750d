import { resolveOffsetConnection } from "@pothos/plugin-relay";
import { ValidationError } from "../model/errors.js";

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
