import type { Scope } from "../auth/viewer.js";
import type { GatewayContext } from "../context.js";
import { ForbiddenError } from "../model/errors.js";

/**
 * For loaders that run before any field's own scope check (Relay's node/nodes): refuse before
 * anything is fetched, so a caller without the scope cannot learn whether an object exists.
 */
export function requireScope(ctx: GatewayContext, scope: Scope): void {
  if (!ctx.viewer.scopes.has(scope)) throw new ForbiddenError();
}
