/**
 * Relay global ids (base64 of `Type:id`, as @pothos/plugin-relay encodes them) read strictly: only the canonical
 * encoding of a well-formed pair is accepted, so one object has exactly one global id. Null for anything else.
 */
export function decodeGlobalId(value: string): { typename: string; id: string } | null {
  if (value.length === 0 || value.length > 512) return null;
  const text = Buffer.from(value, "base64").toString("utf8");
  const match = /^([A-Za-z][A-Za-z0-9]*):(.+)$/s.exec(text);
  if (!match || Buffer.from(text).toString("base64") !== value) return null;
  return { typename: match[1]!, id: match[2]! };
}

/**
 * An id argument that takes an object's global id or DigiCert's own id: the DigiCert id, unparsed (the caller's
 * parser validates it). A global id of another type is refused by returning it whole, which no DigiCert id parser
 * accepts.
 */
export function ownId(value: string, typename: string): string {
  const global = decodeGlobalId(value);
  return global?.typename === typename ? global.id : value;
}
