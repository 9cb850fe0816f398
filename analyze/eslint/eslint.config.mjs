// Lethe's ESLint configuration, the only one ESLint reads when Lethe runs it:
// lethe-analyze names this file with -c (no configuration file of the
// repository is looked up) and these imports resolve next to this file,
// never in the repository's node_modules.  Every rule of
// eslint-plugin-security and @microsoft/eslint-plugin-sdl, on JavaScript
// and, through @typescript-eslint/parser, TypeScript.
import sdl from "@microsoft/eslint-plugin-sdl";
import tsParser from "@typescript-eslint/parser";
import security from "eslint-plugin-security";

// A rule that throws on some code (@microsoft/sdl/no-insecure-random does on
// require() of a name that is not a constant) would stop ESLint on the
// whole repository: each rule's handlers are run so that such a throw only
// loses that rule's report for that node.
function guarded(plugin) {
	const rules = {};
	for (const [name, rule] of Object.entries(plugin.rules)) {
		rules[name] = {
			...rule,
			create(context) {
				const handlers = rule.create(context);
				for (const [key, handler] of Object.entries(handlers)) {
					handlers[key] = (...args) => {
						try {
							return handler(...args);
						} catch {
							return undefined;
						}
					};
				}
				return handlers;
			},
		};
	}
	return { ...plugin, rules };
}

const rules = {};
for (const name of Object.keys(security.rules))
	rules[`security/${name}`] = "warn";
for (const name of Object.keys(sdl.rules))
	rules[`@microsoft/sdl/${name}`] = "warn";

const plugins = { security: guarded(security), "@microsoft/sdl": guarded(sdl) };
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
