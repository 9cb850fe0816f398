#!/bin/bash
# lethe-deps on tests/fixtures/deps: the facts match every manifest and lock
# file of each ecosystem exactly (name, version, constraint, direct,
# manifest; a lock file's package is direct when the manifest beside it
# declares it; a Go module as its replace directive names it); URLs in them
# lose their credentials; files under node_modules/ are not read; malformed
# JSON, TOML, go.mod and XML are reported as unparsable and give no facts,
# and so are a yarn.lock, a pnpm-lock.yaml and a gradle.lockfile that are
# not what their names say.
set -u
# shellcheck source=tests/analyze-lib.sh
. "$(dirname "$0")/analyze-lib.sh"
plan 8

analyze_fixture deps lethe-deps "lethe-deps runs to completion on malformed manifests too"

# ecosystem, name, version, constraint, direct, manifest, in walk order.
cat >"$SCRATCH/want-facts" <<'TABLE'
golang	github.com/google/uuid	v1.6.0	-	true	go/go.mod
golang	golang.org/x/sync	v0.7.0	-	true	go/go.mod
golang	example.org/fork/errors	v0.9.3	-	false	go/go.mod
maven	org.apache.commons:commons-lang3	3.14.0	3.14.0	true	java/pom.xml
maven	junit:junit	-	${junit.version}	true	java/pom.xml
composer	monolog/monolog	3.5.0	-	false	php/composer.lock
composer	psr/log	3.0.0	-	false	php/composer.lock
composer	phpunit/phpunit	10.5.11	-	false	php/composer.lock
pypi	django	5.0.3	-	true	poetry/poetry.lock
pypi	asgiref	3.7.2	-	false	poetry/poetry.lock
pypi	django	-	^5.0	true	poetry/pyproject.toml
pypi	celery	-	5.3.6	true	poetry/pyproject.toml
pypi	ruff	-	0.3.0	true	poetry/pyproject.toml
pypi	certifi	2024.2.2	==2024.2.2	false	py/Pipfile.lock
pypi	idna	3.6	==3.6	false	py/Pipfile.lock
pypi	black	24.2.0	==24.2.0	false	py/Pipfile.lock
pypi	httpx	-	>=0.27	true	py/pyproject.toml
pypi	pydantic	2.6.1	==2.6.1	true	py/pyproject.toml
pypi	wheelpkg	-	@ https://pkgs.example.invalid/wheelpkg-1.0.tar.gz	true	py/pyproject.toml
pypi	gitpkg	-	@ git+https://git.example.invalid/team/gitpkg.git	true	py/pyproject.toml
pypi	pytest-cov	-	-	true	py/pyproject.toml
pypi	pytest	8.0.2	==8.0.2	true	py/requirements-dev.txt
pypi	requests	2.31.0	==2.31.0	true	py/requirements.txt
pypi	Flask	-	>=2.3,<3	true	py/requirements.txt
pypi	urllib3	-	-	true	py/requirements.txt
pypi	docopt	0.6.1	== 0.6.1	true	py/requirements.txt
pypi	privpkg	-	@ https://git.example.invalid/privpkg-1.0.tar.gz	true	py/requirements.txt
gem	actionpack	7.1.3	-	true	ruby/Gemfile.lock
gem	rack	3.0.9	-	false	ruby/Gemfile.lock
gem	rake	13.1.0	-	true	ruby/Gemfile.lock
cargo	anyhow	1.0.81	-	true	rust/Cargo.lock
cargo	serde	1.0.197	-	true	rust/Cargo.lock
cargo	serde_derive	1.0.197	-	false	rust/Cargo.lock
cargo	serde	-	1.0	true	rust/Cargo.toml
cargo	anyhow	-	1	true	rust/Cargo.toml
cargo	local-util	-	path	true	rust/Cargo.toml
cargo	tokio	-	1.36	true	rust/Cargo.toml
cargo	proptest	-	1.4	true	rust/Cargo.toml
cargo	nix	-	0.28	true	rust/Cargo.toml
npm	express	4.18.2	-	true	web/package-lock.json
npm	@scope/util	2.1.3	-	true	web/package-lock.json
npm	jest	29.7.0	-	true	web/package-lock.json
npm	debug	2.6.9	-	false	web/package-lock.json
npm	ms	2.0.0	-	false	web/package-lock.json
npm	express	-	^4.18.2	true	web/package.json
npm	@scope/util	-	~2.1.0	true	web/package.json
npm	private-lib	-	git+https://git.example.invalid/team/private-lib.git	true	web/package.json
npm	jest	-	29.7.0	true	web/package.json
TABLE
jq -r '.runs[0].properties["lethe/facts"].dependencies[] | [.ecosystem, .name, .version // "-",
	.constraint // "-", .direct, .manifest] | @tsv' "$OUT" >"$SCRATCH/facts"
diff -u "$SCRATCH/want-facts" "$SCRATCH/facts" >&2
rc=$?
check '[ $rc -eq 0 ]' "the facts match the manifests and lock files exactly"
check '[ "$(cut -f1 "$SCRATCH/facts" | sort -u | tr "\n" " ")" = "cargo composer gem golang maven npm pypi " ]' \
	"every ecosystem is read"
check '! grep -q "TOKEN\|deploy:\|ci:p" "$OUT"' \
	"no credential of a dependency URL leaves the sandbox (PEP 621, requirements.txt, git+https with an @ in it, npm)"
check '! grep -q "node_modules/\|left-pad\|nothing" "$SCRATCH/facts"' \
	"installed packages under node_modules are not the repository's manifests"

cat >"$SCRATCH/want-rules" <<'TABLE'
deps/unparsable	broken/Cargo.lock	unparsable Cargo.lock: line 2: unterminated string
deps/unparsable	broken/composer.lock	unparsable composer.lock: invalid JSON: truncated
deps/unparsable	broken/go.mod	unparsable go.mod: unterminated require block
deps/unparsable	broken/gradle.lockfile	unparsable gradle.lockfile: line 2: want GROUP:ARTIFACT:VERSION=CONFIGURATIONS
deps/unparsable	broken/package.json	unparsable package.json: invalid JSON: truncated
deps/unparsable	broken/pnpm-lock.yaml	unparsable pnpm-lock.yaml: no lockfileVersion: not a pnpm lockfile
deps/unparsable	broken/pom.xml	unparsable pom.xml: unterminated <dependency>
deps/unparsable	broken/pyproject.toml	unparsable pyproject.toml: line 3: ',' or ']' expected in an array
deps/unparsable	broken/yarn.lock	unparsable yarn.lock: neither a Yarn v1 nor a Yarn Berry lockfile
TABLE
jq -r '.runs[0].results[] | [.ruleId, .locations[0].physicalLocation.artifactLocation.uri,
	.message.text] | @tsv' "$OUT" | sort >"$SCRATCH/rules"
diff -u "$SCRATCH/want-rules" "$SCRATCH/rules" >&2
rc=$?
check '[ $rc -eq 0 ]' "each malformed manifest is reported as unparsable with its reason, nothing else"
check '! grep -q "	broken/" "$SCRATCH/facts"' "a manifest that does not parse gives no facts"

"$TOP/build/tests/sarif_test" --parse "$OUT" >"$SCRATCH/reparsed" 2>/dev/null
check 'jq -e "[.runs[0].properties[\"lethe/facts\"].dependencies[]] | length == $(wc -l <"$SCRATCH/want-facts")" \
	"$SCRATCH/reparsed" >/dev/null' "lib/sarif carries every dependency fact through"
