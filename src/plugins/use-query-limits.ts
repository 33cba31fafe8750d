import { EnvelopArmor } from "@escape.tech/graphql-armor";
import {
  getNamedType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  valueFromAST,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type ParseOptions,
  type SelectionSetNode,
  type Source,
  type ValidationContext,
} from "graphql";
import type { Plugin } from "graphql-yoga";

/** Limits on the shape and price of one GraphQL operation. */
export interface QueryLimitsOptions {
  /** Deepest field nesting (fragments do not add a level). */
  maxDepth: number;
  /** Aliased fields in the operation (`__typename` aliases are free). */
  maxAliases: number;
  /** Lexical tokens in the document; parsing stops at the first token over the limit. */
  maxTokens: number;
  /** Directive uses in the operation (fragments included). */
  maxDirectives: number;
  /** Largest operation cost, see {@link operationCost}. */
  maxCost: number;
  /** List size assumed for a field that takes `first`/`last` when neither is given. */
  defaultListSize: number;
  /** Largest `first`/`last` accepted, from a literal or a variable. */
  maxListSize: number;
}

export const DEFAULT_QUERY_LIMITS: Readonly<QueryLimitsOptions> = Object.freeze({
  maxDepth: 12,
  maxAliases: 15,
  maxTokens: 2000,
  maxDirectives: 10,
  maxCost: 20_000,
  defaultListSize: 20,
  maxListSize: 100,
});

/** The `extensions.code` of each rejection. */
export const QUERY_LIMIT_CODES = Object.freeze({
  depth: "QUERY_TOO_DEEP",
  aliases: "TOO_MANY_ALIASES",
  directives: "TOO_MANY_DIRECTIVES",
  tokens: "TOO_MANY_TOKENS",
  cost: "QUERY_TOO_COSTLY",
  listSize: "VALIDATION_FAILED",
});

// Like yoga's own validation errors: 400 for `application/graphql-response+json` clients, 200 for
// `application/json` ones (GraphQL over HTTP; yoga reads `spec` and strips `http` from the response).
const HTTP_BAD_REQUEST = { status: 400, spec: true };

/**
 * Rejects an operation that is too deep, has too many aliases, directives or tokens, asks for a
 * page larger than `maxListSize`, or costs more than `maxCost`. Each rejection is a GraphQLError
 * with a stable `extensions.code` (see {@link QUERY_LIMIT_CODES}) that answers that one operation:
 * validate returns it and execute/subscribe return it as their result (nothing is thrown there, so
 * over graphql-ws the socket stays open); only the token limit is thrown, by parse, see below.
 *
 * - Depth, aliases and directives: graphql-armor's validation rules; the rejection is reported as a
 *   validation error (armor's own error has no code and starts with "Syntax Error:").
 * - Tokens: graphql-armor's token-counting parser, which stops lexing at the first token over the
 *   limit. Like any syntax error, the rejection is thrown by parse (a GraphQLError with code
 *   TOO_MANY_TOKENS): yoga answers it over HTTP; a graphql-ws `onSubscribe` must catch what parse
 *   throws and return `[error]`, as it must for an ordinary syntax error.
 * - Page size and cost: checked in onExecute/onSubscribe, where variables are known, so `first: $n`
 *   is priced with the value sent; see {@link operationCost}.
 *
 * Works on every execution path that goes through the envelop pipeline (`yoga.getEnveloped()`):
 * HTTP, SSE and graphql-ws.
 */
export function useQueryLimits(options: Partial<QueryLimitsOptions> = {}): Plugin {
  const limits = { ...DEFAULT_QUERY_LIMITS, ...definedOnly(options) };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`useQueryLimits: ${name} must be a positive integer, got ${String(value)}.`);
    }
  }

  const reportAs = (code: string) => (context: ValidationContext | null, error: GraphQLError) => {
    context?.reportError(new GraphQLError(withoutSyntaxPrefix(error.message), { extensions: { code } }));
  };
  const tokenErrors = new WeakSet<GraphQLError>();
  const costs: CostCache = new WeakMap();
  const armor = new EnvelopArmor({
    blockFieldSuggestion: { enabled: false },
    costLimit: { enabled: false },
    maxDepth: {
      n: limits.maxDepth,
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [reportAs(QUERY_LIMIT_CODES.depth)],
    },
    maxAliases: {
      n: limits.maxAliases,
      propagateOnRejection: false,
      onReject: [reportAs(QUERY_LIMIT_CODES.aliases)],
    },
    maxDirectives: {
      n: limits.maxDirectives,
      propagateOnRejection: false,
      onReject: [reportAs(QUERY_LIMIT_CODES.directives)],
    },
    // The only way to stop the lexer is armor's throw; codedTokenLimit below gives it a code.
    maxTokens: {
      n: limits.maxTokens,
      propagateOnRejection: true,
      onReject: [(_context, error) => tokenErrors.add(error)],
    },
  });

  const codedTokenLimit: Plugin = {
    // Added right after armor's token plugin, so `parseFn` is armor's token-counting parser.
    onParse({ parseFn, setParseFn }) {
      setParseFn((source: string | Source, parseOptions?: ParseOptions) => {
        try {
          return parseFn(source, parseOptions);
        } catch (error) {
          if (!(error instanceof GraphQLError && tokenErrors.has(error))) throw error;
          throw new GraphQLError(withoutSyntaxPrefix(error.message), {
            extensions: { code: QUERY_LIMIT_CODES.tokens, http: HTTP_BAD_REQUEST },
          });
        }
      });
    },
  };

  return {
    onPluginInit({ addPlugin }) {
      for (const plugin of armor.protect().plugins) addPlugin(plugin as Plugin);
      addPlugin(codedTokenLimit);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const error = checkListSizesAndCost(args, limits, costs);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = checkListSizesAndCost(args, limits, costs);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

/** What {@link operationCost} found: the cost, or the first page-size argument over the limit. */
export type CostResult = (
  { cost: number } | { oversized: { argument: "first" | "last"; value: number; node: FieldNode } }
) & {
  /** Whether a page size came from a variable: otherwise the result holds for any variables sent with this document. */
  readsVariables: boolean;
};

/**
 * The cost of the operation `args.operationName` in `args.document`, with `args.variableValues`:
 * the sum over its fields of `(1 + cost of the field's selections) * size`, where `size` is 1 for a
 * field without a `first`/`last` argument in the schema, else the larger of the two values given
 * (literal, variable, or the argument's schema default), the length of its `ids` list if it takes one (`nodes`),
 * `defaultListSize` when neither is given,
 * and at least 1 (a `first: 0` page is still a call). Fragments are expanded; every branch of a
 * type condition and every field under `@skip`/`@include` counts (an upper bound).
 *
 * Returns undefined when execution itself will refuse the request (no such operation, variables
 * that do not coerce); graphql reports those better than a cost check could.
 */
export function operationCost(
  args: Pick<ExecutionArgs, "schema" | "document" | "operationName" | "variableValues">,
  limits: Pick<QueryLimitsOptions, "defaultListSize" | "maxListSize">,
): CostResult | undefined {
  const { schema, document } = args;
  const operation = getOperationAST(document, args.operationName ?? undefined);
  if (!operation) return undefined;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
  if (coerced.errors) return undefined;
  const variables = coerced.coerced;

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentCosts = new Map<string, number>();
  let oversized: { argument: "first" | "last"; value: number; node: FieldNode } | undefined;
  let readsVariables = false;

  const pageSize = (field: GraphQLField<unknown, unknown> | undefined, node: FieldNode): number => {
    let size: number | undefined;
    for (const argument of ["first", "last"] as const) {
      const definition = field?.args.find((a) => a.name === argument);
      if (!definition) continue;
      const literal = node.arguments?.find((a) => a.name.value === argument);
      if (literal?.value.kind === Kind.VARIABLE) readsVariables = true;
      const value: unknown =
        (literal ? valueFromAST(literal.value, definition.type, variables) : undefined) ??
        definition.defaultValue;
      if (typeof value !== "number") continue;
      if (value > limits.maxListSize) oversized ??= { argument, value, node };
      size = Math.max(size ?? value, value);
    }
    // A field that takes a list of ids (`nodes(ids:)`) answers one item per id.
    const ids = field?.args.find((a) => a.name === "ids");
    const idsNode = ids && node.arguments?.find((a) => a.name.value === "ids");
    if (ids && idsNode) {
      if (idsNode.value.kind === Kind.VARIABLE) readsVariables = true;
      const value = valueFromAST(idsNode.value, ids.type, variables);
      if (Array.isArray(value)) size = Math.max(size ?? 0, value.length);
    }
    if (size === undefined) {
      return field?.args.some((a) => a.name === "first" || a.name === "last") ? limits.defaultListSize : 1;
    }
    return Math.max(size, 1);
  };

  const selectionSetCost = (type: GraphQLNamedType, selectionSet: SelectionSetNode): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field = fieldDefinition(type, selection.name.value, type === rootType);
        const childType = field && getNamedType(field.type);
        const children =
          selection.selectionSet && childType ? selectionSetCost(childType, selection.selectionSet) : 0;
        total += (1 + children) * pageSize(field, selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition && schema.getType(selection.typeCondition.name.value);
        total += selectionSetCost(condition ?? type, selection.selectionSet);
      } else {
        total += fragmentCost(selection.name.value);
      }
    }
    return total;
  };

  // A fragment's cost does not depend on where it is spread: computed once, so fragment bombs
  // (each fragment spreading the next one twice) cost a linear walk.
  const fragmentCost = (name: string): number => {
    const known = fragmentCosts.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    const type = fragment && schema.getType(fragment.typeCondition.name.value);
    if (!fragment || !type) return 0;
    fragmentCosts.set(name, 0); // a cycle (invalid anyway) adds nothing
    const cost = selectionSetCost(type, fragment.selectionSet);
    fragmentCosts.set(name, cost);
    return cost;
  };

  const cost = selectionSetCost(rootType, operation.selectionSet);
  return oversized ? { oversized, readsVariables } : { cost, readsVariables };
}

/** Costs that hold whatever the variables, by document (yoga's parse cache hands back the same DocumentNode) and operation. */
type CostCache = WeakMap<DocumentNode, Map<string, CostResult>>;

function checkListSizesAndCost(
  args: ExecutionArgs,
  limits: QueryLimitsOptions,
  cache: CostCache,
): GraphQLError | undefined {
  const operationName = args.operationName ?? "";
  let result = cache.get(args.document)?.get(operationName);
  if (!result) {
    result = operationCost(args, limits);
    if (!result) return undefined;
    if (!result.readsVariables) {
      let byOperation = cache.get(args.document);
      if (!byOperation) cache.set(args.document, (byOperation = new Map()));
      byOperation.set(operationName, result);
    }
  }
  if ("oversized" in result) {
    const { argument, node } = result.oversized;
    return new GraphQLError(`${argument} must be at most ${limits.maxListSize}.`, {
      nodes: node,
      extensions: { code: QUERY_LIMIT_CODES.listSize, field: argument, http: HTTP_BAD_REQUEST },
    });
  }
  if (result.cost > limits.maxCost) {
    return new GraphQLError(
      `Query cost limit of ${limits.maxCost} exceeded, found ${result.cost}. Ask for fewer items (first) or fewer fields.`,
      {
        extensions: {
          code: QUERY_LIMIT_CODES.cost,
          maxCost: limits.maxCost,
          cost: result.cost,
          http: HTTP_BAD_REQUEST,
        },
      },
    );
  }
  return undefined;
}

function fieldDefinition(
  type: GraphQLNamedType,
  name: string,
  isRoot: boolean,
): GraphQLField<unknown, unknown> | undefined {
  if (isRoot && name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
  if (isRoot && name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  return isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
}

function withoutSyntaxPrefix(message: string): string {
  return message.replace(/^Syntax Error: /, "");
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
