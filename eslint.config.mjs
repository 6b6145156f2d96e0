// @ts-check
import js from "@eslint/js"
import regexp from "eslint-plugin-regexp"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/dist/**", "**/.tsbuild/**", "**/node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  regexp.configs["flat/recommended"],
  {
    // Every pattern runs on bytes from servers, headers and files: none may backtrack super-linearly.
    rules: {
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
