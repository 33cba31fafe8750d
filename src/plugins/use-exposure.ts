import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";

export interface ExposureOptions {
  /** Answer `__schema` and `__type` (GraphiQL, codegen). Off in production. */
  introspection: boolean;
  /**
   * Keep graphql's "Did you mean ...?" hints in error messages. They name fields, arguments,
   * types and enum values, so they leak the schema a disabled introspection hides.
   * Default: the same as `introspection`.
   */
  suggestions?: boolean;
}

export const INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED";

/**
 * graphql's NoSchemaIntrospectionCustomRule, its errors carrying `extensions.code`
 * INTROSPECTION_DISABLED. `__typename` stays allowed.
 */
export const CodedNoSchemaIntrospectionRule: ValidationRule = (context) =>
  NoSchemaIntrospectionCustomRule(
    new Proxy(context, {
      get(target, property, receiver) {
        if (property === "reportError") {
          return (error: GraphQLError) =>
            target.reportError(
              new GraphQLError(error.message, {
                nodes: error.nodes,
                extensions: { ...error.extensions, code: INTROSPECTION_DISABLED },
              }),
            );
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }),
  );

/**
 * What the schema gives away. With `introspection: false`, every validation (HTTP, SSE, graphql-ws:
 * anything that calls the enveloped `validate`) runs {@link CodedNoSchemaIntrospectionRule}, so an
 * operation selecting `__schema` or `__type` is refused with INTROSPECTION_DISABLED before it runs.
 * With `suggestions: false`, "Did you mean ...?" is cut from validation errors and from execution
 * errors (variable values are coerced, and their enum values suggested, at execution).
 *
 * `@graphql-yoga/plugin-disable-introspection` is deliberately not used: it adds the same rule, on
 * HTTP only, without a code, so each refusal would come back twice, once without the code.
 */
export function useExposure(options: ExposureOptions): Plugin {
  const { introspection, suggestions = introspection } = options;
  return {
    onValidate({ addValidationRule }) {
      if (!introspection) addValidationRule(CodedNoSchemaIntrospectionRule);
      if (suggestions) return undefined;
      return ({ valid, result, setResult }) => {
        if (!valid) setResult(result.map(withoutSuggestion));
      };
    },
    onExecute() {
      if (suggestions) return undefined;
      return {
        onExecuteDone({ result, setResult }) {
          if (!("errors" in result) || !result.errors?.length) return;
          setResult({ ...result, errors: result.errors.map(withoutSuggestion) });
        },
      };
    },
    onSubscribe() {
      if (suggestions) return undefined;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!("errors" in result) || !result.errors?.length) return;
          setResult({ ...result, errors: result.errors.map(withoutSuggestion) });
        },
      };
    },
  };
}

const SUGGESTION = / ?Did you mean [^?]*\?/;

function withoutSuggestion<T>(error: T): T {
  if (!(error instanceof GraphQLError) || !SUGGESTION.test(error.message)) return error;
  return new GraphQLError(error.message.replace(SUGGESTION, ""), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  }) as T;
}
