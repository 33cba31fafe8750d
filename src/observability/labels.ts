/**
 * What a caller's input may become in a log field, a metric label or a span attribute: request ids, operation names and
 * products, each checked or bounded here. A leaf: no imports from src/.
 */
import { randomUUID } from "node:crypto";

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when well-formed, else a new random UUID. */
export function requestIdFrom(header: string | null | undefined): string {
  return header && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
}

export const OPERATION_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** An operation name as logs and spans show it: "" when anonymous, "other" when not a plain GraphQL name of ≤ 64. */
export function safeOperationName(name: unknown): string {
  if (name === undefined || name === null || name === "") return "";
  return typeof name === "string" && OPERATION_NAME_PATTERN.test(name) ? name : "other";
}

/**
 * A label whose values the caller chooses (operation names, tenants), bounded: the first `max` distinct values keep
 * their name, every later one is "other"; "" (anonymous) always passes. Values must already be safe (safeOperationName).
 */
export class BoundedLabel {
  readonly #seen = new Set<string>();
  constructor(readonly max = 100) {}

  of(value: string): string {
    if (value === "" || this.#seen.has(value)) return value;
    if (this.#seen.size >= this.max) return "other";
    this.#seen.add(value);
    return value;
  }
}

const PRODUCTS = new Set(["tlm", "iot", "dtm"]);

/** The product an upstream operation name (`tlm.getCertificate`) belongs to: tlm, iot, dtm, else "other". */
export function productOf(operation: string): string {
  const dot = operation.indexOf(".");
  const prefix = dot < 0 ? operation : operation.slice(0, dot);
  return PRODUCTS.has(prefix) ? prefix : "other";
}
