/**
 * GraphiQL served with no other host: CONTRACT used by app.ts (`render` for yoga's `renderGraphiQL`, `handler` for
 * any asset routes). The implementation behind it is free to change.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import type { GraphiQLOptions } from "graphql-yoga";

export interface GraphiqlPage {
  render(options?: GraphiQLOptions): string;
  /** Serves the page's assets; false for any other request. */
  handler(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export function createGraphiql(): GraphiqlPage {
  return {
    render: (options) => renderGraphiQL(options),
    handler: () => Promise.resolve(false),
  };
}
