/**
 * Persisted operations: trusted documents (an allow-list the client build writes, @graphql-yoga/plugin-persisted-
 * operations) and automatic persisted queries (@graphql-yoga/plugin-apq), on every transport: HTTP GET and POST, SSE
 * (both through yoga's onParams) and graphql-ws (which skips onParams: see `trustedDocumentsOverWebSocket`).
 */
import { useAPQ } from "@graphql-yoga/plugin-apq";
import { usePersistedOperations as useYogaPersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import { GraphQLError, Lexer, Source, TokenKind } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import type { ApqStore } from "../stores/apq.js";
import { normalizeDocumentId } from "./trusted-documents.js";

/** Only trusted documents are accepted and the request sent a document's text, or no id at all. */
export const PERSISTED_QUERY_ID_REQUIRED = "PERSISTED_QUERY_ID_REQUIRED";
/** The id names no trusted document. */
export const PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST";

export interface TrustedDocuments {
  /** SHA-256 hex (lowercase, no prefix) -> document text, as checked by parseTrustedManifest. */
  documents: ReadonlyMap<string, string>;
  /** Accept any document too (staging); false: only these. */
  allowArbitrary: boolean;
}

export interface PersistedOperationsOptions {
  trusted: TrustedDocuments | null;
  /** Automatic persisted queries; never with trusted-only (APQ would register arbitrary documents). */
  apq: ApqStore | null;
}

type Params = GraphQLParams & { documentId?: unknown };

function idRequired(http: boolean): GraphQLError {
  return new GraphQLError(
    "This gateway runs trusted documents only: send the operation's documentId (or extensions.persistedQuery.sha256Hash) from the client build's manifest, not its text.",
    { extensions: { code: PERSISTED_QUERY_ID_REQUIRED, ...(http ? { http: { status: 400 } } : {}) } },
  );
}

function notInList(http: boolean): GraphQLError {
  return new GraphQLError("No trusted document has this id (is the client from another build?).", {
    extensions: { code: PERSISTED_QUERY_NOT_IN_LIST, ...(http ? { http: { status: 400 } } : {}) },
  });
}

/** `documentId` (body, or the query string of a GET), else `extensions.persistedQuery.sha256Hash`; as sent. */
function rawIdOf(params: Params, request?: Request): string | null {
  if (typeof params.documentId === "string") return params.documentId;
  if (request?.method === "GET") {
    const fromUrl = new URL(request.url, "http://localhost").searchParams.get("documentId");
    if (fromUrl) return fromUrl;
  }
  return apqHashOf(params);
}

function apqHashOf(params: Params): string | null {
  const persisted = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)
    ?.persistedQuery;
  return typeof persisted?.sha256Hash === "string" ? persisted.sha256Hash : null;
}

/** The trusted document an id names (as sent: any case, `sha256:` or not), or null. */
function documentOf(trusted: TrustedDocuments, raw: string): string | null {
  const hash = normalizeDocumentId(raw);
  return (hash && trusted.documents.get(hash)) ?? null;
}

function withoutPersistedQuery(params: GraphQLParams): GraphQLParams {
  if (!params.extensions || !("persistedQuery" in params.extensions)) return params;
  const { persistedQuery: _resolved, ...extensions } = params.extensions;
  return { ...params, extensions };
}

/** Client-side string literals may be secrets (a PKCS#12 password inlined): such queries run but are never stored. */
function storable(query: string): boolean {
  try {
    const lexer = new Lexer(new Source(query));
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (token.kind === TokenKind.STRING || token.kind === TokenKind.BLOCK_STRING) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function textOf(source: string | Source): string {
  return typeof source === "string" ? source : source.body;
}

/**
 * The yoga plugins, in order: trusted documents (resolve the id; with trusted-only, refuse anything else in onParams,
 * before parsing, and refuse in onParse any text that is not a trusted document, whatever path it came by), then APQ.
 * A hash the manifest lacks goes on to APQ when arbitrary operations are allowed; a `documentId` never does.
 */
export function usePersistedOperations(options: PersistedOperationsOptions): Plugin[] {
  const { trusted, apq } = options;
  if (trusted && !trusted.allowArbitrary && apq) {
    throw new RangeError(
      "usePersistedOperations: APQ cannot be on while only trusted documents are accepted.",
    );
  }
  const plugins: Plugin[] = [];
  if (trusted) {
    const lookup = (raw: string) => documentOf(trusted, raw);
    const inner = useYogaPersistedOperations({
      allowArbitraryOperations: trusted.allowArbitrary,
      extractPersistedOperationId: (params, request) => rawIdOf(params, request),
      getPersistedOperation: (raw) => lookup(raw),
      customErrors: {
        notFound: () => notInList(true),
        keyNotFound: () => idRequired(true),
        persistedQueryOnly: () => idRequired(true),
      },
    });
    const texts = new Set(trusted.documents.values());
    plugins.push({
      onParams(payload) {
        const params = payload.params as Params;
        if (trusted.allowArbitrary && !params.query) {
          const raw = rawIdOf(params, payload.request);
          // Neither text nor id: yoga's own "Must provide query string."; an APQ hash not in the manifest: APQ's.
          if (raw === null) return;
          if (apq && raw === apqHashOf(params) && lookup(raw) === null) return;
        }
        // Resolved from the manifest: APQ has nothing left to look up or store.
        return inner.onParams?.({
          ...payload,
          setParams: (next) => payload.setParams(withoutPersistedQuery(next)),
        });
      },
      ...(trusted.allowArbitrary
        ? {}
        : {
            onParse({ params: { source } }) {
              if (!texts.has(textOf(source))) throw idRequired(false);
            },
          }),
    });
  }
  if (apq) {
    plugins.push(
      useAPQ({
        store: {
          get: (hash) => apq.get(hash),
          set: (hash, query) => {
            if (storable(query)) apq.set(hash, query);
          },
        },
      }),
    );
  }
  return plugins;
}

/** What graphql-ws takes from yoga: its envelop (schema, parse, validate, contextFactory, execute, subscribe). */
interface EnvelopedServer {
  getEnveloped(initial: never): { parse(source: string | Source, options?: never): unknown };
}

/**
 * graphql-ws hands each `subscribe` payload to yoga's envelop directly (src/subscriptions/graphql-ws.ts), past every
 * onParams hook: this yoga, for that path only, resolves a trusted document id before parsing and refuses what HTTP
 * refuses. graphql-ws requires `query` to be a string: a client sends `""` with `documentId` (or
 * `extensions.persistedQuery.sha256Hash`). APQ hashes are not looked up over graphql-ws: send the query.
 */
export function trustedDocumentsOverWebSocket<Y extends EnvelopedServer>(
  yoga: Y,
  trusted: TrustedDocuments,
): Y {
  const lookup = (raw: string) => documentOf(trusted, raw);
  const resolve = (params: Params | undefined, source: string | Source): string | Source => {
    if (textOf(source).trim() !== "") {
      if (!trusted.allowArbitrary) throw idRequired(false);
      return source;
    }
    const raw = params ? rawIdOf(params) : null;
    if (raw === null) {
      if (!trusted.allowArbitrary) throw idRequired(false);
      return source;
    }
    const document = lookup(raw);
    if (document === null) throw notInList(false);
    return document;
  };
  const getEnveloped = (initial: Record<string, unknown>) => {
    const enveloped = yoga.getEnveloped(initial as never);
    const params = initial.params as Params | undefined;
    return {
      ...enveloped,
      parse: (source: string | Source, parseOptions?: never) =>
        enveloped.parse(resolve(params, source), parseOptions),
    };
  };
  return new Proxy(yoga, {
    get: (target, property, receiver) =>
      property === "getEnveloped" ? getEnveloped : Reflect.get(target, property, receiver),
  });
}
