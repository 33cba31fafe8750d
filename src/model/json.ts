/** Readers for values in DigiCert's JSON, shared by the product models: a malformed value reads as null. */

/** An ISO date-time string as a Date; anything else, or an unparseable string, is null. */
export function toDate(value: unknown): Date | null {
  if (typeof value !== "string" || value === "") return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A count: a non-negative integer, else null. */
export function count(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : null;
}
