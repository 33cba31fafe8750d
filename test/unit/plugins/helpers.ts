import type { GraphQLSchema } from "graphql";
import { createSchema, createYoga, type Plugin } from "graphql-yoga";

export const ENDPOINT = "http://gateway.test/graphql";

/** A tiny schema with a paginated, nestable list and a subscription. */
export const testSchema: GraphQLSchema = createSchema({
  typeDefs: /* GraphQL */ `
    type Query {
      hello: String!
      items(first: Int, last: Int, status: Status): [Item!]!
      item: Item!
    }
    type Mutation {
      touch: Boolean!
    }
    type Subscription {
      ticks(first: Int): Int!
    }
    type Item {
      id: ID!
      name: String!
      status: Status!
      children(first: Int): [Item!]!
      parent: Item
    }
    enum Status {
      ACTIVE
      RETIRED
    }
  `,
  resolvers: {
    Query: {
      hello: () => "world",
      items: (_: unknown, args: { first?: number | null }) => makeItems(args.first ?? 2),
      item: () => makeItems(1)[0],
    },
    Mutation: { touch: () => true },
    Subscription: {
      ticks: {
        subscribe: async function* (_: unknown, args: { first?: number | null }) {
          for (let i = 0; i < (args.first ?? 1); i++) yield { ticks: i };
        },
      },
    },
    Item: {
      children: (_: unknown, args: { first?: number | null }) => makeItems(args.first ?? 2),
      parent: () => null,
    },
  },
});

function makeItems(n: number) {
  return Array.from({ length: Math.min(n, 3) }, (_, i) => ({
    id: String(i),
    name: `item ${i}`,
    status: "ACTIVE",
  }));
}

type YogaOptions = Parameters<typeof createYoga>[0];

export function makeYoga(plugins: Plugin[], options: Omit<YogaOptions, "schema" | "plugins"> = {}) {
  return createYoga({ schema: testSchema, logging: false, plugins, ...options });
}

export type TestYoga = ReturnType<typeof makeYoga>;

export interface GraphQLBody {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown }[];
}

/** POSTs one operation as JSON and returns the response and its parsed body. */
export async function post(
  yoga: { fetch: (...args: any[]) => Response | Promise<Response> },
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ response: Response; body: GraphQLBody }> {
  const response = await yoga.fetch(ENDPOINT, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { response, body: (await response.json()) as GraphQLBody };
}
