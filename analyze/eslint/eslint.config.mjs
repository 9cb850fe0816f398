// Lethe's ESLint configuration, the only one ESLint reads when Lethe runs it:
// lethe-analyze names this file with -c (no configuration file of the
// repository is looked up) and these imports resolve next to this file,
// never in the repository's node_modules.  Every rule of
// eslint-plugin-security and @microsoft/eslint-plugin-sdl, on JavaScript
// and, through @typescript-eslint/parser, TypeScript.
import sdl from "@microsoft/eslint-plugin-sdl";
import tsParser from "@typescript-eslint/parser";
import security from "eslint-plugin-security";

const rules = {};
for (const name of Object.keys(security.rules))
	rules[`security/${name}`] = "warn";
for (const name of Object.keys(sdl.rules))
	rules[`@microsoft/sdl/${name}`] = "warn";

const plugins = { security, "@microsoft/sdl": sdl };
const jsx = { ecmaFeatures: { jsx: true } };

export default [
	{
		files: ["**/*.js", "**/*.mjs", "**/*.cjs", "**/*.jsx"],
		languageOptions: { ecmaVersion: "latest", parserOptions: jsx },
		linterOptions: { reportUnusedDisableDirectives: "off" },
		plugins,
		rules,
	},
	{
		files: ["**/*.ts", "**/*.mts", "**/*.cts", "**/*.tsx"],
		languageOptions: { parser: tsParser, parserOptions: jsx },
		linterOptions: { reportUnusedDisableDirectives: "off" },
		plugins,
		rules,
	},
];
