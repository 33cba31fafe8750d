import { ApiError } from "./errors.js";

/** Request helpers shared by the TLM and IoT routes. */
export type JsonObject = Record<string, unknown>;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

/** The request body as an object; an empty body reads as {} so field checks name what is missing. */
export function bodyObject(body: unknown): JsonObject {
  if (body === undefined) return {};
  const object = asObject(body);
  if (!object) throw ApiError.invalidRequest("Request body must be a JSON object");
  return object;
}

export function integerParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw ApiError.invalidField(name, `${name} must be a non-negative integer`);
  const value = Number(raw);
  if (name === "limit" && value < 1) throw ApiError.invalidField(name, "limit must be at least 1");
  if (value > max) throw ApiError.invalidField(name, `${name} must not exceed ${max}`);
  return value;
}

/** offset (default 0) and limit (default 20, at most maxLimit) from the query string. */
export function paging(query: URLSearchParams, maxLimit: number): { offset: number; limit: number } {
  return {
    offset: integerParam(query, "offset", 0, Number.MAX_SAFE_INTEGER),
    limit: integerParam(query, "limit", 20, maxLimit),
  };
}

/** One of `allowed` (matched case-insensitively, returned lowercase), or undefined when absent; else 400 on `name`. */
export function enumValue<T extends string>(
  value: unknown,
  name: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || value === null) return undefined;
  const normalized = typeof value === "string" ? value.toLowerCase() : undefined;
  if (!normalized || !(allowed as readonly string[]).includes(normalized)) {
    throw ApiError.invalidField(name, `${name} must be one of ${allowed.join(", ")}`);
  }
  return normalized as T;
}
