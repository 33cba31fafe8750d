import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { GraphQLError } from "graphql";
import type { CORSOptions, Plugin } from "graphql-yoga";

export interface BrowserDefenceOptions {
  /**
   * Origins (`scheme://host[:port]`) whose pages may call the gateway with credentials, e.g.
   * `https://console.example.com`. Compared exactly with the request's `Origin` header after
   * normalising the configured value (lowercase host, default port dropped). Empty: no page on
   * another origin may read a response.
   */
  allowedOrigins: readonly string[];
  /**
   * Header(s) of which a browser client must send one (any value) on a GET request and on a POST
   * a form could send (multipart/form-data, application/x-www-form-urlencoded, text/plain).
   * Default: `["x-graphql-csrf"]`.
   */
  csrfHeaders?: readonly string[];
  /** Request headers an allowed origin may send, besides content-type, accept, authorization and the CSRF header(s). */
  allowedHeaders?: readonly string[];
  /** How long a browser may cache a preflight answer. Default 600 s. */
  maxAgeSeconds?: number;
}

export interface BrowserDefences {
  /** For `createYoga({ cors })`. */
  cors: (request: Request) => CORSOptions;
  /** For `createYoga({ plugins })`. */
  plugins: Plugin[];
}

export const CSRF_HEADER_REQUIRED = "CSRF_HEADER_REQUIRED";

/**
 * CORS and CSRF defences for browser callers.
 *
 * CORS: a response gets `Access-Control-Allow-Origin: <origin>` and
 * `Access-Control-Allow-Credentials: true` only when the request's `Origin` is one of
 * `allowedOrigins`; any other origin (including `null`, from sandboxed frames and `file:`) and a
 * request without `Origin` get no CORS header at all, preflights included. Every response carries
 * `Vary: Origin`. `Retry-After` is exposed to scripts (rate limiting).
 * Yoga's default is the trap this replaces: it reflects any Origin with credentials allowed; and
 * its list form answers one configured origin to everybody, and `null` (with credentials) to an
 * origin not in a longer list.
 *
 * CSRF (`@graphql-yoga/plugin-csrf-prevention`): a request a page on another origin could send
 * without a preflight (GET, and POST as multipart/form-data, urlencoded or text/plain) is refused
 * with 403 CSRF_HEADER_REQUIRED unless it carries a CSRF header, which no cross-origin page can
 * add without a preflight that CORS then refuses. A JSON POST already needs a preflight and passes.
 *
 * A browser client must therefore send, from an allowed origin:
 * - JSON POST (`content-type: application/json`): nothing more (with `credentials: "include"` for cookies);
 * - GET queries and multipart uploads: also the header `x-graphql-csrf: 1` (any value).
 */
export function browserDefences(options: BrowserDefenceOptions): BrowserDefences {
  const origins = new Set(options.allowedOrigins.map(normaliseOrigin));
  const csrfHeaders = [...(options.csrfHeaders ?? ["x-graphql-csrf"])].map((h) => h.toLowerCase());
  if (csrfHeaders.length === 0) throw new TypeError("browserDefences: csrfHeaders must name a header.");
  const allowedHeaders = [
    ...new Set([
      "content-type",
      "accept",
      "authorization",
      ...csrfHeaders,
      ...(options.allowedHeaders ?? []),
    ]),
  ];
  const allowed: CORSOptions = {
    credentials: true,
    methods: ["GET", "POST"],
    allowedHeaders,
    exposedHeaders: ["Retry-After"],
    maxAge: options.maxAgeSeconds ?? 600,
  };

  const cors = (request: Request): CORSOptions => {
    const origin = request.headers.get("origin");
    // A string origin is echoed as-is by yoga; `false` means no CORS header at all.
    return origin !== null && origins.has(origin) ? { ...allowed, origin } : false;
  };

  const varyOnOrigin: Plugin = {
    onResponse({ response }) {
      const vary = response.headers.get("vary");
      if (!vary?.split(",").some((v) => v.trim().toLowerCase() === "origin")) {
        response.headers.set("vary", vary ? `${vary}, Origin` : "Origin");
      }
    },
  };

  const csrf = useCSRFPrevention({ requestHeaders: csrfHeaders });
  const csrfRejection = () =>
    new GraphQLError(
      `GET and form-encoded, multipart or text/plain requests must carry the ${csrfHeaders.join(" or ")} header.`,
      { extensions: { code: CSRF_HEADER_REQUIRED, http: { status: 403 } } },
    );
  const codedCsrf: Plugin = {
    onRequestParse(payload) {
      try {
        const result = csrf.onRequestParse?.(payload);
        return result instanceof Promise
          ? result.catch(() => {
              throw csrfRejection();
            })
          : result;
      } catch {
        throw csrfRejection();
      }
    },
  };

  return { cors, plugins: [varyOnOrigin, codedCsrf] };
}

function normaliseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`browserDefences: "${value}" is not an origin (scheme://host[:port]).`);
  }
  const bare = url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password;
  if (!["http:", "https:"].includes(url.protocol) || !bare || value.endsWith("?") || value.endsWith("#")) {
    throw new TypeError(`browserDefences: "${value}" is not an origin (scheme://host[:port]).`);
  }
  return url.origin;
}
