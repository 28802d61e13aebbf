import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { layersRule } from "./tools/eslint-layers.js";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "src/proto/", ".cache/", "out/", "tmp/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { beam: { rules: { layers: layersRule } } },
    rules: {
      "beam/layers": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**", "**/*.test.ts"],
    rules: { "no-console": "error" },
  },
  {
    files: ["tools/**/*.js", "bin/**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
