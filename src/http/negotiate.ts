/** Request details the plain HTTP routes (GraphiQL, the portal) read the same way. */

/** Whether `Accept-Encoding` allows `encoding`: its own q, else `*`'s, must be above 0 (an explicit q=0 refuses it). */
export function acceptsEncoding(header: string | undefined, encoding: string): boolean {
  const accepted = new Map<string, number>();
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
    accepted.set(name, q ? Number(q[1]) : 1);
  }
  return (accepted.get(encoding) ?? accepted.get("*") ?? 0) > 0;
}

/** The request URL's path, or null when it is not a URL. */
export function pathOf(url: string | undefined): string | null {
  try {
    return new URL(url ?? "/", "http://gateway.invalid").pathname;
  } catch {
    return null;
  }
}
