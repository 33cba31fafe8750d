// ESLint (correctness) + Prettier (format, via `prettier --check`); both pure JavaScript, so `npm ci` works anywhere.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import { importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

// ---------------------------------------------------------------------------------------------------------------
// Layers. Imports run one way: schema -> resolvers -> loaders -> datasources -> model; a layer may import the
// layers to its right, never to its left. src/ never imports simulator/ (except src/main.ts, which starts the
// built-in simulator) and simulator/ never imports src/.
//
// import-x/no-restricted-paths resolves every specifier to a file first (the TypeScript resolver maps "./x.js" to
// ./x.ts), then checks the file, so "../model/../datasources/x.js" is caught like "../datasources/x.js". Type-only
// imports and re-exports count (the rule does not look at `import type`); `import("…")` types are refused by
// consistent-type-imports. A specifier that resolves to nothing is skipped here; tsc reports it.
//
// A zone: files in `target` may not import files in `from`, except those in `except` (relative to `from`).
// Paths are relative to this folder. `from: "."` with `except` means "only these"; npm packages live in
// node_modules/ and Node's built-ins resolve to no file, so both stay allowed.
// ---------------------------------------------------------------------------------------------------------------
const DIRECTION = "Imports run one way: schema -> resolvers -> loaders -> datasources -> model.";
const WIRE =
  "Nothing above src/datasources sees wire JSON: import the mapped model (src/model/<product>/*.ts), not src/model/*/wire.ts.";
const src = (...names) => names.map((name) => `src/${name}`);
const only = (...names) => ["./node_modules", ...names.map((name) => `./src/${name}`)];

const LAYERS = [
  {
    target: "src/model",
    from: ".",
    except: only("model"),
    message: `${DIRECTION} src/model is the bottom: it imports only src/model and npm packages.`,
  },
  {
    target: "src/batch-file",
    from: ".",
    except: only("batch-file", "model"),
    message: `${DIRECTION} src/batch-file imports only src/model and npm packages.`,
  },
  {
    target: "src/datasources",
    from: ".",
    except: only(
      "datasources",
      "model",
      "logger.ts",
      "config.ts",
      "observability/upstream.ts",
      "observability/labels.ts",
    ),
    message: `${DIRECTION} src/datasources imports only src/model (and src/logger.ts, src/config.ts, and the leaves src/observability/upstream.ts and labels.ts).`,
  },
  {
    // A side module every layer may report to: it must never reach back into them (the yoga plugin it hands to app.ts aside).
    target: "src/observability",
    from: ".",
    except: only("observability", "logger.ts", "plugins/use-observability.ts"),
    message:
      "src/observability imports only itself, src/logger.ts (types), src/plugins/use-observability.ts and npm packages: every layer may import it.",
  },
  {
    target: "src/stores",
    from: src(
      "loaders.ts",
      "resolvers",
      "schema",
      "context.ts",
      "subscriptions",
      "plugins",
      "app.ts",
      "main.ts",
    ),
    message: `${DIRECTION} src/stores may import model and datasources, never loaders, resolvers, schema, context, subscriptions, plugins or app.`,
  },
  {
    target: "src/loaders.ts",
    from: src("resolvers", "schema", "context.ts", "subscriptions", "plugins", "app.ts", "main.ts"),
    message: `${DIRECTION} src/loaders.ts may import datasources, model and stores, never resolvers, schema, context, subscriptions, plugins or app.`,
  },
  {
    target: "src/resolvers",
    from: src("schema", "plugins", "subscriptions", "app.ts", "main.ts"),
    message: `${DIRECTION} src/resolvers never imports schema, plugins, subscriptions or app.`,
  },
  {
    target: "src/schema",
    from: src("datasources", "app.ts", "plugins", "main.ts"),
    message: `${DIRECTION} src/schema never imports src/datasources, app or plugins.`,
  },
  // Any wire.ts under src/ (today: src/model/<product>/wire.ts); a glob, so it gets a zone of its own.
  { target: src("resolvers", "schema"), from: "src/**/wire.ts", message: WIRE },
  {
    // Every file under src/ but src/main.ts.
    target: ["src/*/**", "src/!(main.ts)"],
    from: "simulator",
    message: "src/ never imports simulator/ (only src/main.ts starts the built-in simulator).",
  },
  {
    target: "simulator",
    from: "src",
    message: "simulator/ never imports src/: it stands in for DigiCert ONE.",
  },
  {
    target: ["clients", "portal"],
    from: ["src", "simulator"],
    message: "clients/ and portal/ talk GraphQL to the gateway; they never import src/ or simulator/.",
  },
];

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "dist/",
      "bench/.out/",
      ".simulator-data/",
      "coverage/",
      "clients/typescript/src/generated/",
      "portal/src/generated/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Validators reject control characters on purpose.
      "no-control-regex": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    files: ["src/**", "simulator/**", "clients/**", "portal/**"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [
        createTypeScriptImportResolver({ project: `${import.meta.dirname}/tsconfig.json` }),
      ],
    },
    rules: {
      "import-x/no-restricted-paths": ["error", { basePath: import.meta.dirname, zones: LAYERS }],
    },
  },
  {
    files: ["test/**", "bench/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-non-null-assertion": "off" },
  },
  prettier,
);
