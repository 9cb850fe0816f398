# shellcheck shell=bash
# tests/hook.sh: helpers for the lethe-hook tests, sourced after lib.sh.
#
#   need_hook                        skip unless lethe-hook and lethectl are built
#   hook_org                         create an org, deleted (with all its rows) when
#                                    the test ends; sets ORG
#   hook_repo PROVIDER SECRET        create a repository with that webhook secret;
#                                    sets REPO_ID, HOOK_PATH
#   hook_headers PROVIDER EVENT DELIVERY SIGMODE BODY SECRET
#                                    the headers the VCS sends, into $SCRATCH/headers;
#                                    SIGMODE: good, wrong, missing, empty, truncated
#   hook_post PATH BODY [CTYPE]      POST through nginx with $SCRATCH/headers; prints
#                                    the status, leaves the answer in $SCRATCH/answer
#   sw_sign TOKEN ID TS FILE         the Standard Webhooks webhook-signature of FILE
#                                    for a GitLab signing token (whsec_...)
#   hook_variant BODY TAG            a copy of the JSON BODY with other bytes (a field
#                                    "lethe_test_copy": TAG), as another delivery of the
#                                    same event has: the same bytes under a new id are a
#                                    replay; prints its path
#   hook_instance NAME WORKERS [KEY=VALUE...]
#                                    a private lethe-hook of WORKERS workers (the stack's
#                                    configuration, with the keys given) on
#                                    $SCRATCH/NAME/sock, logging to $SCRATCH/NAME/log, its
#                                    supervisor's pid in $SCRATCH/NAME/pid; stopped when
#                                    the test ends
#   sql QUERY                        one psql query, unaligned
# Headers go through a file (curl -H @file): a GitLab token never reaches argv.

need_hook() {
	[ -x "$TOP/bin/lethe-hook" ] || skip_all "lethe-hook is not built"
	[ -x "$TOP/bin/lethectl" ] || skip_all "lethectl is not built"
}

sql() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

random_secret() { openssl rand -hex 24; }

# Not in a command substitution: the cleanup must be the test shell's.
hook_org() {
	ORG=hk$(openssl rand -hex 5)
	"$TOP/bin/lethectl" org create "$ORG" >/dev/null &&
		on_exit "sql \"DELETE FROM lethe.orgs WHERE name = '$ORG'\" >/dev/null"
}

hook_repo() { # PROVIDER SECRET
	local out name
	name=o$(openssl rand -hex 4)/r$(openssl rand -hex 4)
	(umask 077; printf '%s' "$2" >"$SCRATCH/secret")
	out=$("$TOP/bin/lethectl" --json repo add --org "$ORG" --provider "$1" --name "$name" \
	    --clone-url "http://127.0.0.1:1/$name.git" --secret-file "$SCRATCH/secret") || return 1
	rm -f "$SCRATCH/secret"
	REPO_ID=$(jq -r .id <<<"$out")
	HOOK_PATH=$(jq -r .hook_path <<<"$out")
	[ -n "$REPO_ID" ] && [ "$REPO_ID" != null ]
}

# sig_value MODE HEX: the signature as sent for a mode.
sig_value() {
	case $1 in
	good) echo "$2" ;;
	truncated) echo "${2%??}" ;;
	*) echo "$2" ;;
	esac
}

hook_headers() { # PROVIDER EVENT DELIVERY SIGMODE BODY SECRET
	local p=$1 ev=$2 id=$3 mode=$4 body=$5 secret=$6 mac name prefix value
	if [ "$mode" = wrong ]; then
		secret=not-$secret
	fi
	mac=$(sign_hmac_sha256 "$secret" "$body")
	case $p in
	github) name=X-Hub-Signature-256 prefix=sha256= ;;
	gitea) name=X-Gitea-Signature prefix= ;;
	bitbucket|bitbucket-dc) name=X-Hub-Signature prefix=sha256= ;;
	gitlab) name=X-Gitlab-Token prefix= mac=$secret ;;
	esac
	value=$prefix$(sig_value "$mode" "$mac")
	{
		case $p in
		github) printf 'X-GitHub-Event: %s\nX-GitHub-Delivery: %s\n' "$ev" "$id" ;;
		gitea) printf 'X-Gitea-Event: %s\nX-Gitea-Delivery: %s\n' "$ev" "$id"
		       # Gitea sends GitHub's headers too; routing must not be fooled.
		       printf 'X-GitHub-Event: %s\nX-GitHub-Delivery: %s\n' "$ev" "$id" ;;
		gitlab) printf 'X-Gitlab-Event: %s\nIdempotency-Key: %s\n' "$ev" "$id" ;;
		bitbucket) printf 'X-Event-Key: %s\nX-Request-UUID: %s\n' "$ev" "$id" ;;
		bitbucket-dc) printf 'X-Event-Key: %s\nX-Request-Id: %s\n' "$ev" "$id" ;;
		esac
		case $mode in
		missing) ;;
		empty) printf '%s;\n' "$name" ;;
		*) printf '%s: %s\n' "$name" "$value" ;;
		esac
	} >"$SCRATCH/headers"
}

hook_post() { # PATH BODY [CTYPE]
	curl -s -o "$SCRATCH/answer" -w '%{http_code}' --max-time 20 -X POST -H @"$SCRATCH/headers" \
	    -H "Content-Type: ${3:-application/json}" --data-binary @"$2" "$LETHE_URL$1"
}

new_id() { cat /proc/sys/kernel/random/uuid; }

# Not in a command substitution: the cleanup must be the test shell's.
hook_instance() { # NAME WORKERS [KEY=VALUE...]
	local dir=$SCRATCH/$1 kv
	mkdir -p "$dir"
	grep -v '^log_file\|^hook_' "$LETHE_CONFIG" >"$dir/lethe.conf"
	printf 'log_file = %s\nhook_workers = %s\n' "$dir/log" "$2" >>"$dir/lethe.conf"
	for kv in "${@:3}"; do printf '%s = %s\n' "${kv%%=*}" "${kv#*=}" >>"$dir/lethe.conf"; done
	: >"$dir/log"
	LETHE_CONFIG=$dir/lethe.conf setsid "$TOP/scripts/fcgi-supervise" "$dir/sock" 1 "$dir/out" \
	    "$TOP/bin/lethe-hook" </dev/null >/dev/null 2>&1 &
	echo $! >"$dir/pid"
	on_exit "kill -TERM $! 2>/dev/null; sleep 0.5"
	for _ in $(seq 100); do [ -S "$dir/sock" ] && return 0; sleep 0.1; done
	return 1
}

# The key goes through the environment, never argv.
sw_sign() { # TOKEN ID TS FILE
	LETHE_SW_KEY=$1 perl -MDigest::SHA=hmac_sha256 -MMIME::Base64 -e '
		my $k = $ENV{LETHE_SW_KEY}; $k =~ s/^whsec_//; $k = decode_base64($k);
		local $/; open(my $f, "<:raw", $ARGV[2]) or die;
		print "v1,", encode_base64(hmac_sha256("$ARGV[0].$ARGV[1]." . <$f>, $k), ""), "\n"' "$2" "$3" "$4"
}

hook_variant() { # BODY TAG
	jq -c --arg t "$2" '. + {lethe_test_copy: $t}' "$1" >"$SCRATCH/variant.$2.json" &&
		echo "$SCRATCH/variant.$2.json"
}
