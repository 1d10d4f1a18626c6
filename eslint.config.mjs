import js from "@eslint/js";
import tseslint from "typescript-eslint";
import nextPlugin from "@next/eslint-plugin-next";
import reactHooks from "eslint-plugin-react-hooks";

export default tseslint.config(
  {
    ignores: [
      ".next/**",
      "node_modules/**",
      ".data/**",
      "drizzle/**",
      "test-results/**",
      "playwright-report/**",
      "next-env.d.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { "@next/next": nextPlugin, "react-hooks": reactHooks },
    rules: {
      ...nextPlugin.configs.recommended.rules,
      ...nextPlugin.configs["core-web-vitals"].rules,
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read configuration through env() in src/server/env.ts." },
      ],
    },
  },
  {
    // Dependencies point one way (docs/architecture.md, docs/decisions/033): the transport layer
    // (src/server/http: request wrapper, error mapping; src/server/api: the route table) calls the
    // domain, never the reverse. A domain operation takes a Scope (src/server/core/scope.ts) and
    // typed input, so nothing under src/server outside those two folders may import them.
    files: ["src/server/**/*.{ts,tsx}"],
    ignores: ["src/server/http/**", "src/server/api/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "**/http/*",
                "@/server/http/*",
                "**/server/http/*",
                "**/api/*",
                "@/server/api/*",
                "**/server/api/*",
              ],
              message:
                "Domain code must not import the transport layer (src/server/http, src/server/api): take a Scope from src/server/core/scope.ts and typed input instead (docs/decisions/033).",
            },
          ],
        },
      ],
    },
  },
  {
    // A path that skips tenant scoping is named for it (CONVENTIONS: "A lookup that skips tenant or
    // visibility scoping is named unsafe…"): unsafeWithSystem, which runs as the owner with no
    // app.org_id, may be called only inside a function whose name starts with "unsafe", so every
    // cross-org path is visible at its callers too (issue 15 item 2, docs/decisions/033).
    files: ["src/**/*.{ts,tsx}"],
    ignores: ["src/server/db/tenant.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "CallExpression[callee.name='unsafeWithSystem']:not(FunctionDeclaration[id.name=/^unsafe/] *, VariableDeclarator[id.name=/^unsafe/] *, MethodDefinition[key.name=/^unsafe/] *, Property[key.name=/^unsafe/] *)",
          message:
            "unsafeWithSystem (no tenant scope) may be called only inside a function named unsafe…, so its callers see the cross-org path.",
        },
      ],
    },
  },
  {
    files: ["src/server/env.ts", "scripts/**", "tests/**", "*.config.*", "playwright.config.ts"],
    rules: { "no-restricted-properties": "off" },
  },
  { files: ["**/*.mjs"], languageOptions: { globals: { console: "readonly", process: "readonly", URL: "readonly" } } },
);
