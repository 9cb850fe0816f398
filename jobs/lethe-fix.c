/*
 * lethe-fix - claim a fix or a push job (lethe-fix(8)).
 *
 * A fix: the commit its finding was last seen at, checked out on an
 * encrypted ephemeral volume as a scan's is (lib/job/work.h), its .git
 * moved out of the sandbox's reach and a copy of it left for the agent's
 * git, the tree handed to the sandbox user; lethe-llm-proxy started on a
 * socket in the volume; lethe-agent run in the sandbox (lib/scan/fixrun.h);
 * then, on the host, the change listed against the untouched .git
 * (lib/scan/fixdiff.h), checked (lib/parse/fixpatch.h), sealed under the
 * org key (lib/secret/fixseal.h) and the fix proposed; the volume
 * destroyed.
 *
 * A push, once a person approved the fix: the sealed patch opened, the
 * commit fetched again into a fresh volume, the patch applied and pushed
 * as a new branch lethe/fix-<finding>-<n> with a write token (a GitHub
 * App's installation token for this repository with contents and
 * pull_requests write only, else the stored reporting token), the pull
 * request opened, the sealed patch destroyed.
 *
 * Runs as root for the volume and the sandbox, as lethe-scan does.  Never
 * logs a token, a prompt, an answer or any repository content.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audit.h"
#include "cmdgate.h"
#include "fixdiff.h"
#include "fixpatch.h"
#include "fixpush.h"
#include "fixrun.h"
#include "fixseal.h"
#include "http.h"
#include "log.h"
#include "pullreq.h"
#include "report.h"
#include "util.h"
#include "work.h"

#define PROXY_NAME   "lethe-llm-proxy"
#define SOCKET_WAIT  (10 * 1000000LL)	/* usec for the proxy's socket to appear */
#define BRANCH_TRIES 50

struct fix {
	struct work *w;
	int64_t id, finding;
	char *state, *tool, *rule, *path, *instruction, *branch;
	int64_t line;
	char *mount;	/* the volume's mount point */
	char *gitdir;	/* the clone's .git, moved out of the tree */
	pid_t proxy;
	struct fixpatch_summary sum;
};


static char *dup_value(const PGresult *res, int col)
{
	return db_value(res, 0, col) ? xstrdup(db_value(res, 0, col)) : NULL;
}

static enum outcome fix_load(struct fix *f)
{
	PGresult *res = NULL;
	char id[24];
	int r;

	r = DB_QUERY(f->w->db, &res, "SELECT x.state, x.finding_id, d.tool, d.rule_id, d.path, "
		     "coalesce(d.start_line, 0), x.instruction, x.branch FROM fixes x "
		     "JOIN findings d ON d.id = x.finding_id WHERE x.id = $1",
		     i64s(f->w->job->qj_fix, id));
	if (r < 0)
		return work_db_fail(f->w, "read the fix");
	if (PQntuples(res) != 1) {
		PQclear(res);
		return work_fail(f->w, OUT_PERM, "fix %" PRId64 " is gone", f->w->job->qj_fix);
	}
	f->id = f->w->job->qj_fix;
	f->state = dup_value(res, 0);
	f->finding = db_int(res, 0, 1);
	f->tool = dup_value(res, 2);
	f->rule = dup_value(res, 3);
	f->path = dup_value(res, 4);
	f->line = db_int(res, 0, 5);
	f->instruction = dup_value(res, 6);
	f->branch = dup_value(res, 7);
	PQclear(res);
	return OUT_OK;
}

/* Fix state from one of states to to; OUT_PERM naming the state otherwise. */
static enum outcome fix_state(struct fix *f, const char *from, const char *to)
{
	PGresult *res = NULL;
	char id[24];
	int r;

	r = DB_QUERY(f->w->db, &res, "UPDATE fixes SET state = $3 WHERE id = $1 "
		     "AND state = ANY ($2::text[]) RETURNING id", i64s(f->id, id), from, to);
	if (r < 0)
		return work_db_fail(f->w, "update the fix");
	r = PQntuples(res);
	PQclear(res);
	return r == 1 ? OUT_OK : work_fail(f->w, OUT_PERM, "fix %" PRId64 " is %s", f->id,
					   f->state);
}

static int fix_audit(struct fix *f, const char *action, const char *details)
{
	char target[40];

	snprintf(target, sizeof(target), "fix:%" PRId64, f->id);
	return audit_append(f->w->db, f->w->job->qj_org, AUDIT_SYSTEM, f->w->actor, action,
			    target, details, NULL);
}

/* ---- the fix: the agent in the sandbox, the change on the host ---- */

static uid_t hand_uid;
static gid_t hand_gid;
static int hand_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return lchown(p, hand_uid, hand_gid) < 0 ? -1 : 0;
}

/*
 * The tree for the agent: the clone's .git moved to the volume's root,
 * where only root reaches it (the host lists the change against it), a
 * copy of it left in the tree for the agent's git, and everything in the
 * tree made the sandbox user's; the tree keeps its mode (02750, as the
 * clone left it), so that nobody else on the host reads it.
 */
static enum outcome tree_handover(struct fix *f)
{
	const char *tree = volume_workdir(f->w->vol);
	char *dotgit = xasprintf("%s/.git", tree);
	int r;

	f->mount = xstrdup(volume_mountpoint(f->w->vol));
	f->gitdir = xasprintf("%s/clone.git", f->mount);
	hand_uid = f->w->sandbox_uid;	/* looked up and checked by the clone step */
	hand_gid = f->w->sandbox_gid;
	r = rename(dotgit, f->gitdir) < 0 || chmod(f->gitdir, 0700) < 0 ? -errno : 0;
	if (r == 0)
		r = fixdiff_copy(f->gitdir, dotgit);
	if (r == 0 && nftw(tree, hand_one, 16, FTW_PHYS) < 0)
		r = -errno;
	free(dotgit);
	return r < 0 ? work_fail(f->w, OUT_TEMP, "unable to hand the tree to the sandbox: %s",
				 strerror(-r)) : OUT_OK;
}

/* lethe-llm-proxy, next to this program. */
static char *proxy_path(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	return slash ? xasprintf("%.*s/" PROXY_NAME, (int)(slash - self), self) : NULL;
}

static enum outcome proxy_start(struct fix *f, const char *sock)
{
	char *path = proxy_path(), fix[24], uid[24];
	struct stat st;
	int64_t until = mono_usec() + SOCKET_WAIT;
	pid_t self = getpid();

	if (!path)
		return work_fail(f->w, OUT_PERM, "unable to find " PROXY_NAME);
	i64s(f->id, fix);
	i64s(hand_uid, uid);

	f->proxy = fork();
	if (f->proxy == 0) {
		/* It ends with the fix job, even a killed one. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != self)
			_exit(127);
		execl(path, PROXY_NAME, "--socket", sock, "--fix", fix, "--socket-uid", uid,
		      (char *)NULL);
		_exit(127);
	}
	free(path);
	if (f->proxy < 0)
		return work_fail(f->w, OUT_TEMP, "unable to start " PROXY_NAME ": %s",
				 strerror(errno));
	while (stat(sock, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		if (waitpid(f->proxy, NULL, WNOHANG) == f->proxy) {
			f->proxy = 0;
			return work_fail(f->w, OUT_PERM, PROXY_NAME " exited at start (its log says why)");
		}
		if (mono_usec() > until)
			return work_fail(f->w, OUT_TEMP, PROXY_NAME " did not listen in time");
		usleep(20000);
	}
	return OUT_OK;
}

static void proxy_stop(struct fix *f)
{
	if (f->proxy <= 0)
		return;
	kill(f->proxy, SIGTERM);
	waitpid(f->proxy, NULL, 0);
	f->proxy = 0;
}

/*
 * The task: the finding alone (lethe-agent(8)), and the operator's test
 * command if set; no code, URL or credential.
 */
static enum outcome task_write(struct fix *f, const char *path)
{
	json_object *t = json_object_new_object();
	struct gate_test test;
	const char *text;
	char why[256];
	int r;

	if (gate_test_parse(&test, config_v(f->w->cfg)->fix_test_command, why, sizeof(why)) < 0) {
		json_object_put(t);
		return work_fail(f->w, OUT_PERM, "fix_test_command refused: %s", why);
	}

	json_object_object_add(t, "tool", json_object_new_string(f->tool));
	json_object_object_add(t, "rule", json_object_new_string(f->rule));
	json_object_object_add(t, "path", json_object_new_string(f->path));
	json_object_object_add(t, "line", json_object_new_int64(f->line));
	if (f->instruction)
		json_object_object_add(t, "instruction", json_object_new_string(f->instruction));
	if (test.gt_words[0]) {
		json_object *words = json_object_new_array();

		for (int i = 0; test.gt_words[i]; i++)
			json_object_array_add(words, json_object_new_string(test.gt_words[i]));
		json_object_object_add(t, "test_command", words);
	}
	gate_test_release(&test);
	text = json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN);
	r = write_file_atomic(path, text, strlen(text), 0644);
	json_object_put(t);
	return r < 0 ? work_fail(f->w, OUT_TEMP, "unable to write the task: %s", strerror(-r))
		     : OUT_OK;
}

/* The agent's summary line: OUT_OK when it ended done. */
static enum outcome agent_result(struct fix *f, const struct sandbox_result *res)
{
	json_object *o = res->out ? json_tokener_parse(res->out) : NULL, *v;
	const char *outcome = o && json_object_object_get_ex(o, "outcome", &v)
			      ? json_object_get_string(v) : NULL;
	enum outcome out = OUT_OK;

	if (res->timed_out)
		out = work_fail(f->w, OUT_PERM, "the agent exceeded its wall time");
	else if (res->term_signal)
		out = work_fail(f->w, OUT_PERM, "the agent was killed by signal %d",
				res->term_signal);
	else if (!outcome || strcmp(outcome, "done") || res->exit_status != 0)
		out = work_fail(f->w, OUT_PERM, "the agent ended '%.40s' (exit status %d)",
				outcome && strspn(outcome, "abcdefghijklmnopqrstuvwxyz_") ==
				strlen(outcome) ? outcome : "?", res->exit_status);
	else
		log_info("agent done: %.*s", (int)strcspn(res->out, "\n"), res->out);
	json_object_put(o);
	return out;
}

static enum outcome agent_run(struct fix *f)
{
	struct sandbox_result res = { 0 };
	char *sockdir = xasprintf("%s/sock", f->mount), *sock = xasprintf("%s/llm.sock", sockdir);
	char *task = xasprintf("%s/task.json", f->mount);
	struct fixrun fr = { .tree = volume_workdir(f->w->vol), .task = task, .socket = sock,
			     .wall_secs = work_time_within(f->w, config_v(f->w->cfg)->fix_wall) };
	enum outcome o = mkdir(sockdir, 0755) < 0 ?
		work_fail(f->w, OUT_TEMP, "unable to create the proxy's directory") : OUT_OK;
	int r;

	if (o == OUT_OK)
		o = task_write(f, task);
	if (o == OUT_OK)
		o = proxy_start(f, sock);
	if (o == OUT_OK) {
		r = fixrun_agent(f->w->cfg, &fr, &res);
		o = r < 0 ? work_fail(f->w, r == -EINVAL || r == -ENOENT ? OUT_PERM : OUT_TEMP,
				      "unable to start the sandbox: %s", strerror(-r))
			  : agent_result(f, &res);
		sandbox_result_release(&res);
	}
	proxy_stop(f);
	free(sockdir);
	free(sock);
	free(task);
	return o;
}

/* The change, listed on the host against the clone's .git, and checked. */
static enum outcome change_list(struct fix *f, struct fixdiff *d)
{
	const struct config_values *v = config_v(f->w->cfg);
	struct fixpatch_limits l = { .max_files = (int)v->fix_max_files,
				     .max_bytes = v->fix_max_patch,
				     .allow_workflows = v->fix_allow_workflows };
	struct fixdiff_opts fo = { .fo_gitdir = f->gitdir, .fo_tree = volume_workdir(f->w->vol),
				   .fo_volume = f->mount, .fo_max_size = v->clone_max_size,
				   .fo_max_patch = v->fix_max_patch,
				   .fo_timeout = work_time_left(f->w) };
	char why[256], *home = NULL;
	enum outcome o = work_git_home(f->w, &home);
	int r = 0;

	fo.fo_home = home;
	if (o == OUT_OK)
		r = fixdiff_list(&fo, d, why, sizeof(why));
	if (o == OUT_OK && r < 0)
		o = work_fail(f->w, r == -EFBIG ? OUT_PERM : OUT_TEMP, "unable to list the change: %s",
			      why);
	if (o == OUT_OK && fixpatch_check(d->raw, d->raw_len, d->numstat, d->numstat_len,
					  (int64_t)d->patch_len, &l, &f->sum, why, sizeof(why)) < 0)
		o = work_fail(f->w, OUT_PERM, "the change is refused: %s", why);
	if (o == OUT_OK && d->patch_len == 0)
		o = work_fail(f->w, OUT_PERM, "the agent changed nothing");
	free(home);
	return o;
}

/* One transaction: the patch sealed, the fix proposed (unless rejected meanwhile), audited. */
static enum outcome fix_propose(struct fix *f, const struct fixdiff *d)
{
	char *details = xasprintf("{\"finding\": %" PRId64 ", \"files\": %d, \"lines_added\": %"
				  PRId64 ", \"lines_deleted\": %" PRId64 "}", f->finding,
				  f->sum.files, f->sum.lines_added, f->sum.lines_deleted);
	enum outcome o = db_begin(f->w->db) < 0 ? work_db_fail(f->w, "begin") : OUT_OK;
	int r;

	if (o == OUT_OK)
		o = fix_state(f, "{running}", "proposed");
	if (o == OUT_OK) {
		r = fixseal_store(f->w->db, f->w->kr, f->w->cfg, f->w->job->qj_org, f->id,
				  d->patch.data, d->patch_len);
		if (r < 0)
			o = work_fail(f->w, r == -ENOTCONN ? OUT_TEMP : OUT_PERM,
				      "unable to seal the patch: %s", strerror(-r));
	}
	if (o == OUT_OK && fix_audit(f, "fix proposed", details) < 0)
		o = work_db_fail(f->w, "audit the proposal");
	if (o == OUT_OK && db_commit(f->w->db) < 0)
		o = work_db_fail(f->w, "commit the proposal");
	if (o != OUT_OK)
		db_rollback(f->w->db);
	free(details);
	return o;
}

static enum outcome fix_make(struct fix *f)
{
	struct fixdiff d = { 0 };
	enum outcome o = fix_state(f, "{queued,running}", "running");

	if (o == OUT_OK)
		o = work_repo_load(f->w);
	if (o == OUT_OK)
		o = work_volume_up(f->w);
	if (o == OUT_OK)
		o = work_clone_up(f->w);
	if (o == OUT_OK)
		o = tree_handover(f);
	if (o == OUT_OK && work_stopping())
		o = work_fail(f->w, OUT_TEMP, "stopped by a signal before the agent");
	if (o == OUT_OK)
		o = agent_run(f);
	if (o == OUT_OK && queue_keeper_lost(f->w->keeper))
		o = work_fail(f->w, OUT_TEMP, "lease lost to another worker");
	if (o == OUT_OK)
		o = change_list(f, &d);
	if (work_volume_down(f->w) < 0)
		log_warning("volume teardown incomplete (lethe-scrub will finish it)");
	if (o == OUT_OK)
		o = fix_propose(f, &d);
	fixdiff_release(&d);
	return o;
}

/* ---- the push, after approval ---- */

/*
 * The write token: a GitHub App's installation token for this repository
 * with contents and pull_requests write only, else the stored reporting
 * token (its scopes: lethe-fix(8)).
 */
static enum outcome push_token(struct fix *f, struct secbuf *tok)
{
	enum outcome o = work_app_token(f->w, GITHUB_FIX, "a push token", tok);
	int r;

	if (o != OUT_OK || tok->data)
		return o;
	r = report_token_open(f->w->db, f->w->kr, f->w->job->qj_org, f->w->job->qj_repo, tok);
	if (r == -ENOENT)
		return work_fail(f->w, OUT_PERM, "the repository has no token that can push "
				 "(a github-app integration or a reporting token)");
	if (r < 0)
		return work_fail(f->w, r == -ENOTCONN ? OUT_TEMP : OUT_PERM,
				 "unable to open the reporting token: %s", strerror(-r));
	return OUT_OK;
}

static enum outcome branch_record(struct fix *f, const char *branch)
{
	char id[24];

	if (DB_QUERY(f->w->db, NULL, "UPDATE fixes SET branch = $2 WHERE id = $1",
		     i64s(f->id, id), branch) < 0)
		return work_db_fail(f->w, "record the branch");
	free(f->branch);
	f->branch = xstrdup(branch);
	return OUT_OK;
}

static const char *push_error(int r)
{
	switch (r) {
	case -EACCES: return "the write token was refused";
	case -ENOEXEC: return "the patch no longer applies to the commit";
	case -ENOENT: return "the commit is gone";
	default: return NULL;
	}
}

/* The patch pushed as the first free branch lethe/fix-<finding>-<n>. */
static enum outcome branch_push(struct fix *f, const struct secbuf *patch, const struct secbuf *tok,
				const char *home, const char *pin)
{
	char branch[64], why[256], dir[PATH_MAX];
	char *msg = xasprintf("Fix %s %s in %s\n\nProposed by Lethe for finding %" PRId64
			      " and approved before this push.\n", f->tool, f->rule, f->path,
			      f->finding);
	struct fixpush_opts po = {
		.fp_dir = dir, .fp_url = f->w->clone_url, .fp_sha = f->w->job->qj_commit,
		.fp_ref = f->w->job->qj_ref, .fp_token = (const char *)tok->data,
		.fp_token_len = tok->len,
		.fp_auth = work_clone_auth(f->w),
		.fp_home = home, .fp_pin = pin, .fp_patch = (const char *)patch->data,
		.fp_patch_len = patch->len, .fp_message = msg, .fp_branch = branch,
		.fp_timeout = work_time_within(f->w, config_v(f->w->cfg)->clone_timeout),
		.fp_max_size = config_v(f->w->cfg)->clone_max_size,
	};
	enum outcome o = OUT_OK;
	int n, r = -EEXIST;

	for (n = 1; n <= BRANCH_TRIES && r == -EEXIST; n++) {
		snprintf(branch, sizeof(branch), "lethe/fix-%" PRId64 "-%d", f->finding, n);
		if (fixpatch_branch_check(branch, f->finding, why, sizeof(why)) < 0) {
			o = work_fail(f->w, OUT_PERM, "branch refused: %s", why);
			break;
		}
		/* Each try in an empty directory of its own, in the volume. */
		snprintf(dir, sizeof(dir), "%s/push-%d", f->mount, n);
		if (mkdir(dir, 0700) < 0) {
			o = work_fail(f->w, OUT_TEMP, "unable to create the push's directory");
			break;
		}
		r = work_push(f->w, &po, why, sizeof(why));
	}
	if (o == OUT_OK && r < 0)
		o = work_fail(f->w, r == -EEXIST || !clone_error_temporary(r) ? OUT_PERM : OUT_TEMP,
			      "push of '%s' failed: %s", f->w->full_name,
			      r == -EEXIST ? "every branch name is taken"
			      : push_error(r) ? push_error(r) : why);
	if (o == OUT_OK)
		o = branch_record(f, branch);
	free(msg);
	return o;
}

static enum outcome pull_request(struct fix *f, const struct secbuf *tok, int64_t *number,
				 char *url, size_t urllen)
{
	struct http_client hc;
	const char *base = f->w->job->qj_branch ? f->w->job->qj_branch : f->w->default_branch;
	char *title = xasprintf("Lethe: fix %s %s in %s", f->tool, f->rule, f->path);
	const char *dash = config_v(f->w->cfg)->dashboard_url;
	size_t n = strlen(dash);
	/* The finding in the dashboard, when there is one. */
	char *link = n ? xasprintf("\n\n%s%s#/findings/%" PRId64, dash,
				   dash[n - 1] == '/' ? "" : "/", f->finding) : xstrdup("");
	char *body = xasprintf("Lethe proposed this change for its finding %" PRId64
			       " (%s rule %s at %s:%" PRId64 "); a person approved it before it "
			       "was pushed. Lethe keeps no copy of it.%s", f->finding, f->tool,
			       f->rule, f->path, f->line, link);
	char why[256];
	int r;

	http_client_configure(&hc, f->w->cfg);
	r = f->w->api_url ? pullreq_open(&hc, f->w->provider, f->w->api_url,
					 (const char *)tok->data, f->w->full_name, f->branch, base,
					 title, body, number, url, urllen, why, sizeof(why))
			  : -EINVAL;
	free(title);
	free(body);
	free(link);
	if (r < 0)
		return work_fail(f->w, http_error_permanent(r) ? OUT_PERM : OUT_TEMP,
				 "unable to open the pull request: %s",
				 f->w->api_url ? why : "the repository has no api url");
	return OUT_OK;
}

/* One transaction: the fix pushed, its sealed patch destroyed, audited. */
static enum outcome fix_pushed(struct fix *f, int64_t number, const char *url)
{
	char id[24], num[24];
	char *details = xasprintf("{\"finding\": %" PRId64 ", \"branch\": \"%s\", "
				  "\"pull_request\": %" PRId64 "}", f->finding, f->branch, number);
	enum outcome o = OUT_OK;

	if (db_begin(f->w->db) < 0 ||
	    DB_QUERY(f->w->db, NULL, "UPDATE fixes SET state = 'pushed', pr_number = $2, "
		     "pr_url = $3, pushed_at = now(), patch_enc = NULL, destroyed_at = now(), "
		     "destroy_reason = 'pushed' WHERE id = $1", i64s(f->id, id),
		     i64s(number, num), url) < 0 ||
	    fix_audit(f, "fix pushed", details) < 0 || db_commit(f->w->db) < 0)
		o = work_db_fail(f->w, "record the push");
	free(details);
	return o;
}

static enum outcome push_run(struct fix *f)
{
	struct secbuf patch = { 0 }, tok = { 0 };
	char pin[TARGET_PIN_MAX], *home = NULL, url[512] = "";
	int64_t number = 0;
	enum outcome o = strcmp(f->state, "approved") ?
		work_fail(f->w, OUT_PERM, "fix %" PRId64 " is %s", f->id, f->state) : OUT_OK;
	int r;

	if (o == OUT_OK && (r = fixseal_open(f->w->db, f->w->kr, f->w->job->qj_org, f->id,
					     &patch)) < 0)
		o = work_fail(f->w, r == -ENOENT ? OUT_PERM : OUT_TEMP, "%s",
			      r == -ENOENT ? "the sealed patch is gone (past its deadline)"
			      : "unable to open the sealed patch");
	if (o == OUT_OK)
		o = work_repo_load(f->w);
	if (o == OUT_OK)
		o = push_token(f, &tok);
	if (o == OUT_OK && !f->branch) {
		o = work_volume_up(f->w);
		if (o == OUT_OK)
			o = work_clone_target(f->w, pin);
		if (o == OUT_OK)
			f->mount = xstrdup(volume_mountpoint(f->w->vol));
		if (o == OUT_OK)
			o = work_git_home(f->w, &home);
		if (o == OUT_OK)
			o = branch_push(f, &patch, &tok, home, pin);
		if (work_volume_down(f->w) < 0)
			log_warning("volume teardown incomplete (lethe-scrub will finish it)");
	}
	secbuf_release(&patch);
	if (o == OUT_OK)
		o = pull_request(f, &tok, &number, url, sizeof(url));
	secbuf_release(&tok);
	if (o == OUT_OK)
		o = fix_pushed(f, number, url);
	if (o == OUT_OK)
		log_notice("fix %" PRId64 " pushed as %s, pull request %" PRId64, f->id, f->branch,
			   number);
	free(home);
	return o;
}

static enum outcome fix_job(struct work *w)
{
	struct fix f = { .w = w };
	enum outcome o = fix_load(&f);

	if (o == OUT_OK && !strcmp(w->job->qj_kind, "push"))
		o = push_run(&f);
	else if (o == OUT_OK)
		o = fix_make(&f);
	if (o == OUT_OK && !strcmp(w->job->qj_kind, "fix"))
		log_notice("fix %" PRId64 " proposed: %d files, +%" PRId64 " -%" PRId64, f.id,
			   f.sum.files, f.sum.lines_added, f.sum.lines_deleted);
	free(f.state);
	free(f.tool);
	free(f.rule);
	free(f.path);
	free(f.instruction);
	free(f.branch);
	free(f.mount);
	free(f.gitdir);
	return o;
}

/*
 * Fixes need a model endpoint (without one they are off), the agent, and a
 * test command, if one is set, the gate takes.
 */
static void fix_config_check(const struct config *cfg)
{
	struct gate_test test;
	char why[256];

	if (!*config_v(cfg)->fix_model_url) {
		log_info("fix_model_url is not set: fixes are off");
		exit(EXIT_OK);
	}
	if (access(config_v(cfg)->agent_path, X_OK) < 0)
		fatalx(EXIT_PERMFAIL, "agent_path '%s' is not an executable",
		       config_v(cfg)->agent_path);
	if (gate_test_parse(&test, config_v(cfg)->fix_test_command, why, sizeof(why)) < 0)
		fatalx(EXIT_PERMFAIL, "fix_test_command '%s' refused: %s",
		       config_v(cfg)->fix_test_command, why);
	gate_test_release(&test);
}

int main(int argc, char **argv)
{
	static const struct work_program fix = {
		.name = "lethe-fix", .kinds = "{push,fix}", .db_role = DB_ROLE_FIX, .ended = "fix",
		.config_check = fix_config_check, .run = fix_job,
	};

	return work_main(&fix, argc, argv);
}
