/*
 * volume.c - encrypted ephemeral checkout volumes (see volume.h).
 *
 * Creation: image file (O_EXCL) -> loop device (LOOP_CONFIGURE, no
 * autoclear) -> [LUKS2 format + dm-crypt mapping] -> mkfs.ext4 -> mount
 * nosuid,nodev,noexec -> checkout directory "w" [+ fscrypt key and policy].
 * Teardown walks the same chain backwards from whatever it finds, so the
 * one function serves volume_destroy, volume_destroy_name and the cleanup
 * of a failed volume_create.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/fscrypt.h>
#include <linux/loop.h>

#include <libcryptsetup.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "util.h"
#include "volume.h"

/* ext4's shutdown ioctl (linux/fs/ext4/ext4.h; no uapi header has it) */
#define EXT4_IOC_SHUTDOWN		_IOR('X', 125, uint32_t)
#define EXT4_GOING_FLAGS_NOLOGFLUSH	0x2

#define MKFS		"/sbin/mkfs.ext4"
#define MAPPER_PREFIX	"lethe-"
#define KEY_BYTES	64
#define KILL_ROUNDS	50
#define UMOUNT_TRIES	10
#define TREE_DEPTH_MAX	256

struct volume {
	char *state_dir, *run_dir, *name;
	char *mountpoint, *workdir;
	const char *backend, *cipher;
	struct fscrypt_key_specifier key_spec;
	bool have_key_spec;
};

static void why_set(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

int volume_name_check(const char *name)
{
	size_t i;

	if (!name || !name[0] || strlen(name) > VOLUME_NAME_MAX || name[0] == '-')
		return -EINVAL;
	for (i = 0; name[i]; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '-')
			return -EINVAL;
	return 0;
}

/* ---- directories, walked without following symlinks ---- */

/* Open (and with mode != 0 create) directory sub under at, never a symlink. */
static int dir_open(int at, const char *sub, mode_t mode)
{
	int fd = openat(at, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && mode) {
		if (mkdirat(at, sub, mode) < 0 && errno != EEXIST)
			return -errno;
		fd = openat(at, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

/* Open top/sub: top is the configured directory, sub one level below it. */
static int dir_open2(const char *top, const char *sub, mode_t mode)
{
	int tfd, fd;

	tfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return -errno;
	fd = dir_open(tfd, sub, mode);
	close(tfd);
	return fd;
}

/* The absolute path the kernel knows for fd, into buf. */
static int fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Remove everything below dirfd, never crossing symlinks or mounts. */
static int tree_clear(int dirfd, int depth)
{
	struct stat top, st;
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (depth > TREE_DEPTH_MAX || fstat(dirfd, &top) < 0)
		return -ELOOP;
	fd = dup(dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0 || errno != EISDIR)
			continue;
		fd = dir_open(dirfd, de->d_name, 0);
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != top.st_dev) {
			r = fd < 0 ? fd : -EBUSY;
			close_fd(&fd);
			continue;
		}
		r = tree_clear(fd, depth + 1);
		close(fd);
		if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0 && !r)
			r = -errno;
	}
	closedir(d);
	return r;
}

/* ---- mkfs, loop devices, key memory ---- */

/* Run mkfs.ext4 on dev with a fixed argv and environment, no shell. */
static int mkfs_run(const char *dev, bool encrypt)
{
	const char *argv[] = { MKFS, "-q", "-F", "-b", "4096", "-m", "0",
		"-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard",
		"-O", encrypt ? "encrypt" : "^encrypt", dev, NULL };
	const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL };
	int status, nul;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
		}
		execve(MKFS, (char **)argv, (char **)envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Attach imgfd to a free loop device (autoclear off); its path into dev. */
static int loop_attach(int imgfd, const char *name, char *dev, size_t devlen)
{
	struct loop_config cfg;
	int ctl, fd, n, tries, r = -EBUSY;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	for (tries = 0; tries < 16 && r == -EBUSY; tries++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			r = -errno;
			break;
		}
		snprintf(dev, devlen, "/dev/loop%d", n);
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			break;
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = imgfd;
		snprintf((char *)cfg.info.lo_file_name, LO_NAME_SIZE, MAPPER_PREFIX "%s", name);
		r = ioctl(fd, LOOP_CONFIGURE, &cfg) < 0 ? -errno : 0;
		close(fd);
	}
	close(ctl);
	return r;
}

/* One page of locked, never-dumped memory for key material. */
static void *secret_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mlock(p, len) < 0) {
		munmap(p, len);
		return NULL;
	}
	madvise(p, len, MADV_DONTDUMP);
	return p;
}

static void secret_free(void *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	munlock(p, len);
	munmap(p, len);
}

/* ---- teardown ---- */

/* Does /proc/PID/maps or /proc/PID/mountinfo mention device dev? */
static bool proc_file_has_dev(int pidfd, const char *file, dev_t dev)
{
	char line[4096], want[32];
	bool found = false;
	FILE *f;
	int fd;

	if (!strcmp(file, "maps"))	/* "addr perms offset MAJ:MIN inode path", hex */
		snprintf(want, sizeof(want), " %02x:%02x ", major(dev), minor(dev));
	else				/* "id parent MAJ:MIN root ...", decimal */
		snprintf(want, sizeof(want), " %u:%u ", major(dev), minor(dev));
	fd = openat(pidfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want) != NULL;
	fclose(f);
	return found;
}

static bool stat_on_dev(int at, const char *path, dev_t dev)
{
	struct stat st;

	return fstatat(at, path, &st, 0) == 0 && st.st_dev == dev;
}

/* Does process pidfd (a /proc/PID directory) hold anything on dev? */
static bool pid_uses_dev(int pidfd, dev_t dev, ino_t my_mntns, bool foreign_only)
{
	struct dirent *de;
	struct stat ns;
	bool used;
	DIR *d;
	int fd;

	/* another mount namespace (a sandbox) keeps the filesystem alive */
	used = fstatat(pidfd, "ns/mnt", &ns, 0) == 0 && ns.st_ino != my_mntns &&
	       proc_file_has_dev(pidfd, "mountinfo", dev);
	if (foreign_only)
		return used;
	used = used || stat_on_dev(pidfd, "cwd", dev) || stat_on_dev(pidfd, "root", dev) ||
	       stat_on_dev(pidfd, "exe", dev) || proc_file_has_dev(pidfd, "maps", dev);
	fd = openat(pidfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (used || fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0 && !used)
			close(fd);
		return used;
	}
	while (!used && (de = readdir(d)))
		used = de->d_name[0] != '.' && stat_on_dev(fd, de->d_name, dev);
	closedir(d);
	return used;
}

/* One pass over /proc: SIGKILL (unless dry) every user of dev; how many were found. */
static int kill_pass(dev_t dev, ino_t my_mntns, bool foreign_only, bool dry)
{
	struct dirent *de;
	int found = 0, pidfd;
	pid_t pid;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (pid <= 0 || pid == getpid())
			continue;
		pidfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pidfd < 0)
			continue;
		if (pid_uses_dev(pidfd, dev, my_mntns, foreign_only) && (dry || kill(pid, SIGKILL) == 0))
			found++;
		close(pidfd);
	}
	closedir(d);
	return found;
}

/*
 * Kill every process that keeps dev's filesystem alive.  foreign_only looks
 * only at other mount namespaces, which is cheap; the full scan also reads
 * every process's fds and memory maps.  A sandbox that another scan is
 * starting holds a copy of every mount for the few milliseconds before it
 * pivots into its own root and lets them go: a namespace seen holding dev
 * is given a moment to do so before anything is killed.
 */
static void kill_users(dev_t dev, bool foreign_only)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 }, grace = { 0, 250 * 1000 * 1000 };
	struct stat ns;
	int round;

	if (stat("/proc/self/ns/mnt", &ns) < 0)
		ns.st_ino = 0;
	if (foreign_only && kill_pass(dev, ns.st_ino, true, true) <= 0)
		return;
	if (foreign_only)
		nanosleep(&grace, NULL);
	for (round = 0; round < KILL_ROUNDS; round++) {
		if (kill_pass(dev, ns.st_ino, foreign_only, false) <= 0)
			return;
		nanosleep(&ts, NULL);
	}
}

/* Remove the fscrypt key of rootfd/w, known or read from its policy. */
static void fscrypt_key_remove(int rootfd, const struct fscrypt_key_specifier *known)
{
	struct fscrypt_get_policy_ex_arg pol;
	struct fscrypt_remove_key_arg rm;
	int wfd;

	memset(&rm, 0, sizeof(rm));
	if (known) {
		rm.key_spec = *known;
	} else {
		wfd = dir_open(rootfd, "w", 0);
		memset(&pol, 0, sizeof(pol));
		pol.policy_size = sizeof(pol.policy);
		if (wfd < 0 || ioctl(wfd, FS_IOC_GET_ENCRYPTION_POLICY_EX, &pol) < 0 ||
		    pol.policy.version != FSCRYPT_POLICY_V2) {
			close_fd(&wfd);
			return;
		}
		close(wfd);
		rm.key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
		memcpy(rm.key_spec.u.identifier, pol.policy.v2.master_key_identifier,
		       FSCRYPT_KEY_IDENTIFIER_SIZE);
	}
	(void)ioctl(rootfd, FS_IOC_REMOVE_ENCRYPTION_KEY, &rm);
}

/* Is the block device dev still claimed (mounted in some namespace)? */
static bool dev_claimed(dev_t dev)
{
	char link[64], target[PATH_MAX], node[PATH_MAX + 8];
	const char *base;
	ssize_t n;
	int fd;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	snprintf(node, sizeof(node), "/dev/%s", base);
	fd = open(node, O_RDONLY | O_EXCL | O_CLOEXEC);	/* a mounted device refuses */
	if (fd < 0)
		return errno == EBUSY;
	close(fd);
	return false;
}

/*
 * Stop the checkout's filesystem at once (ext4's shutdown, without even
 * flushing the journal): its dirty pages are dropped at eviction instead
 * of being encrypted and written to an image that is about to be
 * destroyed, which is most of a teardown's cost otherwise.  Failure is
 * harmless: the key removal and unmount then write it back.
 */
static void fs_shutdown(int rootfd)
{
	uint32_t flags = EXT4_GOING_FLAGS_NOLOGFLUSH;

	(void)ioctl(rootfd, EXT4_IOC_SHUTDOWN, &flags);
}

/*
 * Unmount checkouts/name if mounted.  Sandboxes hold the volume through
 * their own mount namespaces and are killed first; holders in ours make
 * umount fail with EBUSY, and only then is the costly full scan needed.
 */
static int mount_teardown(int cofd, const char *name, const struct fscrypt_key_specifier *key)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char path[PATH_MAX - 64];
	struct stat top, st;
	int fd, i, r = 0;

	fd = dir_open(cofd, name, 0);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (fstat(cofd, &top) < 0 || fstat(fd, &st) < 0 || st.st_dev == top.st_dev) {
		close(fd);
		return 0;
	}
	kill_users(st.st_dev, true);
	fs_shutdown(fd);
	fscrypt_key_remove(fd, key);
	close(fd);
	r = fd_path(cofd, path, sizeof(path));
	if (r < 0)
		return r;
	strcat(path, "/");
	strcat(path, name);
	for (i = 0; i < UMOUNT_TRIES && umount2(path, UMOUNT_NOFOLLOW) < 0; i++) {
		if (errno == EINVAL)
			break;	/* not mounted (any more) */
		kill_users(st.st_dev, false);
		nanosleep(&ts, NULL);	/* killed processes may still be exiting */
	}
	/* last resort: detach now, the kernel frees it when the last user goes */
	if (i == UMOUNT_TRIES && umount2(path, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)
		return -errno;
	/* gone from every namespace we saw; a hidden holder needs the full scan */
	if (dev_claimed(st.st_dev))
		kill_users(st.st_dev, false);
	return 0;
}

/* The absolute path of STATE_DIR/volumes, into buf. */
static int voldir_path(const char *state_dir, char *buf, size_t len)
{
	int fd = dir_open2(state_dir, "volumes", 0), r;

	if (fd < 0)
		return fd;
	r = fd_path(fd, buf, len);
	close(fd);
	return r;
}

/* Is this mapping on a loop device backed by an image in voldir? */
static bool mapping_ours(struct crypt_device *cd, const char *voldir)
{
	const char *dev = crypt_get_device_name(cd);
	char path[PATH_MAX], back[PATH_MAX];
	size_t len = strlen(voldir);
	ssize_t n;
	int fd;

	if (!dev || strncmp(dev, "/dev/loop", 9) || strchr(dev + 5, '/'))
		return false;
	snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", dev + 5);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, back, sizeof(back) - 1);
	close_fd(&fd);
	if (n <= 0)
		return false;
	back[n] = '\0';
	return !strncmp(back, voldir, len) && back[len] == '/';
}

/* Open mapping lethe-NAME if it exists and belongs to this state_dir. */
static struct crypt_device *mapping_open(const char *state_dir, const char *name)
{
	struct crypt_device *cd = NULL;
	char map[64], voldir[PATH_MAX];

	snprintf(map, sizeof(map), "/dev/mapper/" MAPPER_PREFIX "%s", name);
	if (access(map, F_OK) < 0 || voldir_path(state_dir, voldir, sizeof(voldir)) < 0)
		return NULL;	/* no such mapping, or no volumes of ours */
	if (crypt_init_by_name(&cd, map + strlen("/dev/mapper/")) < 0)
		return NULL;
	if (!mapping_ours(cd, voldir)) {	/* another Lethe's: not ours to close */
		crypt_free(cd);
		return NULL;
	}
	return cd;
}

static int mapping_teardown(const char *state_dir, const char *name)
{
	struct crypt_device *cd = mapping_open(state_dir, name);
	char map[64];
	int r;

	if (!cd)
		return 0;
	snprintf(map, sizeof(map), MAPPER_PREFIX "%s", name);
	r = crypt_deactivate(cd, map);
	crypt_free(cd);
	return r < 0 ? r : 0;
}

/* Detach every loop device whose backing file is imgpath. */
static int loop_teardown(const char *imgpath)
{
	char file[NAME_MAX + 32], dev[NAME_MAX + 8], back[PATH_MAX];
	size_t len = strlen(imgpath);
	struct dirent *de;
	int fd, r = 0;
	ssize_t n;
	DIR *d;

	d = opendir("/sys/block");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(file, sizeof(file), "%s/loop/backing_file", de->d_name);
		fd = openat(dirfd(d), file, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, back, sizeof(back) - 1);
		close_fd(&fd);
		if (n <= 0)
			continue;
		back[n] = '\0';
		back[strcspn(back, "\n")] = '\0';
		/* an unlinked backing file shows as "PATH (deleted)" */
		if (strncmp(back, imgpath, len) || (back[len] && strcmp(back + len, " (deleted)")))
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", de->d_name);
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0 || (ioctl(fd, LOOP_CLR_FD, 0) < 0 && errno != ENXIO))
			r = -errno;
		close_fd(&fd);
	}
	closedir(d);
	return r;
}

static bool image_is_luks(int vfd, const char *img)
{
	static const unsigned char magic[6] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };
	unsigned char buf[6];
	bool luks;
	int fd;

	fd = openat(vfd, img, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	luks = pread(fd, buf, sizeof(buf), 0) == sizeof(buf) && !memcmp(buf, magic, sizeof(buf));
	close(fd);
	return luks;
}

/* Detach, wipe and unlink volumes/name.img. */
static int image_teardown(const char *state_dir, const char *name)
{
	char img[VOLUME_NAME_MAX + 8], path[PATH_MAX];
	int vfd, r;

	vfd = dir_open2(state_dir, "volumes", 0);
	if (vfd < 0)
		return vfd == -ENOENT ? 0 : vfd;
	snprintf(img, sizeof(img), "%s.img", name);
	r = fd_path(vfd, path, sizeof(path) - sizeof(img) - 1);
	if (r < 0)
		goto out;
	strcat(path, "/");
	strcat(path, img);
	r = loop_teardown(path);
	if (image_is_luks(vfd, img) && volume_luks2_wipe(path) < 0 && !r)
		r = -EIO;
	if (unlinkat(vfd, img, 0) < 0 && errno != ENOENT && !r)
		r = -errno;
out:
	close(vfd);
	return r;
}

static int mountpoint_remove(int cofd, const char *name)
{
	int fd, r;

	fd = dir_open(cofd, name, 0);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	r = tree_clear(fd, 0);	/* an unmounted mount point must be empty */
	close(fd);
	if (unlinkat(cofd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !r)
		r = -errno;
	return r;
}

/* The whole teardown; each step tolerates its object being absent. */
static int teardown(const char *state_dir, const char *run_dir, const char *name,
		    const struct fscrypt_key_specifier *key)
{
	int cofd, r, r2;

	cofd = dir_open2(run_dir, "checkouts", 0);
	r = cofd == -ENOENT ? 0 : cofd;
	if (cofd >= 0)
		r = mount_teardown(cofd, name, key);
	r2 = mapping_teardown(state_dir, name);
	r = r ? r : r2;
	r2 = image_teardown(state_dir, name);
	r = r ? r : r2;
	if (cofd >= 0) {
		r2 = mountpoint_remove(cofd, name);
		r = r ? r : r2;
		close(cofd);
	}
	return r;
}

int volume_destroy_name(const char *state_dir, const char *run_dir,
			const char *name, int64_t *usec)
{
	int64_t t0 = mono_usec();
	int r;

	if (!state_dir || !run_dir || volume_name_check(name) < 0)
		return -EINVAL;
	r = teardown(state_dir, run_dir, name, NULL);
	if (usec)
		*usec = mono_usec() - t0;
	return r;
}

static void volume_free(struct volume *v)
{
	if (!v)
		return;
	free(v->state_dir);
	free(v->run_dir);
	free(v->name);
	free(v->mountpoint);
	free(v->workdir);
	free(v);
}

int volume_destroy(struct volume *v, int64_t *usec)
{
	int64_t t0 = mono_usec();
	int r;

	if (!v)
		return 0;
	r = teardown(v->state_dir, v->run_dir, v->name, v->have_key_spec ? &v->key_spec : NULL);
	OPENSSL_cleanse(&v->key_spec, sizeof(v->key_spec));
	volume_free(v);
	if (usec)
		*usec = mono_usec() - t0;
	return r;
}

/* ---- LUKS2 ---- */

int volume_luks2_format(const char *device, const unsigned char *key, size_t keylen)
{
	/*
	 * The volume key is random and never stored, and the keyslot
	 * passphrase is random and forgotten at once: nothing here is
	 * guessable, so a slow key derivation would only cost time.  PBKDF2
	 * at libcryptsetup's minimum iteration count is enough.
	 */
	struct crypt_pbkdf_type pbkdf = {
		.type = CRYPT_KDF_PBKDF2, .hash = "sha256", .iterations = 1000,
		.flags = CRYPT_PBKDF_NO_BENCHMARK,
	};
	struct crypt_device *cd = NULL;
	unsigned char pass[32];
	int r;

	r = crypt_init(&cd, device);
	if (r < 0)
		return r;
	r = crypt_set_pbkdf_type(cd, &pbkdf);
	if (r == 0)
		r = crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", NULL,
				 (const char *)key, keylen, NULL);
	if (r == 0 && RAND_priv_bytes(pass, sizeof(pass)) != 1)
		r = -EIO;
	if (r == 0)
		r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, (const char *)key,
						    keylen, (const char *)pass, sizeof(pass));
	OPENSSL_cleanse(pass, sizeof(pass));
	crypt_free(cd);
	return r < 0 ? r : 0;
}

int volume_luks2_wipe(const char *device)
{
	static const char zero[65536];
	struct crypt_device *cd = NULL;
	uint64_t len = 0, off;
	int fd, r;

	r = crypt_init(&cd, device);
	if (r < 0)
		return r;
	if (crypt_load(cd, CRYPT_LUKS, NULL) == 0)
		len = crypt_get_data_offset(cd) * 512;	/* header + keyslot area */
	crypt_free(cd);
	if (!len)
		return 0;
	fd = open(device, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (off = 0; off < len && r == 0; off += sizeof(zero))
		if (pwrite(fd, zero, sizeof(zero), (off_t)off) != (ssize_t)sizeof(zero))
			r = -EIO;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* ---- creation ---- */

/* device-mapper present, and dm-crypt loaded or loadable */
static bool dmcrypt_usable(void)
{
	static const char *const ext[] = { "", ".xz", ".zst", ".gz" };
	char mod[sizeof(((struct utsname *)0)->release) + 64];
	struct utsname u;
	size_t i;

	if (access("/sys/class/misc/device-mapper", F_OK) < 0 || uname(&u) < 0)
		return false;
	if (access("/sys/module/dm_crypt", F_OK) == 0)
		return true;
	for (i = 0; i < ARRAY_SIZE(ext); i++) {
		snprintf(mod, sizeof(mod), "/lib/modules/%s/kernel/drivers/md/dm-crypt.ko%s",
			 u.release, ext[i]);
		if (access(mod, F_OK) == 0)
			return true;
	}
	return false;
}

static bool fscrypt_usable(void)
{
	return access("/dev/loop-control", R_OK | W_OK) == 0 &&
	       access("/sys/fs/ext4/features/encryption", F_OK) == 0;
}

static int backend_pick(const char *want, const char **backend, char *why, size_t len)
{
	bool any = !want || !strcmp(want, "auto");

	if ((any || !strcmp(want, "luks2")) && dmcrypt_usable())
		*backend = "luks2";
	else if ((any || !strcmp(want, "fscrypt")) && fscrypt_usable())
		*backend = "fscrypt";
	else if (!any && strcmp(want, "luks2") && strcmp(want, "fscrypt")) {
		why_set(why, len, "unknown volume backend '%s'", want);
		return -EINVAL;
	} else {
		why_set(why, len, "no encrypted volume backend: %s",
			any ? "neither dm-crypt nor ext4 encryption on loop devices is available" :
			!strcmp(want, "luks2") ? "dm-crypt is not available" :
			"ext4 encryption on loop devices is not available");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Add a fresh random key to the filesystem and put w under its policy. */
static int fscrypt_setup(struct volume *v, int wfd)
{
	size_t len = sizeof(struct fscrypt_add_key_arg) + KEY_BYTES;
	struct fscrypt_policy_v2 pol = {
		.version = FSCRYPT_POLICY_V2,
		.contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS,
		.filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS,
		.flags = FSCRYPT_POLICY_FLAGS_PAD_32,
	};
	struct fscrypt_add_key_arg *arg;
	int r = 0;

	arg = secret_alloc(len);
	if (!arg)
		return -ENOMEM;
	arg->key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	arg->raw_size = KEY_BYTES;
	if (RAND_priv_bytes(arg->raw, KEY_BYTES) != 1)
		r = -EIO;
	else if (ioctl(wfd, FS_IOC_ADD_ENCRYPTION_KEY, arg) < 0)
		r = -errno;
	v->key_spec = arg->key_spec;	/* the identifier: not secret */
	v->have_key_spec = r == 0;
	secret_free(arg, len);		/* the kernel has its copy now */
	if (r < 0)
		return r;
	memcpy(pol.master_key_identifier, v->key_spec.u.identifier, FSCRYPT_KEY_IDENTIFIER_SIZE);
	return ioctl(wfd, FS_IOC_SET_ENCRYPTION_POLICY, &pol) < 0 ? -errno : 0;
}

/* LUKS2-format loopdev with a fresh key and open it as lethe-NAME. */
static int luks2_setup(const char *loopdev, const char *name, char *mapdev, size_t len)
{
	struct crypt_device *cd = NULL;
	unsigned char *key;
	char map[64];
	int r;

	key = secret_alloc(KEY_BYTES);
	if (!key)
		return -ENOMEM;
	r = RAND_priv_bytes(key, KEY_BYTES) == 1 ? 0 : -EIO;
	if (r == 0)
		r = volume_luks2_format(loopdev, key, KEY_BYTES);
	if (r == 0)
		r = crypt_init(&cd, loopdev);
	if (r == 0)
		r = crypt_load(cd, CRYPT_LUKS2, NULL);
	snprintf(map, sizeof(map), MAPPER_PREFIX "%s", name);
	if (r == 0)
		r = crypt_activate_by_volume_key(cd, map, (const char *)key, KEY_BYTES, 0);
	secret_free(key, KEY_BYTES);
	crypt_free(cd);
	snprintf(mapdev, len, "/dev/mapper/%s", map);
	return r < 0 ? r : 0;
}

/* mkfs, mount on checkouts/name (through its fd), create w. */
static int fs_setup(struct volume *v, int cofd, const char *dev, char *why, size_t len)
{
	char target[64], path[PATH_MAX - 64];
	int mfd = -1, wfd = -1, r;
	bool fscrypt = !strcmp(v->backend, "fscrypt");

	r = mkfs_run(dev, fscrypt);
	if (r < 0) {
		why_set(why, len, "mkfs.ext4 on '%s' failed", dev);
		return r;
	}
	mfd = dir_open(cofd, v->name, 0);
	if (mfd < 0)
		return mfd;
	/* mount onto the directory we opened, not onto a path that may change */
	snprintf(target, sizeof(target), "/proc/self/fd/%d", mfd);
	if (mount(dev, target, "ext4", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME,
		  "noinit_itable") < 0) {
		r = -errno;
		why_set(why, len, "unable to mount '%s': %s", dev, strerror(errno));
		goto out;
	}
	close_fd(&mfd);
	mfd = dir_open(cofd, v->name, 0);
	if (mfd < 0 || (r = fd_path(mfd, path, sizeof(path))) < 0) {
		r = mfd < 0 ? mfd : r;
		goto out;
	}
	v->mountpoint = xstrdup(path);
	v->workdir = xasprintf("%s/w", path);
	wfd = dir_open(mfd, "w", 0755);
	r = wfd < 0 ? wfd : 0;
	if (r == 0 && fscrypt && (r = fscrypt_setup(v, wfd)) < 0)
		why_set(why, len, "unable to set up ext4 encryption: %s", strerror(-r));
out:
	close_fd(&wfd);
	close_fd(&mfd);
	return r;
}

/* Image, loop device, [mapping], filesystem; cofd is checkouts/. */
static int volume_build(struct volume *v, int vfd, int cofd, int64_t size,
			char *why, size_t len)
{
	char img[VOLUME_NAME_MAX + 8], loopdev[32], mapdev[96];
	int ifd, r;

	snprintf(img, sizeof(img), "%s.img", v->name);
	ifd = openat(vfd, img, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (ifd < 0) {
		why_set(why, len, "unable to create image '%s': %s", img, strerror(errno));
		return -errno;
	}
	r = ftruncate(ifd, size) < 0 ? -errno : 0;
	if (r == 0)
		r = loop_attach(ifd, v->name, loopdev, sizeof(loopdev));
	close(ifd);
	if (r < 0) {
		why_set(why, len, "unable to attach a loop device: %s", strerror(-r));
		return r;
	}
	if (!strcmp(v->backend, "luks2")) {
		r = luks2_setup(loopdev, v->name, mapdev, sizeof(mapdev));
		if (r < 0) {
			why_set(why, len, "unable to open LUKS2 volume: %s", strerror(-r));
			return r;
		}
		return fs_setup(v, cofd, mapdev, why, len);
	}
	return fs_setup(v, cofd, loopdev, why, len);
}

static int volume_check_opts(const struct volume_opts *o, int64_t *size, char *why, size_t len)
{
	if (!o || !o->state_dir || !o->run_dir || volume_name_check(o->name) < 0) {
		why_set(why, len, "invalid volume name '%s'", o && o->name ? o->name : "");
		return -EINVAL;
	}
	*size = o->size ? o->size : VOLUME_DEFAULT_SIZE;
	if (*size < VOLUME_MIN_SIZE || *size > VOLUME_MAX_SIZE || *size % 4096) {
		why_set(why, len, "volume size %lld out of range", (long long)*size);
		return -EINVAL;
	}
	return 0;
}

int volume_create(const struct volume_opts *o, struct volume **out, char *why, size_t whylen)
{
	struct volume *v = NULL;
	int vfd = -1, cofd = -1, r;
	const char *backend;
	int64_t size;

	*out = NULL;
	r = volume_check_opts(o, &size, why, whylen);
	if (r == 0)
		r = backend_pick(o->backend, &backend, why, whylen);
	if (r < 0)
		return r;
	vfd = dir_open2(o->state_dir, "volumes", 0700);
	cofd = dir_open2(o->run_dir, "checkouts", 0755);
	if (vfd < 0 || cofd < 0) {
		r = vfd < 0 ? vfd : cofd;
		why_set(why, whylen, "unable to open '%s'", vfd < 0 ? o->state_dir : o->run_dir);
		goto out;
	}
	if (mkdirat(cofd, o->name, 0755) < 0) {
		r = -errno;
		why_set(why, whylen, "volume '%s' already exists or cannot be made", o->name);
		goto out;
	}
	v = xcalloc(1, sizeof(*v));
	v->state_dir = xstrdup(o->state_dir);
	v->run_dir = xstrdup(o->run_dir);
	v->name = xstrdup(o->name);
	v->backend = backend;
	v->cipher = !strcmp(backend, "luks2") ? "aes-xts-plain64" : "aes-256-xts+aes-256-cts";
	r = volume_build(v, vfd, cofd, size, why, whylen);
	if (r == -EEXIST)	/* the image is someone else's: leave it alone */
		unlinkat(cofd, o->name, AT_REMOVEDIR);
	else if (r < 0)
		teardown(o->state_dir, o->run_dir, o->name, v->have_key_spec ? &v->key_spec : NULL);
	if (r == 0)
		*out = steal_pointer(&v);
out:
	volume_free(v);
	close_fd(&vfd);
	close_fd(&cofd);
	return r;
}

const char *volume_workdir(const struct volume *v) { return v->workdir; }
const char *volume_mountpoint(const struct volume *v) { return v->mountpoint; }
const char *volume_backend(const struct volume *v) { return v->backend; }
const char *volume_cipher(const struct volume *v) { return v->cipher; }

/* ---- listing ---- */

static void names_add(char ***names, size_t *n, const char *name, size_t len)
{
	char buf[VOLUME_NAME_MAX + 1];

	if (len > VOLUME_NAME_MAX)
		return;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (volume_name_check(buf) < 0)
		return;
	*names = xrealloc(*names, (*n + 1) * sizeof(**names));
	(*names)[(*n)++] = xstrdup(buf);
}

/* Names in top/sub, between a prefix and a suffix. */
static void names_scan(const char *top, const char *sub, const char *prefix,
		       const char *suffix, char ***names, size_t *n)
{
	size_t pl = strlen(prefix), sl = strlen(suffix), len;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = dir_open2(top, sub, 0);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (len <= pl + sl || strncmp(de->d_name, prefix, pl) ||
		    strcmp(de->d_name + len - sl, suffix))
			continue;
		names_add(names, n, de->d_name + pl, len - pl - sl);
	}
	closedir(d);
}

/* Mappings lethe-NAME that belong to this state_dir. */
static void mapper_scan(const char *state_dir, char ***names, size_t *n)
{
	size_t pl = strlen(MAPPER_PREFIX);
	struct crypt_device *cd;
	struct dirent *de;
	DIR *d;

	d = opendir("/dev/mapper");
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, MAPPER_PREFIX, pl) ||
		    volume_name_check(de->d_name + pl) < 0 ||
		    !(cd = mapping_open(state_dir, de->d_name + pl)))
			continue;
		crypt_free(cd);
		names_add(names, n, de->d_name + pl, strlen(de->d_name + pl));
	}
	if (d)
		closedir(d);
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int volume_list(const char *state_dir, const char *run_dir, char ***names, size_t *n)
{
	size_t i, j;

	*names = NULL;
	*n = 0;
	names_scan(state_dir, "volumes", "", ".img", names, n);
	names_scan(run_dir, "checkouts", "", "", names, n);
	mapper_scan(state_dir, names, n);
	if (!*n)
		return 0;
	qsort(*names, *n, sizeof(**names), names_cmp);
	for (i = 1, j = 1; i < *n; i++) {
		if (strcmp((*names)[i], (*names)[j - 1]))
			(*names)[j++] = (*names)[i];
		else
			free((*names)[i]);
	}
	*n = j;
	return 0;
}

void volume_list_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
