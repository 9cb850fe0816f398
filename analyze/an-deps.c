/*
 * an-deps.c - dependency manifests and lock files into facts: ecosystem
 * (the package-URL type: npm, pypi, golang, cargo, maven, gem, composer,
 * nuget),
 * package name, version (when exact) or constraint, direct or transitive,
 * manifest path.
 *
 *   npm       package.json (direct), package-lock.json (v2/v3: direct when
 *             the root package asks for it; v1: when nothing requires it)
 *   pypi      requirements*.txt, pyproject.toml (PEP 621 and Poetry), Pipfile:
 *             direct; Pipfile.lock, poetry.lock: direct when the Pipfile or
 *             pyproject.toml beside them declares them (names compared as
 *             PEP 503 does)
 *   golang    go.mod: direct unless "// indirect"
 *   cargo     Cargo.toml: direct; Cargo.lock: direct when a crate of the
 *             workspace depends on it
 *   maven     pom.xml <dependency> elements: direct
 *   gem       Gemfile.lock: direct when listed under DEPENDENCIES
 *   composer  composer.json: direct; composer.lock: direct when the
 *             composer.json beside it declares it
 *   npm       yarn.lock (direct when the workspace or the package.json
 *             beside it asks for it),
 *             pnpm-lock.yaml (direct when an importer asks for it)
 *   pypi      uv.lock: direct when the project asks for it
 *   gem       Gemfile: direct
 *   maven     gradle.lockfile: not marked direct; pom.xml managed
 *             versions (<dependencyManagement>) are not direct
 *   nuget     packages.lock.json: direct when its type is Direct
 *
 * A manifest that does not parse gives a "deps/unparsable" note naming the
 * reason, never a crash; files under node_modules/ and vendor/ are not the
 * repository's own manifests and are skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "an.h"
#include "util.h"

#define TOOL "lethe-deps"
#define DEPS_FILE_MAX (32u << 20)
#define JSON_DEPTH 64
#define NAME_MAX_LEN 512

struct deps {
	const char *path;
	struct an_facts *f;
	char *why;
	size_t whylen;
	/* Cargo.lock and poetry.lock: the [[package]] being read. */
	char *name, *version;
	bool local;
	json_object *pkgs;	/* Cargo.lock: every package, for the second pass */
	json_object *seen;	/* name@version already reported (seen()) */
	const char *buf;	/* the manifest */
	size_t len;
	json_object *lines;	/* its words: where each is first (dep_line()) */
};

/*
 * Where a manifest names a package first, by its words: the runs of bytes
 * between blanks, quotes and the punctuation of JSON, YAML, TOML and XML,
 * each also after every '/' in it (node_modules/@scope/name), before an '@'
 * past its first byte (name@^1.0, as yarn.lock writes them) and in lower
 * case (PyPI names compare so).  One pass over the file; the names are
 * then looked up.
 */
static void word_add(json_object *lines, const char *w, size_t n, int line)
{
	char *k = xstrndup(w, n);

	if (!json_object_object_get_ex(lines, k, NULL))
		json_object_object_add(lines, k, json_object_new_int(line));
	for (char *c = k; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!json_object_object_get_ex(lines, k, NULL))
		json_object_object_add(lines, k, json_object_new_int(line));
	free(k);
}

static void word_index(json_object *lines, const char *w, size_t n, int line)
{
	const char *at = n > 1 ? memrchr(w + 1, '@', n - 1) : NULL;

	word_add(lines, w, n, line);
	if (at)
		word_add(lines, w, (size_t)(at - w), line);
	for (size_t i = 0; i + 1 < n; i++)
		if (w[i] == '/')
			word_index(lines, w + i + 1, n - i - 1, line);
}

static json_object *lines_index(const char *buf, size_t len)
{
	static const char stop[] = " \t\r\n\"'`=:,;[]{}()<>!~^|#";
	json_object *lines = json_object_new_object();
	int line = 1;

	for (size_t i = 0; i < len;) {
		size_t n = 0;

		while (i + n < len && buf[i + n] && !strchr(stop, buf[i + n]))
			n++;
		if (n > 0 && n <= 512)
			word_index(lines, buf + i, n, line);
		i += n;
		if (i < len && buf[i] == '\n')
			line++;
		i += i < len;
	}
	return lines;
}

/* The first line naming name (or, for group:artifact, its artifact), 0: none. */
static int dep_line(struct deps *d, const char *name)
{
	const char *colon = strrchr(name, ':');
	json_object *v;
	char *lower;
	int line;

	if (!d->buf)
		return 0;
	if (!d->lines)
		d->lines = lines_index(d->buf, d->len);
	if (json_object_object_get_ex(d->lines, name, &v) ||
	    (colon && json_object_object_get_ex(d->lines, colon + 1, &v)))
		return json_object_get_int(v);
	lower = xstrdup(name);
	for (char *c = lower; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	line = json_object_object_get_ex(d->lines, lower, &v) ? json_object_get_int(v) : 0;
	free(lower);
	return line;
}

static void dep(struct deps *d, const char *ecosystem, const char *name, const char *version,
		const char *constraint, bool direct)
{
	an_facts_dep(d->f, ecosystem, name, version, constraint, direct, d->path,
		     name ? dep_line(d, name) : 0);
}

static int fail(struct deps *d, const char *what, const char *detail)
{
	snprintf(d->why, d->whylen, "%s%s", what, detail);
	return -EINVAL;
}

/* Whether name@version was already reported from this file (then it is
 * not again: lock files repeat blocks, and platform variants share one). */
static bool seen(struct deps *d, const char *name, const char *version)
{
	_cleanup_free_ char *k = xasprintf("%s@%s", name, version ? version : "");

	if (!d->seen)
		d->seen = json_object_new_object();
	if (json_object_object_get_ex(d->seen, k, NULL))
		return true;
	json_object_object_add(d->seen, k, NULL);
	return false;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *jobj(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static int json_doc(struct deps *d, const char *buf, size_t len, json_object **doc)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	enum json_tokener_error err;

	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*doc = len > 0x7fffffff || memchr(buf, '\0', len) ? NULL
		: json_tokener_parse_ex(tok, buf, (int)len);
	err = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (*doc && err == json_tokener_success && json_object_is_type(*doc, json_type_object))
		return 0;
	json_object_put(*doc);
	*doc = NULL;
	return fail(d, "invalid JSON: ", err == json_tokener_success ? "not an object"
		    : err == json_tokener_continue ? "truncated" : json_tokener_error_desc(err));
}

/* ---- npm ---- */

static const char *const npm_sections[] = { "dependencies", "devDependencies",
					    "optionalDependencies", "peerDependencies" };

static void package_json(struct deps *d, json_object *doc)
{
	for (size_t i = 0; i < ARRAY_SIZE(npm_sections); i++) {
		json_object *sec = jobj(doc, npm_sections[i], json_type_object);

		if (!sec)
			continue;
		json_object_object_foreach(sec, name, v)
			if (json_object_is_type(v, json_type_string))
				dep(d, "npm", name, NULL, json_object_get_string(v), true);
	}
}

static bool npm_root_wants(json_object *root, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(npm_sections); i++)
		if (jobj(jobj(root, npm_sections[i], json_type_object), name, json_type_string))
			return true;
	return false;
}

/* "node_modules/a/node_modules/@s/b" -> "@s/b"; NULL for the root. */
static const char *npm_lock_name(const char *key)
{
	const char *n = NULL;

	for (const char *s = key; (s = strstr(s, "node_modules/")); s += 13)
		n = s + 13;
	return n && *n ? n : NULL;
}

static void lock_packages(struct deps *d, json_object *pkgs)
{
	json_object *root = jobj(pkgs, "", json_type_object);

	json_object_object_foreach(pkgs, k, v) {
		const char *name = npm_lock_name(k);
		bool top = name && !strncmp(k, "node_modules/", 13) && name == k + 13;

		if (name && json_object_is_type(v, json_type_object))
			dep(d, "npm", jstr(v, "name") ? jstr(v, "name") : name,
			    jstr(v, "version"), NULL,
			    top && npm_root_wants(root, name));
	}
}

/* lockfileVersion 1: direct when no other package requires it. */
static void lock_dependencies(struct deps *d, json_object *deps)
{
	json_object *required = json_object_new_object();

	json_object_object_foreach(deps, k, v) {
		json_object *req = jobj(v, "requires", json_type_object);

		(void)k;
		if (req) {
			json_object_object_foreach(req, rk, rv) {
				(void)rv;
				json_object_object_add(required, rk, NULL);
			}
		}
	}
	json_object_object_foreach(deps, name, pkg)
		if (json_object_is_type(pkg, json_type_object))
			dep(d, "npm", name, jstr(pkg, "version"), NULL,
			    !json_object_object_get_ex(required, name, NULL));
	json_object_put(required);
}

static void package_lock(struct deps *d, json_object *doc)
{
	json_object *pkgs = jobj(doc, "packages", json_type_object);
	json_object *deps = jobj(doc, "dependencies", json_type_object);

	if (pkgs)
		lock_packages(d, pkgs);
	else if (deps)
		lock_dependencies(d, deps);
}

/* ---- Python ---- */

/* "== 1.2", "===1.2": the one version pinned, or NULL (ranges, wildcards,
 * a URL after the version). */
static char *pep440_pin(char *spec)
{
	char *v;

	if (strncmp(spec, "==", 2) != 0)
		return NULL;
	v = spec + 2 + (spec[2] == '=');
	v += strspn(v, " \t");
	return *v && !strpbrk(v, ",*<>=!~ @") ? v : NULL;
}

/* A PEP 508 requirement: name, extras skipped, constraint up to ';' (or a
 * pip option such as --hash); "name @ URL" keeps the URL as its constraint.
 * A name starts with a letter or digit: "." and "./dir" are paths. */
static void pep508(struct deps *d, const char *req, bool direct)
{
	size_t n = strspn(req, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
	const char *rest = req + n, *opt;
	_cleanup_free_ char *name = NULL, *spec = NULL;
	size_t k;

	if (n == 0 || n > NAME_MAX_LEN || !isalnum((unsigned char)req[0]))
		return;
	if (*rest && !strchr(" \t\r[;=<>!~@(", *rest))
		return;		/* a URL or a path, not a name */
	name = xstrndup(req, n);
	rest += strspn(rest, " \t");
	if (*rest == '[')
		rest += strcspn(rest, "]") + (strchr(rest, ']') ? 1 : 0);
	rest += strspn(rest, " \t");
	k = strcspn(rest, ";#");
	opt = strstr(rest, " -");
	if (opt && (size_t)(opt - rest) < k)
		k = (size_t)(opt - rest);
	while (k && strchr(" \t\r\\", rest[k - 1]))
		k--;
	spec = xstrndup(rest, k);
	dep(d, "pypi", name, pep440_pin(spec), *spec ? spec : NULL, direct);
}

/* Backslash-newline continues a line (pip joins them before reading). */
static int requirements(struct deps *d, char *buf)
{
	char *save = NULL;

	for (char *c = buf; (c = strstr(c, "\\\n"));)
		c[0] = c[1] = ' ';
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		l += strspn(l, " \t");
		if (*l && *l != '#' && *l != '-')
			pep508(d, l, true);
	}
	return 0;
}

static void pep508_list(struct deps *d, json_object *v)
{
	for (size_t i = 0; json_object_is_type(v, json_type_array) &&
	     i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (json_object_is_type(e, json_type_string))
			pep508(d, json_object_get_string(e), true);
	}
}

static bool poetry_deps_table(const char *t)
{
	size_t n = strlen(t);

	return !strcmp(t, "tool.poetry.dependencies") || !strcmp(t, "tool.poetry.dev-dependencies") ||
	       (!strncmp(t, "tool.poetry.group.", 18) && n > 13 &&
		!strcmp(t + n - 13, ".dependencies"));
}

/* A version or table value: (version, constraint) for a name = ... entry. */
static const char *spec_of(json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return jstr(v, "version");
}

static void pyproject_kv(const char *table, const char *key, json_object *v, void *arg)
{
	struct deps *d = arg;

	if (!key)
		return;
	if (!strcmp(table, "project") && !strcmp(key, "dependencies"))
		pep508_list(d, v);
	else if (!strcmp(table, "project.optional-dependencies"))
		pep508_list(d, v);
	else if (poetry_deps_table(table) && strcmp(key, "python") != 0)
		dep(d, "pypi", key, NULL, spec_of(v), true);
}

static void pipfile_lock(struct deps *d, json_object *doc)
{
	static const char *const secs[] = { "default", "develop" };

	for (size_t i = 0; i < ARRAY_SIZE(secs); i++) {
		json_object *sec = jobj(doc, secs[i], json_type_object);

		if (!sec)
			continue;
		json_object_object_foreach(sec, name, v) {
			const char *ver = jstr(v, "version");

			dep(d, "pypi", name, ver && !strncmp(ver, "==", 2) ? ver + 2 : NULL,
			    ver, false);
		}
	}
}

/* Pipfile: [packages] and [dev-packages], "*" or { version = ... }. */
static void pipfile_kv(const char *table, const char *key, json_object *v, void *arg)
{
	struct deps *d = arg;

	if (key && (!strcmp(table, "packages") || !strcmp(table, "dev-packages")))
		dep(d, "pypi", key, NULL, spec_of(v), true);
}

/* ---- [[package]] lock files: poetry.lock, Cargo.lock ---- */

static void package_flush(struct deps *d, const char *eco)
{
	if (d->name && !strcmp(eco, "pypi"))
		dep(d, eco, d->name, d->version, NULL, false);
	free(d->name);
	free(d->version);
	d->name = d->version = NULL;
}

static void poetry_lock_kv(const char *table, const char *key, json_object *v, void *arg)
{
	struct deps *d = arg;

	if (!key) {
		package_flush(d, "pypi");
		return;
	}
	if (strcmp(table, "package") != 0 || !json_object_is_type(v, json_type_string))
		return;
	if (!strcmp(key, "name") && !d->name)
		d->name = xstrdup(json_object_get_string(v));
	else if (!strcmp(key, "version") && !d->version)
		d->version = xstrdup(json_object_get_string(v));
}

/* Cargo.lock, uv.lock: keep each package's keys; decide "direct" at the end. */
static void package_kv(const char *table, const char *key, json_object *v, void *arg)
{
	struct deps *d = arg;
	size_t n = json_object_array_length(d->pkgs);

	if (strcmp(table, "package") != 0)
		return;
	if (!key) {
		json_object_array_add(d->pkgs, json_object_new_object());
		return;
	}
	if (n > 0)
		json_object_object_add(json_object_array_get_idx(d->pkgs, n - 1), key,
				       json_object_get(v));
}

/* Is name a dependency of a crate without source (the workspace's own)? */
static bool cargo_direct(json_object *pkgs, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *p = json_object_array_get_idx(pkgs, i);
		json_object *deps = jobj(p, "dependencies", json_type_array);

		if (jstr(p, "source"))
			continue;
		for (size_t k = 0; deps && k < json_object_array_length(deps); k++) {
			json_object *e = json_object_array_get_idx(deps, k);
			const char *s = json_object_get_string(e);

			if (json_object_is_type(e, json_type_string) && !strncmp(s, name, nl) &&
			    (s[nl] == '\0' || s[nl] == ' '))
				return true;
		}
	}
	return false;
}

static void cargo_lock(struct deps *d)
{
	for (size_t i = 0; i < json_object_array_length(d->pkgs); i++) {
		json_object *p = json_object_array_get_idx(d->pkgs, i);
		const char *name = jstr(p, "name");

		if (name && jstr(p, "source"))
			dep(d, "cargo", name, jstr(p, "version"), NULL,
			    cargo_direct(d->pkgs, name));
	}
}

/* uv.lock: the project itself has source = { virtual | editable = "." }
 * and is no dependency; what it depends on is direct. */
static bool uv_project(json_object *p)
{
	json_object *src = jobj(p, "source", json_type_object);

	return jobj(src, "virtual", json_type_string) || jobj(src, "editable", json_type_string);
}

static bool uv_direct(json_object *pkgs, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *p = json_object_array_get_idx(pkgs, i);
		json_object *deps = jobj(p, "dependencies", json_type_array);

		for (size_t k = 0; uv_project(p) && deps && k < json_object_array_length(deps); k++) {
			const char *n = jstr(json_object_array_get_idx(deps, k), "name");

			if (n && !strcmp(n, name))
				return true;
		}
	}
	return false;
}

static void uv_lock(struct deps *d)
{
	for (size_t i = 0; i < json_object_array_length(d->pkgs); i++) {
		json_object *p = json_object_array_get_idx(d->pkgs, i);
		const char *name = jstr(p, "name");

		if (name && !uv_project(p))
			dep(d, "pypi", name, jstr(p, "version"), NULL, uv_direct(d->pkgs, name));
	}
}

static bool cargo_deps_table(const char *t, const char **name)
{
	static const char *const kinds[] = { "dependencies", "dev-dependencies",
					     "build-dependencies" };

	*name = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t n = strlen(t), k = strlen(kinds[i]);
		const char *at;

		if (!strcmp(t, kinds[i]) || (n > k && !strcmp(t + n - k, kinds[i]) && t[n - k - 1] == '.'))
			return true;
		if (!strncmp(t, kinds[i], k) && t[k] == '.' && t[k + 1]) {
			*name = t + k + 1;
			return true;
		}
		at = strstr(t, kinds[i]);
		if (at && at > t && at[-1] == '.' && at[k] == '.' && !strncmp(t, "target.", 7)) {
			*name = at + k + 1;
			return true;
		}
	}
	return false;
}

static void cargo_toml_kv(const char *table, const char *key, json_object *v, void *arg)
{
	struct deps *d = arg;
	const char *name, *spec;

	if (!key || !cargo_deps_table(table, &name))
		return;
	if (!name) {
		spec = spec_of(v);
		dep(d, "cargo", key, NULL, spec ? spec : jstr(v, "git") ? "git" :
		    jstr(v, "path") ? "path" : NULL, true);
	} else if (!strcmp(key, "version") && json_object_is_type(v, json_type_string)) {
		dep(d, "cargo", name, NULL, json_object_get_string(v), true);
	}
}

/* ---- Go, Maven, Ruby, PHP ---- */

/* A require line "MODULE VERSION [// indirect]", kept for the second pass. */
static int go_require(struct deps *d, json_object *reqs, const char *l)
{
	char mod[NAME_MAX_LEN + 1], ver[129];
	json_object *r;

	if (sscanf(l, "%512s %128s", mod, ver) != 2 || ver[0] != 'v')
		return fail(d, "bad require line: want MODULE VERSION", "");
	r = json_object_new_array();
	json_object_array_add(r, json_object_new_string(mod));
	json_object_array_add(r, json_object_new_string(ver));
	json_object_array_add(r, json_object_new_boolean(!strstr(l, "// indirect")));
	json_object_array_add(reqs, r);
	return 0;
}

/* A replace line "MODULE [VERSION] => TARGET [VERSION]": "MODULE[ VERSION]"
 * -> [TARGET, VERSION], for a module target; a local directory (no
 * version) leaves the requirement as it is. */
static int go_replace(struct deps *d, json_object *reps, const char *l)
{
	char from[NAME_MAX_LEN + 1], fv[129] = "", to[NAME_MAX_LEN + 1], tv[129] = "";
	const char *arrow = strstr(l, "=>");
	_cleanup_free_ char *key = NULL;
	json_object *t;

	if (!arrow || sscanf(l, "%512s %128s", from, fv) < 1 || sscanf(arrow + 2, "%512s %128s", to, tv) < 1)
		return fail(d, "bad replace line: want MODULE [VERSION] => TARGET [VERSION]", "");
	if (!strcmp(fv, "=>"))
		fv[0] = '\0';
	if (tv[0] != 'v')
		return 0;
	key = fv[0] ? xasprintf("%s %s", from, fv) : xstrdup(from);
	t = json_object_new_array();
	json_object_array_add(t, json_object_new_string(to));
	json_object_array_add(t, json_object_new_string(tv));
	json_object_object_add(reps, key, t);
	return 0;
}

/* go.mod: require lines, with replace directives applied (wherever they
 * are in the file); exclude and retract name versions that are not used. */
static int go_mod(struct deps *d, char *buf)
{
	json_object *reqs = json_object_new_array(), *reps = json_object_new_object();
	char *save = NULL, block = 0;	/* 'r'equire or re'p'lace block */
	bool module = false;
	int r = 0;

	for (char *l = strtok_r(buf, "\n", &save); r == 0 && l; l = strtok_r(NULL, "\n", &save)) {
		l += strspn(l, " \t");
		if (block && *l == ')')
			block = 0;
		else if (block && *l && strncmp(l, "//", 2))
			r = block == 'r' ? go_require(d, reqs, l) : go_replace(d, reps, l);
		else if (!strncmp(l, "require (", 9) || !strcmp(l, "require("))
			block = 'r';
		else if (!strncmp(l, "replace (", 9) || !strcmp(l, "replace("))
			block = 'p';
		else if (!strncmp(l, "require ", 8))
			r = go_require(d, reqs, l + 8);
		else if (!strncmp(l, "replace ", 8))
			r = go_replace(d, reps, l + 8);
		module |= !strncmp(l, "module ", 7);
	}
	if (r == 0 && block)
		r = fail(d, block == 'r' ? "unterminated require block" : "unterminated replace block", "");
	if (r == 0 && !module)
		r = fail(d, "no module line", "");
	for (size_t i = 0; r == 0 && i < json_object_array_length(reqs); i++) {
		json_object *q = json_object_array_get_idx(reqs, i), *t;
		const char *mod = json_object_get_string(json_object_array_get_idx(q, 0));
		const char *ver = json_object_get_string(json_object_array_get_idx(q, 1));
		_cleanup_free_ char *key = xasprintf("%s %s", mod, ver);

		if (json_object_object_get_ex(reps, key, &t) || json_object_object_get_ex(reps, mod, &t)) {
			mod = json_object_get_string(json_object_array_get_idx(t, 0));
			ver = json_object_get_string(json_object_array_get_idx(t, 1));
		}
		dep(d, "golang", mod, ver, NULL,
		    json_object_get_boolean(json_object_array_get_idx(q, 2)));
	}
	json_object_put(reqs);
	json_object_put(reps);
	return r;
}

/* Blank out XML comments in place, so commented-out elements do not count. */
static int xml_uncomment(struct deps *d, char *buf)
{
	for (char *s = buf; (s = strstr(s, "<!--"));) {
		char *e = strstr(s + 4, "-->");

		if (!e)
			return fail(d, "unterminated XML comment", "");
		memset(s, ' ', (size_t)(e + 3 - s));
		s = e + 3;
	}
	return 0;
}

/* The text of <tag> inside [s, end), trimmed; NULL when absent. */
static char *xml_text(const char *s, const char *end, const char *tag)
{
	_cleanup_free_ char *open = xasprintf("<%s>", tag), *close = xasprintf("</%s>", tag);
	const char *a = memmem(s, (size_t)(end - s), open, strlen(open)), *b;

	if (!a)
		return NULL;
	a += strlen(open);
	b = memmem(a, (size_t)(end - a), close, strlen(close));
	if (!b)
		return NULL;
	a += strspn(a, " \t\r\n");
	while (b > a && strchr(" \t\r\n", b[-1]))
		b--;
	return xstrndup(a, (size_t)(b - a));
}

/* Blank out each <tag>...</tag> in place: what it holds is not the project's. */
static void xml_blank(char *buf, const char *tag)
{
	_cleanup_free_ char *open = xasprintf("<%s>", tag), *close = xasprintf("</%s>", tag);

	for (char *s = buf; (s = strstr(s, open));) {
		char *e = strstr(s, close);

		e = e ? e + strlen(close) : s + strlen(s);
		memset(s, ' ', (size_t)(e - s));
		s = e;
	}
}

/* The top-level <properties> of a POM: name -> value. */
static json_object *pom_properties(const char *buf)
{
	json_object *props = json_object_new_object();
	const char *s = strstr(buf, "<properties>"), *end = s ? strstr(s, "</properties>") : NULL;

	for (s = s ? s + 12 : NULL; s && end && (s = strchr(s, '<')) && s < end;) {
		size_t n = strcspn(s + 1, "> \t\r\n/");
		_cleanup_free_ char *name = xstrndup(s + 1, n);
		char *v = name[0] && s[1 + n] == '>' ? xml_text(s, end, name) : NULL;

		if (v)
			json_object_object_add(props, name, json_object_new_string(v));
		free(v);
		s = strchr(s + 1, '>');
	}
	return props;
}

/* v with each ${name} replaced from props (and project.version from the
 * POM's own version, project.parent.version from its parent's); NULL when a
 * name is unknown or the references go round. */
static char *pom_resolve(json_object *props, const char *v)
{
	char *out = xstrdup(v);

	for (int round = 0; round < 8; round++) {
		char *a = strstr(out, "${"), *b = a ? strchr(a, '}') : NULL, *next;
		_cleanup_free_ char *k = NULL;
		json_object *val;

		if (!a)
			return out;
		k = b ? xstrndup(a + 2, (size_t)(b - a - 2)) : NULL;
		if (!k || !json_object_object_get_ex(props, k, &val))
			break;
		next = xasprintf("%.*s%s%s", (int)(a - out), out, json_object_get_string(val), b + 1);
		free(out);
		out = next;
	}
	free(out);
	return NULL;
}

/* The POM's own and its parent's version, as properties. */
static void pom_versions(const char *buf, json_object *props)
{
	static const char *const after[] = { "<dependencies>", "<dependencyManagement>",
					     "<properties>", "<build>", "<modules>", "<profiles>" };
	const char *s = strstr(buf, "<project"), *p = strstr(buf, "<parent>");
	const char *pe = p ? strstr(p, "</parent>") : NULL, *end = s ? s + strlen(s) : NULL;
	char *v;

	if (!s)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(after); i++) {
		const char *a = strstr(s, after[i]);

		if (a && a < end)
			end = a;
	}
	if (p && pe && pe < end) {
		if ((v = xml_text(p, pe, "version")))
			json_object_object_add(props, "project.parent.version", json_object_new_string(v));
		free(v);
		s = pe;
	}
	v = xml_text(s, end, "version");
	if (!v && json_object_object_get_ex(props, "project.parent.version", NULL))
		v = xstrdup(json_object_get_string(json_object_object_get(props,
							"project.parent.version")));
	if (v) {
		json_object_object_add(props, "project.version", json_object_new_string(v));
		json_object_object_add(props, "pom.version", json_object_new_string(v));
	}
	free(v);
}

/*
 * pom.xml: the project's <dependency> elements, direct when in
 * <dependencies>, not when only managed (<dependencyManagement>); versions
 * from ${properties} of the same POM.  Profiles (active only when chosen)
 * and build plugins' own dependencies are left out.
 */
static int pom_xml(struct deps *d, char *buf)
{
	int r = xml_uncomment(d, buf);
	json_object *props;
	char *dm, *dme;

	if (r == 0 && !strstr(buf, "<project"))
		return fail(d, "no <project> element", "");
	if (r < 0)
		return r;
	xml_blank(buf, "profile");
	xml_blank(buf, "plugin");
	props = pom_properties(buf);
	pom_versions(buf, props);
	dm = strstr(buf, "<dependencyManagement>");
	dme = dm ? strstr(dm, "</dependencyManagement>") : NULL;
	for (char *s = buf; r == 0 && (s = strstr(s, "<dependency>")); ) {
		char *e = strstr(s, "</dependency>");
		_cleanup_free_ char *g = NULL, *a = NULL, *v = NULL, *name = NULL, *rv = NULL;

		if (!e) {
			r = fail(d, "unterminated <dependency>", "");
			break;
		}
		g = xml_text(s, e, "groupId");
		a = xml_text(s, e, "artifactId");
		v = xml_text(s, e, "version");
		if (!g || !a) {
			r = fail(d, "<dependency> without groupId or artifactId", "");
			break;
		}
		name = xasprintf("%s:%s", g, a);
		rv = v ? pom_resolve(props, v) : NULL;
		dep(d, "maven", name, rv && !strpbrk(rv, "[(,") ? rv : NULL, v,
		    !(dm && dme && s > dm && s < dme));
		s = e;
	}
	json_object_put(props);
	return r;
}

/* Gemfile.lock: specs at four spaces, DEPENDENCIES lists the direct ones. */
static int gemfile_lock(struct deps *d, char *buf)
{
	json_object *direct = json_object_new_object(), *specs = json_object_new_array();
	char *save = NULL, section[32] = "";

	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t ind = strspn(l, " "), n = strcspn(l + ind, " (!\r");
		_cleanup_free_ char *name = xstrndup(l + ind, n);

		if (ind == 0)
			snprintf(section, sizeof(section), "%.*s", (int)strcspn(l, "\r"), l);
		else if (!strcmp(section, "DEPENDENCIES") && ind == 2 && n)
			json_object_object_add(direct, name, NULL);
		else if (ind == 4 && n && (!strcmp(section, "GEM") || !strcmp(section, "GIT") ||
					   !strcmp(section, "PATH")) && l[ind + n] == ' ')
			json_object_array_add(specs, json_object_new_string(l + ind));
	}
	for (size_t i = 0; i < json_object_array_length(specs); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(specs, i));
		size_t n = strcspn(s, " ");
		_cleanup_free_ char *name = xstrndup(s, n);
		/* "1.19.4-x86_64-linux-gnu": the version, then the platform */
		_cleanup_free_ char *ver = s[n + 1] == '(' ? xstrndup(s + n + 2, strcspn(s + n + 2, ")-")) : NULL;

		if (seen(d, name, ver))
			continue;
		dep(d, "gem", name, ver, NULL, json_object_object_get_ex(direct, name, NULL));
	}
	json_object_put(direct);
	json_object_put(specs);
	return 0;
}

/* Gemfile: gem "name"[, "constraint"...][, option: ...], all direct. */
static int gemfile(struct deps *d, char *buf)
{
	char *save = NULL;

	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		_cleanup_free_ char *name = NULL, *spec = NULL;
		char q;
		size_t n;

		l += strspn(l, " \t");
		if (strncmp(l, "gem", 3) != 0 || !strchr(" \t(", l[3]))
			continue;
		l += 3 + strspn(l + 3, " \t(");
		q = *l;
		if ((q != '"' && q != '\'') || !(n = strcspn(l + 1, "\"'")) || l[1 + n] != q)
			continue;
		name = xstrndup(l + 1, n);
		for (l += n + 2; *(l += strspn(l, " \t")) == ','; l += n + 2) {
			l += 1 + strspn(l + 1, " \t");
			q = *l;
			if ((q != '"' && q != '\'') || l[1 + (n = strcspn(l + 1, "\"'"))] != q)
				break;
			if (spec) {
				char *j = xasprintf("%s, %.*s", spec, (int)n, l + 1);

				free(spec);
				spec = j;
			} else {
				spec = xstrndup(l + 1, n);
			}
		}
		dep(d, "gem", name, NULL, spec, true);
	}
	return 0;
}

/* gradle.lockfile: group:artifact:version=configurations; "empty=" is none. */
static int gradle_lock(struct deps *d, char *buf)
{
	char *save = NULL;
	int line = 0;

	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '='), *v;
		_cleanup_free_ char *gav = NULL;

		line++;
		l += strspn(l, " \t");
		if (!*l || *l == '#' || *l == '\r' || !strncmp(l, "empty=", 6))
			continue;
		gav = eq ? xstrndup(l, (size_t)(eq - l)) : NULL;
		v = gav ? strrchr(gav, ':') : NULL;
		if (!v || v == gav || !strchr(gav, ':') || strchr(gav, ':') == v || !v[1]) {
			snprintf(d->why, d->whylen, "line %d: want GROUP:ARTIFACT:VERSION=CONFIGURATIONS",
				 line);
			return -EINVAL;
		}
		*v++ = '\0';
		dep(d, "maven", gav, v, NULL, false);
	}
	return 0;
}

/* composer.json: require and require-dev, without the platform (php, ext-*,
 * lib-*, composer-*), which is no package. */
static void composer_json(struct deps *d, json_object *doc)
{
	static const char *const secs[] = { "require", "require-dev" };

	for (size_t i = 0; i < ARRAY_SIZE(secs); i++) {
		json_object *o = jobj(doc, secs[i], json_type_object);

		if (!o)
			continue;
		json_object_object_foreach(o, name, v)
			if (strchr(name, '/') && strncmp(name, "composer/", 9) &&
			    json_object_is_type(v, json_type_string))
				dep(d, "composer", name, NULL, json_object_get_string(v), true);
	}
}

static void composer_lock(struct deps *d, json_object *doc)
{
	static const char *const secs[] = { "packages", "packages-dev" };

	for (size_t i = 0; i < ARRAY_SIZE(secs); i++) {
		json_object *a = jobj(doc, secs[i], json_type_array);

		for (size_t k = 0; a && k < json_object_array_length(a); k++) {
			json_object *p = json_object_array_get_idx(a, k);

			dep(d, "composer", jstr(p, "name"), jstr(p, "version"), NULL, false);
		}
	}
}

/* ---- yarn.lock (v1 and Berry) and pnpm-lock.yaml: read by indent ---- */

/* The next line of *buf, its indent in *ind, NULL at the end; *text is the
 * line without indent and end of line, NULL when blank or a comment. */
static char *next_line(char **buf, size_t *ind, char **text)
{
	char *l = *buf, *nl;

	if (!l)
		return NULL;
	nl = strchr(l, '\n');
	*buf = nl ? nl + 1 : NULL;
	if (nl)
		*nl = '\0';
	l[strcspn(l, "\r")] = '\0';
	*ind = strspn(l, " ");
	*text = l[*ind] && l[*ind] != '#' ? l + *ind : NULL;
	return l;
}

/* s without the quotes around it (in place). */
static char *unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

/* "name@range", "@scope/name@npm:1.0": the name, up to the '@' after its
 * first character; NULL when there is none. */
static char *npm_spec_name(const char *s)
{
	const char *at = *s ? strchr(s + 1, '@') : NULL;

	return at && at - s <= NAME_MAX_LEN ? xstrndup(s, (size_t)(at - s)) : NULL;
}

/* The key of a "key: value" or "key:" line, unquoted (in place). */
static char *yaml_key(char *t)
{
	char *c = *t == '"' || *t == '\'' ? strchr(t + 1, *t) : t;

	c = c ? strchr(c, ':') : NULL;
	if (c)
		*c = '\0';
	return unquote(t);
}

static void pair_add(json_object *pkgs, const char *name, const char *version)
{
	json_object *p = json_object_new_array();

	json_object_array_add(p, json_object_new_string(name));
	json_object_array_add(p, json_object_new_string(version));
	json_object_array_add(pkgs, p);
}

/* Each name@version of pkgs once; direct when direct holds the name or
 * name@version. */
static void pairs_report(struct deps *d, json_object *pkgs, json_object *direct)
{
	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *p = json_object_array_get_idx(pkgs, i);
		const char *name = json_object_get_string(json_object_array_get_idx(p, 0));
		const char *ver = json_object_get_string(json_object_array_get_idx(p, 1));
		_cleanup_free_ char *nv = xasprintf("%s@%s", name, ver);

		if (!seen(d, name, ver))
			dep(d, "npm", name, ver, NULL,
			    json_object_object_get_ex(direct, name, NULL) ||
			    json_object_object_get_ex(direct, nv, NULL));
	}
}

static int line_fail(struct deps *d, int line, const char *what)
{
	snprintf(d->why, d->whylen, "line %d: %s", line, what);
	return -EINVAL;
}

/*
 * yarn.lock: a block per key ("name@range, name@range:" in v1,
 * "name@npm:1.0.0": in Berry) with its version; Berry's workspace block
 * (key "...@workspace:...") is the project, whose dependencies are direct.
 */
static int yarn_lock(struct deps *d, char *buf)
{
	json_object *pkgs = json_object_new_array(), *direct = json_object_new_object();
	char *name = NULL, *l, *t;
	bool ws = false, wsdeps = false, known = strstr(buf, "# yarn lockfile v1") != NULL;
	size_t ind;
	int line = 0, r = 0;

	while (r == 0 && (l = next_line(&buf, &ind, &t))) {
		line++;
		if (!t)
			continue;
		if (ind == 0) {
			size_t n = strlen(t);

			free(name);
			name = NULL;
			wsdeps = false;
			if (!strcmp(t, "__metadata:")) {
				known = true;
				continue;
			}
			if (n < 2 || t[n - 1] != ':') {
				r = line_fail(d, line, "want a key NAME@RANGE ending in ':'");
				break;
			}
			t[n - 1] = '\0';
			t[strcspn(t, ",")] = '\0';
			t = unquote(t);
			ws = strstr(t, "@workspace:") != NULL;
			if (!(name = npm_spec_name(t)))
				r = line_fail(d, line, "a key without NAME@RANGE");
		} else if (ind == 2 && name) {
			wsdeps = ws && !strcmp(t, "dependencies:");
			if (!ws && !strncmp(t, "version", 7) && strchr(" :", t[7]))
				pair_add(pkgs, name, unquote(t + 7 + strspn(t + 7, " :")));
		} else if (ind == 4 && wsdeps) {
			json_object_object_add(direct, yaml_key(t), NULL);
		}
	}
	free(name);
	if (r == 0 && !known)
		r = fail(d, "neither a Yarn v1 nor a Yarn Berry lockfile", "");
	if (r == 0)
		pairs_report(d, pkgs, direct);
	json_object_put(pkgs);
	json_object_put(direct);
	return r;
}

/* A pnpm version without its peer suffix: "13.4.0(react@18.2.0)" and
 * (lockfile v5) "13.4.0_react@18.2.0" are 13.4.0. */
static char *pnpm_version(char *v)
{
	v[strcspn(v, "(_")] = '\0';
	return v;
}

/* A key of packages: "/name@1.0.0(peer)" (v6), "name@1.0.0" (v9),
 * "/name/1.0.0_peer" (v5). */
static int pnpm_package(json_object *pkgs, char *key)
{
	_cleanup_free_ char *name = NULL;
	char *ver;

	key = yaml_key(key);
	key += *key == '/';
	key[strcspn(key, "(")] = '\0';
	name = npm_spec_name(key);
	if (name) {
		ver = key + strlen(name) + 1;
	} else if ((ver = strrchr(key, '/')) && ver > key) {
		name = xstrndup(key, (size_t)(ver - key));
		ver++;
	} else {
		return -EINVAL;
	}
	if (!*pnpm_version(ver))
		return -EINVAL;
	pair_add(pkgs, name, ver);
	return 0;
}

static bool pnpm_deps_key(const char *t)
{
	return !strcmp(t, "dependencies:") || !strcmp(t, "devDependencies:") ||
	       !strcmp(t, "optionalDependencies:");
}

/*
 * pnpm-lock.yaml: packages: keys are the packages (snapshots: repeats them
 * in v9); direct ones are under the top-level dependencies sections (v5,
 * v6) or under each importer's (v9), as name: version or name: {version:}.
 */
static int pnpm_lock(struct deps *d, char *buf)
{
	json_object *pkgs = json_object_new_array(), *direct = json_object_new_object();
	char sec[32] = "", *dname = NULL, *l, *t;
	bool known = false;
	size_t ind, dl = SIZE_MAX;	/* the indent of the dependencies section */
	int line = 0, r = 0;

	while (r == 0 && (l = next_line(&buf, &ind, &t))) {
		line++;
		if (!t)
			continue;
		if (dl != SIZE_MAX && ind <= dl)
			dl = SIZE_MAX;
		if (ind == 0) {
			snprintf(sec, sizeof(sec), "%.*s", (int)strcspn(t, ":"), t);
			known |= !strcmp(sec, "lockfileVersion");
		}
		if (pnpm_deps_key(t) && (ind == 0 || (ind == 4 && !strcmp(sec, "importers")))) {
			dl = ind;
		} else if (ind == 2 && !strcmp(sec, "packages")) {
			if (pnpm_package(pkgs, t) < 0)
				r = line_fail(d, line, "want a package key NAME@VERSION");
		} else if (dl != SIZE_MAX && ind == dl + 2) {
			char *v = strchr(t + (*t == '\'' || *t == '"'), ':');

			free(dname);
			dname = xstrdup(yaml_key(t));
			if (v && v[1]) {	/* v5: name: version */
				_cleanup_free_ char *k = xasprintf("%s@%s", dname,
								   pnpm_version(v + 1 + strspn(v + 1, " ")));
				json_object_object_add(direct, k, NULL);
			}
		} else if (dl != SIZE_MAX && ind == dl + 4 && dname && !strncmp(t, "version:", 8)) {
			_cleanup_free_ char *k = xasprintf("%s@%s", dname,
							   pnpm_version(unquote(t + 8 + strspn(t + 8, " "))));
			json_object_object_add(direct, k, NULL);
		}
	}
	free(dname);
	if (r == 0 && !known)
		r = fail(d, "no lockfileVersion: not a pnpm lockfile", "");
	if (r == 0)
		pairs_report(d, pkgs, direct);
	json_object_put(pkgs);
	json_object_put(direct);
	return r;
}

/* NuGet packages.lock.json: each target framework's packages, resolved
 * version and requested range; "Project" entries are the solution's own. */
static void nuget_lock(struct deps *d, json_object *doc)
{
	json_object *fws = jobj(doc, "dependencies", json_type_object);

	if (!fws)
		return;
	json_object_object_foreach(fws, fw, pkgs) {
		(void)fw;
		if (!json_object_is_type(pkgs, json_type_object))
			continue;
		json_object_object_foreach(pkgs, name, p) {
			const char *type = jstr(p, "type");

			if (!type || strcmp(type, "Project") != 0)
				dep(d, "nuget", name, jstr(p, "resolved"), jstr(p, "requested"),
				    type && !strcmp(type, "Direct"));
		}
	}
}

/* ---- dispatch ---- */

enum kind { K_NONE, K_JSON, K_TEXT, K_TOML };

struct format {
	const char *name;	/* basename, or prefix ending in '*' */
	enum kind kind;
	void (*json)(struct deps *, json_object *);
	int (*text)(struct deps *, char *);
	an_toml_fn toml;
};

static const struct format formats[] = {
	{ "package.json", K_JSON, package_json, NULL, NULL },
	{ "package-lock.json", K_JSON, package_lock, NULL, NULL },
	{ "Pipfile.lock", K_JSON, pipfile_lock, NULL, NULL },
	{ "composer.lock", K_JSON, composer_lock, NULL, NULL },
	{ "packages.lock.json", K_JSON, nuget_lock, NULL, NULL },
	{ "composer.json", K_JSON, composer_json, NULL, NULL },
	{ "Pipfile", K_TOML, NULL, NULL, pipfile_kv },
	{ "requirements*", K_TEXT, NULL, requirements, NULL },
	{ "go.mod", K_TEXT, NULL, go_mod, NULL },
	{ "pom.xml", K_TEXT, NULL, pom_xml, NULL },
	{ "Gemfile.lock", K_TEXT, NULL, gemfile_lock, NULL },
	{ "Gemfile", K_TEXT, NULL, gemfile, NULL },
	{ "gradle.lockfile", K_TEXT, NULL, gradle_lock, NULL },
	{ "yarn.lock", K_TEXT, NULL, yarn_lock, NULL },
	{ "pnpm-lock.yaml", K_TEXT, NULL, pnpm_lock, NULL },
	{ "pyproject.toml", K_TOML, NULL, NULL, pyproject_kv },
	{ "poetry.lock", K_TOML, NULL, NULL, poetry_lock_kv },
	{ "Cargo.toml", K_TOML, NULL, NULL, cargo_toml_kv },
	{ "Cargo.lock", K_TOML, NULL, NULL, package_kv },
	{ "uv.lock", K_TOML, NULL, NULL, package_kv },
};

static const struct format *format_of(const char *path)
{
	const char *base = an_basename(path);
	size_t n = strlen(base);

	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		const char *star = strchr(formats[i].name, '*');

		if (!star && !strcmp(base, formats[i].name))
			return &formats[i];
		if (star && !strncmp(base, formats[i].name, (size_t)(star - formats[i].name)) &&
		    n > 4 && !strcmp(base + n - 4, ".txt"))
			return &formats[i];
	}
	return NULL;
}

bool an_deps_manifest(const char *path)
{
	return format_of(path) && !strstr(path, "node_modules/") && strncmp(path, "vendor/", 7) &&
	       !strstr(path, "/vendor/");
}

static int parse_toml(struct deps *d, const struct format *fmt, const char *buf, size_t len)
{
	bool tables = fmt->toml == package_kv;
	int r;

	if (tables)
		d->pkgs = json_object_new_array();
	r = an_toml_parse(buf, len, fmt->toml, d, d->why, d->whylen);
	if (r == 0 && fmt->toml == poetry_lock_kv)
		package_flush(d, "pypi");
	if (r == 0 && tables)
		(strcmp(fmt->name, "uv.lock") ? cargo_lock : uv_lock)(d);
	package_flush(d, "");
	json_object_put(d->pkgs);
	d->pkgs = NULL;
	return r;
}

static int parse_text(struct deps *d, const struct format *fmt, const char *buf, size_t len)
{
	char *text;
	int r;

	if (memchr(buf, '\0', len))
		return fail(d, "NUL byte in the file", "");
	text = xstrndup(buf, len);
	r = fmt->text(d, text);
	OPENSSL_cleanse(text, len);
	free(text);
	return r;
}

int an_deps_parse(const char *path, const char *buf, size_t len, struct an_facts *f,
		  char *why, size_t whylen)
{
	const struct format *fmt = format_of(path);
	struct deps d = { .path = path, .f = f, .why = why, .whylen = whylen, .buf = buf,
			  .len = len };
	json_object *doc = NULL;
	int r;

	if (!fmt)
		return -ENOENT;
	if (fmt->kind == K_TOML) {
		r = parse_toml(&d, fmt, buf, len);
	} else if (fmt->kind == K_JSON) {
		r = json_doc(&d, buf, len, &doc);
		if (r == 0)
			fmt->json(&d, doc);
		json_object_put(doc);
	} else {
		r = parse_text(&d, fmt, buf, len);
	}
	json_object_put(d.seen);
	json_object_put(d.lines);
	return r;
}

struct scan {
	struct sarif_run *run;
	struct an_facts facts;
};

/* Lock files that do not say which packages are direct, and the manifest
 * beside them that does. */
static const struct {
	const char *lock, *manifest;
} sibling[] = {
	{ "poetry.lock", "pyproject.toml" }, { "Pipfile.lock", "Pipfile" },
	{ "yarn.lock", "package.json" }, { "composer.lock", "composer.json" },
};

/* PEP 503: letters in lower case, each run of '-', '_' and '.' one '-'. */
static char *pep503(const char *name)
{
	char *out = xstrdup(name), *o = out;

	for (const char *c = name; *c; c++) {
		if (strchr("-_.", *c)) {
			if (o == out || o[-1] != '-')
				*o++ = '-';
		} else {
			*o++ = (char)tolower((unsigned char)*c);
		}
	}
	*o = '\0';
	return out;
}

/* A fact's name as its ecosystem compares names. */
static char *name_key(json_object *fact)
{
	const char *eco = jstr(fact, "ecosystem"), *name = jstr(fact, "name");

	return eco && !strcmp(eco, "pypi") ? pep503(name) : xstrdup(name);
}

/* The names manifest declares. */
static json_object *declared(const struct an_ctx *ctx, const char *manifest)
{
	json_object *names = NULL;
	struct an_facts mf;
	char *data = NULL, why[256];
	size_t len = 0;

	if (an_read(ctx->wsfd, manifest, DEPS_FILE_MAX, &data, &len) < 0)
		return NULL;
	an_facts_init(&mf);
	if (an_deps_parse(manifest, data, len, &mf, why, sizeof(why)) == 0) {
		names = json_object_new_object();
		for (size_t i = 0; i < json_object_array_length(mf.deps); i++) {
			_cleanup_free_ char *k = name_key(json_object_array_get_idx(mf.deps, i));

			json_object_object_add(names, k, NULL);
		}
	}
	an_facts_release(&mf);
	OPENSSL_cleanse(data, len);
	free(data);
	return names;
}

/* Mark the packages deps[from..] of the lock file path direct when the
 * manifest beside it declares them. */
static void sibling_direct(const struct an_ctx *ctx, const char *path, json_object *deps,
			   size_t from)
{
	const char *base = an_basename(path);
	json_object *names = NULL;

	for (size_t i = 0; !names && i < ARRAY_SIZE(sibling); i++) {
		_cleanup_free_ char *m = NULL;

		if (strcmp(base, sibling[i].lock) != 0)
			continue;
		m = xasprintf("%.*s%s", (int)(base - path), path, sibling[i].manifest);
		names = declared(ctx, m);
	}
	for (size_t i = from; names && i < json_object_array_length(deps); i++) {
		json_object *o = json_object_array_get_idx(deps, i);
		_cleanup_free_ char *k = name_key(o);

		if (json_object_object_get_ex(names, k, NULL))
			json_object_object_add(o, "direct", json_object_new_boolean(true));
	}
	json_object_put(names);
}

static int deps_file(const struct an_ctx *ctx, const char *path, void *arg)
{
	struct scan *s = arg;
	struct an_issues is = { 0 };
	char *data = NULL, why[256] = "";
	size_t len = 0, before = json_object_array_length(s->facts.deps);
	int r;

	if (!an_deps_manifest(path))
		return 0;
	r = an_read(ctx->wsfd, path, DEPS_FILE_MAX, &data, &len);
	if (r == 0)
		r = an_deps_parse(path, data, len, &s->facts, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "unable to read: %s", strerror(-r));
	if (r == 0)
		sibling_direct(ctx, path, s->facts.deps, before);
	if (r < 0) {	/* no facts from a file that does not parse */
		size_t n = json_object_array_length(s->facts.deps) - before;

		json_object_array_del_idx(s->facts.deps, before, n);
		s->facts.n -= n;
		an_issue_add(&is, "deps/unparsable", 0, "unparsable %s: %s", an_basename(path), why);
		an_issues_report(ctx, s->run, TOOL, path, &is);
		an_issues_release(&is);
	}
	if (data)
		OPENSSL_cleanse(data, len);
	free(data);
	return 0;
}

int an_deps_analyze(const struct an_ctx *ctx, struct sarif_run *run)
{
	struct scan s = { .run = run };
	int r;

	an_facts_init(&s.facts);
	r = an_each_file(ctx, deps_file, &s);
	an_facts_finish(&s.facts, run);
	an_facts_release(&s.facts);
	return r == -E2BIG ? (sarif_run_fail(run, "too many files"), 0) : r;
}
