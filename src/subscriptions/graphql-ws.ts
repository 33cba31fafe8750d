import type { Server } from "node:http";
import { type ExecutionArgs, GraphQLError } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Viewer } from "../auth/viewer.js";
import type { Logger } from "../logger.js";

/** What a socket's `connection_init` authenticated; every operation on the socket runs as it. */
export interface SocketAuth {
  viewer: Viewer;
  /** Opaque to this module: handed to the context factory as `wsAuth`. */
  services: unknown;
}

export interface GraphqlWsOptions {
  path: string;
  /**
   * Verifies `connectionParams.authorization` ("Bearer <JWT>") and, in pass-through mode,
   * `connectionParams["x-api-key"]`; throws to refuse. Same rules as HTTP.
   */
  authenticate(authorization: string | null, apiKey: string | null): Promise<SocketAuth>;
  /** Largest frame accepted; the ws library's default is 100 MiB. */
  maxPayloadBytes: number;
  /** Operations (queries, mutations, subscriptions) running at once on one socket. */
  maxOperationsPerSocket: number;
  logger: Logger;
  /** Runs each operation's execute or subscribe (`run`), e.g. to observe when it settles; default: just runs it. */
  around?: (contextValue: unknown, run: () => unknown) => unknown;
}

// setTimeout fires at once for delays over 2^31-1 ms (~24.8 days): long-lived tokens re-arm in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

function closeAtExpiry(state: SocketState, expiresAtMs: number, close: () => void): void {
  const remaining = expiresAtMs - Date.now();
  state.expiry =
    remaining > MAX_TIMER_MS
      ? setTimeout(() => closeAtExpiry(state, expiresAtMs, close), MAX_TIMER_MS)
      : setTimeout(close, Math.max(0, remaining));
}

/** The pipeline's own execute and subscribe, handed from onSubscribe in `rootValue`. */
interface Enveloped {
  execute(args: ExecutionArgs): unknown;
  subscribe(args: ExecutionArgs): unknown;
}

interface SocketState {
  auth?: SocketAuth;
  expiry?: NodeJS.Timeout;
  running: Set<string>;
}

/**
 * graphql-ws on the same port and path as HTTP (graphql-transport-ws protocol). The token comes in
 * `connectionParams` at `connection_init`; a bad one closes the socket with 4403, and the socket is
 * closed with 4401 when the token expires. Operations go through yoga's envelop pipeline, so masking,
 * query limits and scopes apply exactly as over HTTP.
 */
export function attachGraphqlWs(
  server: Server,
  yoga: YogaServerInstance<Record<string, unknown>, Record<string, unknown>>,
  options: GraphqlWsOptions,
): { close(waitMs?: number): Promise<void> } {
  const around = options.around ?? ((_context: unknown, run: () => unknown) => run());
  const wss = new WebSocketServer({ server, path: options.path, maxPayload: options.maxPayloadBytes });
  const states = new WeakMap<object, SocketState>();
  /** Sockets open now, for shutdown. */
  const open = new Set<SocketState>();
  let settle: (() => void) | null = null;
  const stateOf = (extra: object): SocketState => {
    let state = states.get(extra);
    if (!state) {
      states.set(extra, (state = { running: new Set() }));
      open.add(state);
    }
    return state;
  };
  const busy = () => [...open].some((state) => state.running.size > 0);
  const finished = (state: SocketState, id: string) => {
    state.running.delete(id);
    if (settle && !busy()) settle();
  };

  const disposable = useServer(
    {
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization = typeof params.authorization === "string" ? params.authorization : null;
        const apiKey = typeof params["x-api-key"] === "string" ? params["x-api-key"] : null;
        try {
          const auth = await options.authenticate(authorization, apiKey);
          const state = stateOf(ctx.extra);
          state.auth = auth;
          closeAtExpiry(state, auth.viewer.expiresAt * 1000, () =>
            ctx.extra.socket.close(CloseCode.Unauthorized, "Token expired"),
          );

          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      onClose: (ctx) => {
        const state = stateOf(ctx.extra);
        clearTimeout(state.expiry);
        open.delete(state);
        if (settle && !busy()) settle();
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = stateOf(ctx.extra);
        if (state.running.size >= options.maxOperationsPerSocket) {
          return [
            new GraphQLError(
              `At most ${options.maxOperationsPerSocket} operations may run at once on one socket.`,
              {
                extensions: { code: "TOO_MANY_OPERATIONS" },
              },
            ),
          ];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          wsAuth: state.auth,
        });
        let document: ExecutionArgs["document"];
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError("Syntax error")];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        state.running.add(id);
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
      execute: (args) =>
        around(args.contextValue, () => (args.rootValue as Enveloped).execute(args)) as never,
      subscribe: (args) =>
        around(args.contextValue, () => (args.rootValue as Enveloped).subscribe(args)) as never,
      onComplete: (ctx, id) => finished(stateOf(ctx.extra), id),
      onError: (ctx, id) => finished(stateOf(ctx.extra), id),
    },
    wss,
  );
  wss.on("error", (error) => options.logger.warn({ err: error }, "websocket server error"));

  return {
    /**
     * Shutdown: waits up to `waitMs` for running operations to finish (a completed subscription's `complete` is sent
     * right after onComplete), then closes every socket with 1001 Going Away and stops the server.
     */
    async close(waitMs = 0) {
      if (waitMs > 0 && busy()) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          settle = resolve;
          timer = setTimeout(resolve, waitMs);
        });
        clearTimeout(timer);
        settle = null;
      }
      // onComplete runs just before graphql-ws sends `complete`: let those frames go out before the close frame.
      await new Promise((resolve) => setImmediate(resolve));
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
