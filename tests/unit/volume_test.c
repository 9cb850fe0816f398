/*
 * volume_test.c - encrypted checkout volumes, on the real kernel.
 *
 * Needs root, loop devices and ext4 encryption; skips what the host lacks.
 * Works in a scratch directory under $LETHE_SHARED (where the stack's
 * service users can enter; scripts/tap-exec sets it), or /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/fscrypt.h>

#include <libcryptsetup.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "proc.h"
#include "sandbox.h"
#include "tap.h"
#include "util.h"
#include "volume.h"

static char scratch[1024], state_dir[1100], run_dir[1100];

/* Is needle (len bytes) anywhere in the file at path? -1 if unreadable. */
static int file_contains(const char *path, const char *needle, size_t len)
{
	static char buf[1 << 20];
	size_t have = 0, keep = len - 1;
	ssize_t n;
	int fd, found = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (!found && (n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		have += (size_t)n;
		found = memmem(buf, have, needle, len) != NULL;
		if (have > keep) {
			memmove(buf, buf + have - keep, keep);
			have = keep;
		}
	}
	close(fd);
	return found;
}

/* The mount options of the mount at path, "" if none. */
static void mount_opts(const char *path, char *opts, size_t len)
{
	char line[4096], mp[PATH_MAX], o[1024];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	opts[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s %1023s", mp, o) == 2 && !strcmp(mp, path))
			snprintf(opts, len, "%s", o);
	if (f)
		fclose(f);
}

/* Is some loop device backed by path (deleted or not)? */
static int loop_backed_by(const char *path)
{
	char cmd[PATH_MAX + 64], line[PATH_MAX];
	int found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cat /sys/block/loop*/loop/backing_file 2>/dev/null");
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p))
		if (!strncmp(line, path, strlen(path)))
			found = 1;
	if (p)
		pclose(p);
	return found;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0)
		printf("# unable to write '%s': %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static struct volume *make(const char *backend, const char *name, int64_t size, int64_t *usec)
{
	struct volume_opts o = { backend, state_dir, run_dir, name, size };
	struct volume *v = NULL;
	char why[256] = "";
	int64_t t0 = mono_usec();
	int r;

	r = volume_create(&o, &v, why, sizeof(why));
	if (usec)
		*usec = mono_usec() - t0;
	if (r < 0)
		printf("# volume_create '%s': %s (%s)\n", name, strerror(-r), why);
	return v;
}

static void random_marker(char *out, size_t len)
{
	unsigned char raw[16];

	RAND_bytes(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), out + 7);
	memcpy(out, "LETHE-M", 7);
	out[len - 1] = '\0';
}

/* Create, write, look at the raw image, check flags and key, destroy. */
static void test_fscrypt_lifecycle(void)
{
	char marker[40], fmarker[40], control[40], path[PATH_MAX], img[PATH_MAX], opts[1024];
	struct fscrypt_get_key_status_arg ks;
	int64_t t_create, t_destroy;
	char mp[2048];
	struct volume *v;
	int fd, r;

	v = make("auto", "c1", 0, &t_create);
	ok(v != NULL, "volume_create auto makes a volume");
	if (!v)
		return;
	printf("# create (1G sparse image, mkfs, mount, key): %lld ms\n", (long long)t_create / 1000);
	ok(!strcmp(volume_backend(v), access("/sys/module/dm_crypt", F_OK) ? "fscrypt" : "luks2"),
	   "auto picks %s", volume_backend(v));
	snprintf(mp, sizeof(mp), "%s/checkouts/c1", run_dir);
	snprintf(img, sizeof(img), "%s/volumes/c1.img", state_dir);
	ok(!strcmp(volume_mountpoint(v), mp) && !strcmp(volume_workdir(v), strcat(strcpy(path, mp), "/w")),
	   "mount point and workdir are under run_dir/checkouts");
	ok(!strcmp(volume_cipher(v), "aes-256-xts+aes-256-cts"), "cipher is %s", volume_cipher(v));

	random_marker(marker, sizeof(marker));
	random_marker(fmarker, sizeof(fmarker));
	random_marker(control, sizeof(control));
	snprintf(path, sizeof(path), "%s/%s", volume_workdir(v), fmarker);
	write_text(path, marker);
	ok(file_contains(path, marker, strlen(marker)) == 1, "file in workdir reads back in plaintext");
	/* control: the unencrypted mount root shows that the image scan works */
	snprintf(path, sizeof(path), "%s/control", mp);
	write_text(path, control);
	fd = open(mp, O_RDONLY | O_DIRECTORY);
	syncfs(fd);
	close(fd);
	ok(file_contains(img, control, strlen(control)) == 1,
	   "control: plaintext written outside the encrypted dir is visible in the image");
	ok(file_contains(img, marker, strlen(marker)) == 0, "file content is not in the image in plaintext");
	ok(file_contains(img, fmarker, strlen(fmarker)) == 0, "file name is not in the image in plaintext");

	mount_opts(mp, opts, sizeof(opts));
	ok(strstr(opts, "nosuid") && strstr(opts, "nodev") && strstr(opts, "noexec"),
	   "mounted nosuid,nodev,noexec (%s)", opts);

	memset(&ks, 0, sizeof(ks));
	fd = open(volume_workdir(v), O_RDONLY | O_DIRECTORY);
	{
		struct fscrypt_get_policy_ex_arg pol = { .policy_size = sizeof(pol.policy) };

		r = ioctl(fd, FS_IOC_GET_ENCRYPTION_POLICY_EX, &pol);
		ok(r == 0 && pol.policy.version == FSCRYPT_POLICY_V2 &&
		   pol.policy.v2.contents_encryption_mode == FSCRYPT_MODE_AES_256_XTS &&
		   pol.policy.v2.filenames_encryption_mode == FSCRYPT_MODE_AES_256_CTS &&
		   (pol.policy.v2.flags & FSCRYPT_POLICY_FLAGS_PAD_MASK) == FSCRYPT_POLICY_FLAGS_PAD_32,
		   "workdir has a v2 policy: AES-256-XTS contents, AES-256-CTS names, padding 32");
		ks.key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
		memcpy(ks.key_spec.u.identifier, pol.policy.v2.master_key_identifier,
		       FSCRYPT_KEY_IDENTIFIER_SIZE);
	}
	r = ioctl(fd, FS_IOC_GET_ENCRYPTION_KEY_STATUS, &ks);
	ok(r == 0 && ks.status == FSCRYPT_KEY_STATUS_PRESENT, "key is present while the volume lives");
	close(fd);

	r = volume_destroy(v, &t_destroy);
	ok(r == 0, "volume_destroy returns 0 (%s)", strerror(-r));
	printf("# destroy: %lld ms\n", (long long)t_destroy / 1000);
	mount_opts(mp, opts, sizeof(opts));
	ok(opts[0] == '\0', "nothing mounted at the mount point any more");
	ok(!loop_backed_by(img), "no loop device is backed by the image");
	ok(!exists(img), "image file is gone");
	ok(!exists(mp), "mount point is gone");
}

/*
 * A worker creates volume c2, leaves a process inside it and dies by
 * SIGKILL, without any teardown.  Returns the pid of the process left
 * inside (our child by PR_SET_CHILD_SUBREAPER), or -1.
 */
static pid_t crash_worker(void)
{
	pid_t worker, inside = -1;
	int p[2];

	if (pipe(p) < 0)
		return -1;
	worker = fork();
	if (worker == 0) {
		struct volume *v = make("fscrypt", "c2", 64 << 20, NULL);
		char path[PATH_MAX];
		pid_t s;

		if (!v)
			_exit(1);
		snprintf(path, sizeof(path), "%s/leftover", volume_workdir(v));
		write_text(path, "code");
		s = fork();
		if (s == 0) {
			if (chdir(volume_workdir(v)) == 0)
				pause();
			_exit(1);
		}
		if (write(p[1], &s, sizeof(s)) != sizeof(s))
			_exit(1);
		raise(SIGKILL);
	}
	close(p[1]);
	if (read(p[0], &inside, sizeof(inside)) != sizeof(inside))
		inside = -1;
	close(p[0]);
	waitpid(worker, NULL, 0);
	return inside;
}

/* A worker dies with a process still inside: destroy from the name alone. */
static void test_crash(void)
{
	char path[PATH_MAX], img[PATH_MAX], opts[1024], **names = NULL;
	int status = 0, r, listed = 0;
	size_t n = 0, i;
	int64_t us;
	pid_t pid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = crash_worker();
	ok(pid > 0, "a worker made volume c2 and died by SIGKILL with a process inside");
	if (pid <= 0)
		return;
	usleep(100 * 1000);
	volume_list(state_dir, run_dir, &names, &n);
	for (i = 0; i < n; i++)
		listed |= !strcmp(names[i], "c2");
	volume_list_free(names, n);
	ok(listed, "volume_list reports the orphaned volume");
	r = volume_destroy_name(state_dir, run_dir, "c2", &us);
	ok(r == 0, "volume_destroy_name returns 0 (%s) in %lld ms", strerror(-r), (long long)us / 1000);
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	   "the process left inside the volume was killed");
	snprintf(path, sizeof(path), "%s/checkouts/c2", run_dir);
	snprintf(img, sizeof(img), "%s/volumes/c2.img", state_dir);
	mount_opts(path, opts, sizeof(opts));
	ok(!opts[0] && !exists(path) && !exists(img) && !loop_backed_by(img),
	   "no mount, mount point, image or loop device left");
	volume_list(state_dir, run_dir, &names, &n);
	ok(n == 0, "volume_list is empty afterwards (%zu)", n);
	volume_list_free(names, n);
	ok(volume_destroy_name(state_dir, run_dir, "c2", NULL) == 0, "destroy_name again is a no-op");
}

/* Symlinks planted inside a volume, or in Lethe's dirs, go nowhere. */
static void test_symlinks(void)
{
	char outside[2048], outdir[2048], path[PATH_MAX], buf[64] = "";
	struct volume *v;
	int fd, r;

	snprintf(outside, sizeof(outside), "%s/precious", scratch);
	snprintf(outdir, sizeof(outdir), "%s/precious.d", scratch);
	write_text(outside, "keep me");
	mkdir(outdir, 0755);
	snprintf(path, sizeof(path), "%s/inner", outdir);
	write_text(path, "keep me too");

	v = make("fscrypt", "c3", 64 << 20, NULL);
	ok(v != NULL, "third volume created");
	if (v) {
		snprintf(path, sizeof(path), "%s/link", volume_workdir(v));
		r = symlink(outside, path);
		snprintf(path, sizeof(path), "%s/dirlink", volume_workdir(v));
		r |= symlink(outdir, path);
		snprintf(path, sizeof(path), "%s/rootlink", volume_mountpoint(v));
		r |= symlink(outdir, path);
		ok(r == 0, "symlinks to outside planted in the checkout");
		ok(volume_destroy(v, NULL) == 0, "destroy with planted symlinks returns 0");
	}
	/* leftovers that are symlinks themselves */
	snprintf(path, sizeof(path), "%s/checkouts/c4", run_dir);
	r = symlink(outdir, path);
	snprintf(path, sizeof(path), "%s/volumes/c4.img", state_dir);
	r |= symlink(outside, path);
	volume_destroy_name(state_dir, run_dir, "c4", NULL);
	ok(r == 0 && !exists(path), "a symlinked image is unlinked as a link");
	fd = open(outside, O_RDONLY);
	r = fd >= 0 ? (int)read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	ok(r == 7 && !strncmp(buf, "keep me", 7), "file outside, linked from the checkout, is untouched");
	snprintf(path, sizeof(path), "%s/inner", outdir);
	ok(exists(path), "directory outside, linked from the checkout, is untouched");
	snprintf(path, sizeof(path), "%s/checkouts/c4", run_dir);
	ok(exists(path), "a symlink in place of a mount point is not followed (left for the operator)");
	unlink(path);
}

/*
 * A scan still running in the sandbox holds the volume through its mount
 * namespace only (its cwd and fds are elsewhere): destroy must kill it and
 * still unmount and detach for real.
 */
static void test_sandbox_inside(void)
{
	char marker[40], script[160], sleeper[32], path[PATH_MAX], img[PATH_MAX];
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct sandbox_opts so = { NULL, NULL, argv, NULL, 0, { 0 }, false };
	struct sandbox_result sr;
	int status = -1, i, r;
	pid_t pid, holder;
	struct volume *v;

	if (!getpwnam(SANDBOX_USER) || access(SANDBOX_BWRAP, X_OK) < 0) {
		skip(4, "needs bubblewrap and the " SANDBOX_USER " user");
		return;
	}
	v = make("fscrypt", "c6", 64 << 20, NULL);
	if (!v) {
		ok(0, "volume for the sandbox created");
		return;
	}
	random_marker(marker, sizeof(marker));
	snprintf(path, sizeof(path), "%s/code.c", volume_workdir(v));
	write_text(path, marker);
	snprintf(script, sizeof(script), "cat /workspace/code.c; cd /; sleep 60.%d; : %s",
		 (int)getpid(), marker);
	/* the sleep itself, not the shell: its last argument ends the line */
	snprintf(sleeper, sizeof(sleeper), "sleep 60.%d ", (int)getpid());
	so.workspace = volume_workdir(v);
	sandbox_limits_default(&so.lim);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		r = sandbox_run(&so, &sr);
		_exit(r == 0 && sr.out && strstr(sr.out, marker) && !sr.timed_out ? 0 : 1);
	}
	/* and a process whose only hold is a copy of the mount in its namespace */
	holder = fork();
	if (holder == 0) {
		if (chdir("/") == 0 && unshare(CLONE_NEWNS) == 0 &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
			pause();
		_exit(1);
	}
	for (i = 0; i < 500 && !process_with(sleeper); i++)	/* cat is done */
		usleep(10000);
	snprintf(img, sizeof(img), "%s/volumes/c6.img", state_dir);
	r = volume_destroy(v, NULL);
	ok(r == 0 && !loop_backed_by(img) && !exists(img),
	   "destroy with a sandbox running on the volume: unmounted and detached (%d)", r);
	ok(!process_with(marker), "the sandboxed processes were killed");
	for (i = 0; i < 200 && waitpid(holder, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (i == 200) {		/* still there: fail, but do not hang */
		kill(holder, SIGTERM);
		waitpid(holder, &status, 0);
	}
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	   "a process holding the mount only through its mount namespace was killed");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the sandbox had read the checkout before, and its caller saw it end");
}

/*
 * The caller itself still holds the volume open (teardown never kills its
 * own process): the key must be gone anyway, the plaintext unreachable, and
 * the lazy unmount and loop autoclear must finish the job once it lets go.
 */
static void test_key_removed(void)
{
	char marker[40], path[PATH_MAX], img[PATH_MAX], opts[1024], mp[2048];
	struct fscrypt_get_policy_ex_arg pol = { .policy_size = sizeof(pol.policy) };
	struct fscrypt_get_key_status_arg ks;
	int rootfd, wfd, fd, r, i, err;
	struct volume *v;
	int64_t us;

	v = make("fscrypt", "c7", 64 << 20, NULL);
	if (!v) {
		ok(0, "volume for the key test created");
		return;
	}
	random_marker(marker, sizeof(marker));
	snprintf(path, sizeof(path), "%s/secret.txt", volume_workdir(v));
	write_text(path, marker);
	snprintf(mp, sizeof(mp), "%s", volume_mountpoint(v));
	snprintf(img, sizeof(img), "%s/volumes/c7.img", state_dir);
	rootfd = open(mp, O_RDONLY | O_DIRECTORY);
	wfd = open(volume_workdir(v), O_RDONLY | O_DIRECTORY);
	r = ioctl(wfd, FS_IOC_GET_ENCRYPTION_POLICY_EX, &pol);
	close(wfd);
	memset(&ks, 0, sizeof(ks));
	ks.key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	memcpy(ks.key_spec.u.identifier, pol.policy.v2.master_key_identifier, FSCRYPT_KEY_IDENTIFIER_SIZE);

	r = r == 0 ? volume_destroy(v, &us) : r;
	diag("destroy while the caller holds the volume open: %lld ms", (long long)us / 1000);
	mount_opts(mp, opts, sizeof(opts));
	ok(r == 0 && !opts[0], "destroy returns 0 and the volume is unmounted here (%d)", r);
	r = ioctl(rootfd, FS_IOC_GET_ENCRYPTION_KEY_STATUS, &ks);
	ok(r == 0 && ks.status == FSCRYPT_KEY_STATUS_ABSENT,
	   "the key is removed from the filesystem (status %u)", ks.status);
	fd = openat(rootfd, "w/secret.txt", O_RDONLY);
	err = errno;	/* EIO: the filesystem itself was shut down first */
	ok(fd < 0 && (err == ENOENT || err == ENOKEY || err == EIO),
	   "the checkout's files are unreachable without it (%s)", fd < 0 ? strerror(err) : "opened");
	if (fd >= 0)
		close(fd);
	close(rootfd);
	for (i = 0; i < 200 && loop_backed_by(img); i++)
		usleep(10000);
	ok(!loop_backed_by(img) && !exists(img), "once let go, the loop device detaches itself");
}

static void test_names(void)
{
	static const char *bad[] = { "", "-a", "A1", "a/b", "..", ".", "a.b", "a b", "c\n",
		"abcdefghijklmnopqrstuvwxyz0123456", "../../etc" };
	char why[256], **names;
	struct volume *v;
	size_t i, n;
	int all = 1;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct volume_opts o = { "fscrypt", state_dir, run_dir, bad[i], 0 };

		why[0] = '\0';
		v = NULL;
		all &= volume_create(&o, &v, why, sizeof(why)) == -EINVAL && !v && why[0];
		all &= volume_destroy_name(state_dir, run_dir, bad[i], NULL) == -EINVAL;
	}
	ok(all, "invalid names are refused by create and destroy_name, with a reason");
	volume_list(state_dir, run_dir, &names, &n);
	ok(n == 0, "and nothing was created");
	volume_list_free(names, n);
	ok(volume_name_check("c42") == 0 && volume_name_check("abcdefghijklmnopqrstuvwxyz012345") == 0,
	   "valid names accepted");
	{
		struct volume_opts o = { "plain", state_dir, run_dir, "c5", 0 };

		v = NULL;
		ok(volume_create(&o, &v, why, sizeof(why)) == -EINVAL && !v,
		   "unknown backend refused: %s", why);
	}
}

static void test_luks2(void)
{
	unsigned char key[VOLUME_LUKS2_KEY_BYTES], head[4096], zero[4096] = { 0 };
	struct crypt_device *cd = NULL;
	struct volume *v = NULL;
	char path[PATH_MAX], why[256] = "";
	int fd, r, loaded;

	snprintf(path, sizeof(path), "%s/luks.img", scratch);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	r = fd >= 0 ? ftruncate(fd, 32 << 20) : -1;
	if (fd >= 0)
		close(fd);
	RAND_bytes(key, sizeof(key));
	r = r == 0 ? volume_luks2_format(path, key, sizeof(key)) : -1;
	OPENSSL_cleanse(key, sizeof(key));
	ok(r == 0, "LUKS2 header formatted on a file (%d)", r);
	loaded = crypt_init(&cd, path) == 0 && crypt_load(cd, CRYPT_LUKS2, NULL) == 0;
	ok(loaded && !strcmp(crypt_get_cipher(cd), "aes") &&
	   !strcmp(crypt_get_cipher_mode(cd), "xts-plain64") && crypt_get_volume_key_size(cd) == 64,
	   "crypt_load finds LUKS2 aes-xts-plain64 with a 512-bit key");
	ok(loaded && (crypt_keyslot_status(cd, 0) == CRYPT_SLOT_ACTIVE ||
			   crypt_keyslot_status(cd, 0) == CRYPT_SLOT_ACTIVE_LAST), "keyslot 0 is active");
	crypt_free(cd);
	cd = NULL;
	ok(volume_luks2_wipe(path) == 0, "volume_luks2_wipe returns 0");
	r = crypt_init(&cd, path) == 0 ? crypt_load(cd, CRYPT_LUKS, NULL) : 0;
	crypt_free(cd);
	ok(r < 0, "crypt_load no longer finds a header");
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && read(fd, head, sizeof(head)) == sizeof(head) && !memcmp(head, zero, sizeof(head)),
	   "header area is zeroes");
	if (fd >= 0)
		close(fd);
	unlink(path);

	if (access("/sys/module/dm_crypt", F_OK) == 0) {
		v = make("luks2", "l1", 64 << 20, NULL);
		ok(v && !strcmp(volume_cipher(v), "aes-xts-plain64"), "luks2 volume created");
		ok(volume_destroy(v, NULL) == 0, "luks2 volume destroyed");
		return;
	}
	{
		struct volume_opts o = { "luks2", state_dir, run_dir, "l1", 64 << 20 };

		r = volume_create(&o, &v, why, sizeof(why));
		ok(r == -EOPNOTSUPP && !v && strstr(why, "dm-crypt"),
		   "luks2 without dm-crypt is refused with a reason: %s", why);
	}
	/* luks2 activation, mkfs and mount; then deactivate, wipe, detach */
	skip(2, "activation needs device-mapper, not available on this kernel");
}

static int setup(void)
{
	const char *base = getenv("LETHE_SHARED");

	if (!base || !*base)
		base = "/tmp";
	mkdir(base, 0755);
	snprintf(scratch, sizeof(scratch), "%s/volume_test.XXXXXX", base);
	if (!mkdtemp(scratch))
		return -errno;
	chmod(scratch, 0755);
	snprintf(state_dir, sizeof(state_dir), "%s/state", scratch);
	snprintf(run_dir, sizeof(run_dir), "%s/run", scratch);
	if (mkdir(state_dir, 0700) < 0 || mkdir(run_dir, 0755) < 0)
		return -errno;
	return 0;
}

int main(void)
{
	char cmd[PATH_MAX + 32];

	if (geteuid() != 0 || access("/dev/loop-control", W_OK) < 0) {
		printf("1..0 # SKIP needs root and loop devices\n");
		return 0;
	}
	if (setup() < 0) {
		printf("1..0 # SKIP unable to make a scratch directory\n");
		return 0;
	}
	test_names();
	if (access("/sys/fs/ext4/features/encryption", F_OK) == 0) {
		test_fscrypt_lifecycle();
		test_crash();
		test_symlinks();
		test_sandbox_inside();
		test_key_removed();
	} else {
		skip(1, "fscrypt volumes need a kernel with ext4 encryption");
	}
	test_luks2();
	done_testing();
	/* best effort: nothing should be left, but never leave a mount behind */
	volume_destroy_name(state_dir, run_dir, "c3", NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system '%s'", scratch);
	if (system(cmd) != 0)
		printf("# unable to remove %s\n", scratch);
	return tap_exit();
}
