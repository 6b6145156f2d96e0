// @ts-check
import js from "@eslint/js"
import regexp from "eslint-plugin-regexp"
import tseslint from "typescript-eslint"

// A disable comment must say why: `// eslint-disable-next-line rule -- the reason`.
const directivesWithReasons = {
  rules: {
    "require-reason": {
      meta: { type: "problem", schema: [] },
      create: (context) => ({
        Program: () => {
          for (const comment of context.sourceCode.getAllComments()) {
            const text = comment.value.trim()
            if (!/^eslint-(?:disable|enable)/.test(text)) continue
            const reason = text.split(" -- ")[1]
            if (reason === undefined || reason.trim() === "") {
              context.report({ loc: comment.loc, message: "An eslint directive needs a reason after ' -- '." })
            }
          }
        }
      })
    }
  }
}

const grantflowPackages = ["core", "resource-server", "testing", "node", "cli"]

/** One `no-restricted-imports` block per package, from the grantflow packages it may import. */
const packageEdges = (allowed) =>
  Object.entries(allowed).map(([name, { grantflow, node }]) => ({
    files: [`packages/${name}/src/**/*.ts`],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          ...grantflowPackages
            .filter((other) => !grantflow.includes(other))
            .map((other) => ({
              group: [`@grantflow/${other}`, `@grantflow/${other}/*`],
              message: `@grantflow/${name} may not depend on @grantflow/${other} at run time (see the README's architecture section).`
            })),
          ...(node ? [] : [{
            group: ["node:*", "@effect/platform-node", "@effect/platform-node/*", "ioredis"],
            message: `@grantflow/${name} runs on any JavaScript runtime: platform-specific code belongs in @grantflow/node.`
          }])
        ]
      }]
    }
  }))

// The pure parts (docs/effect-4.md): token response decoding, token freshness, refresh policies, the token
// provider's cache, errors, and the property-test kit's journal, invariants and arbitraries. They use only
// effect's own data types, never `@effect/platform`, whose modules moved into `effect` in 4.x, so that they can
// serve both Effect majors unchanged. At run time they import only each other; a platform-bound module may
// appear in them as a type.
const pureModules = {
  core: [
    "AccessToken", "internal/accessToken", "TokenResponse", "internal/excerpt", "internal/json", "Json",
    "internal/oauthError", "internal/parseIssue", "internal/printable", "internal/redirect", "RefreshPolicy",
    "internal/refreshPolicy", "TokenError", "internal/tokenError", "TokenEvent", "TokenCipher", "internal/tokenCipher",
    "TokenProvider", "internal/tokenProvider", "internal/metrics"
  ],
  testing: [
    "Journal", "internal/journal", "internal/journalAssertions", "Invariants", "internal/invariants", "Arbitraries",
    "internal/arbitraries", "internal/fault", "internal/steps", "ServerConfig", "internal/serverConfig",
    "internal/providerTwin", "internal/twinQuirks"
  ]
}

const purity = Object.entries(pureModules).map(([name, modules]) => {
  const basenames = modules.map((module) => module.split("/").pop())
  return {
    files: modules.map((module) => `packages/${name}/src/${module}.ts`),
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [
          {
            group: ["@effect/platform", "@effect/platform/*", "@effect/platform-*"],
            message: "A pure module may not import @effect/platform, not even a type (see docs/effect-4.md)."
          },
          {
            regex: `^\\.\\.?/(?:internal/)?(?!(?:${basenames.join("|")})\\.js$)[^/]+$`,
            caseSensitive: true,
            allowTypeImports: true,
            message: "A pure module imports only pure modules at run time (the list is in eslint.config.mjs); " +
              "refer to a platform-bound module with `import type`, or move the value into a pure module."
          }
        ]
      }]
    }
  }
})

export default tseslint.config(
  { ignores: ["**/dist/**", "**/.tsbuild/**", "**/.test-bin/**", "**/node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  regexp.configs["flat/recommended"],
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    plugins: { directives: directivesWithReasons },
    // Every pattern runs on bytes from servers, headers and files: none may backtrack super-linearly.
    rules: {
      "directives/require-reason": "error",
      "regexp/no-super-linear-backtracking": "error",
      "regexp/no-super-linear-move": "error"
    }
  },
  {
    rules: {
      // Effect code yields from generators that may not yield, and uses namespaces and `{}` in type-level code
      "require-yield": "off",
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": ["error", { selector: "ExportDefaultDeclaration", message: "Use named exports." }]
    }
  },
  // The allowed edges between packages at run time (README, "Architecture"): a source file may import
  // only the grantflow packages its package depends on; core runs on any JavaScript runtime.
  ...packageEdges({
    core: { grantflow: [], node: false },
    "resource-server": { grantflow: ["core"], node: false },
    testing: { grantflow: [], node: true },
    node: { grantflow: ["core"], node: true },
    cli: { grantflow: ["core", "resource-server", "node", "testing"], node: true }
  }),
  ...purity,
  {
    // libraries never print: they log through Effect
    files: ["packages/*/src/**/*.ts"],
    rules: { "no-console": "error" }
  },
  {
    // plain Node scripts (run without tsx)
    files: ["**/*.mjs"],
    languageOptions: {
      globals: { process: "readonly", Buffer: "readonly", URL: "readonly", performance: "readonly", console: "readonly" }
    }
  },
  {
    files: ["eslint.config.mjs", "vitest.config.ts"],
    rules: { "no-restricted-syntax": "off" }
  }
)
