/*
 * volume.h - the encrypted, ephemeral volume that holds one checkout
 * (DESIGN.md invariant 3).
 *
 * Two backends, both keyed by a random key that exists only in mlocked
 * memory and in the kernel, never on disk:
 *
 *   luks2    a LUKS2 (aes-xts-plain64) image on a loop device, opened under
 *            /dev/mapper/lethe-NAME, ext4 inside; needs dm-crypt.
 *   fscrypt  an ext4 image with the encrypt feature on a loop device; the
 *            checkout directory carries a v2 fscrypt policy (AES-256-XTS
 *            contents, AES-256-CTS names).  Works without device-mapper.
 *
 * "auto" picks luks2 where dm-crypt works and fscrypt otherwise; with
 * neither, volume_create fails with -EOPNOTSUPP: Lethe never falls back to
 * plain storage.
 *
 * Files:  STATE_DIR/volumes/NAME.img   backing image (0600)
 *         RUN_DIR/checkouts/NAME       mount point (nosuid,nodev,noexec)
 *         RUN_DIR/checkouts/NAME/w     where the checkout goes
 *
 * Every path is walked with openat(O_NOFOLLOW): a symlink planted under
 * STATE_DIR, RUN_DIR or inside a checkout never leads creation or teardown
 * elsewhere.  Every component of RUN_DIR must be searchable by the sandbox
 * user if the checkout is to be bound into the sandbox.  Callers need
 * CAP_SYS_ADMIN (loop devices, mount, fscrypt keys).
 */
#ifndef LETHE_VOLUME_H
#define LETHE_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#define VOLUME_DEFAULT_SIZE	(1LL << 30)
#define VOLUME_MIN_SIZE		(16LL << 20)
#define VOLUME_MAX_SIZE		(1LL << 40)
#define VOLUME_NAME_MAX		32

struct volume_opts {
	const char *backend;	/* "auto" (NULL too), "luks2", "fscrypt" */
	const char *state_dir;	/* holds volumes/NAME.img */
	const char *run_dir;	/* holds checkouts/NAME */
	const char *name;	/* [a-z0-9-]{1,32}, first a letter or digit */
	int64_t size;		/* bytes; 0 = VOLUME_DEFAULT_SIZE */
};

struct volume;

/* 0 if name is a valid volume name, -EINVAL otherwise. */
int volume_name_check(const char *name);

/*
 * Create, encrypt and mount a volume.  On success *out is a new volume the
 * caller owns and must end with volume_destroy().  On failure nothing is
 * left behind (no image, loop device, mapping, mount or key) and, when why
 * is not NULL, a one-line reason is written there (no secret ever is).
 * -EINVAL bad options, -EEXIST name in use, -EOPNOTSUPP no encrypted
 * backend on this host, other -errno from the system.
 */
int volume_create(const struct volume_opts *o, struct volume **out,
		  char *why, size_t whylen);

/* Accessors; the strings belong to the volume and live as long as it. */
const char *volume_workdir(const struct volume *v);	/* checkout goes here */
const char *volume_mountpoint(const struct volume *v);
const char *volume_backend(const struct volume *v);	/* "fscrypt", "luks2" */
const char *volume_cipher(const struct volume *v);

/*
 * Tear the volume down and free v (NULL is accepted): kill every process
 * that holds a file, directory, mapping or mount namespace reference on
 * it, remove the fscrypt key, unmount (lazily only as a last resort),
 * close the mapping and wipe the LUKS header, detach the loop device,
 * unlink the image and remove the mount point.  *usec (may be NULL) gets
 * the duration.  Returns 0, or the first error; v is freed either way and
 * what could not be removed is found again by volume_list().
 */
int volume_destroy(struct volume *v, int64_t *usec);

/*
 * The same teardown from the name alone, for a volume whose creator died
 * (lethe-scrub).  Idempotent: 0 when nothing is left.  Finds the mount,
 * the key (from the directory's policy), the mapping, the loop device
 * (/sys/block/loop* backing_file) and the image.
 */
int volume_destroy_name(const char *state_dir, const char *run_dir,
			const char *name, int64_t *usec);

/*
 * Every volume name with something left under Lethe's directories: an
 * image, a mount point or a /dev/mapper/lethe-NAME mapping.  *names is a
 * sorted, newly allocated array of *n strings; free with volume_list_free.
 * Missing directories count as empty.
 */
int volume_list(const char *state_dir, const char *run_dir,
		char ***names, size_t *n);
void volume_list_free(char **names, size_t n);

/*
 * LUKS2 building blocks, exposed so that a host without device-mapper can
 * still test them.  volume_luks2_format writes a LUKS2 header (aes-xts-
 * plain64, cheap PBKDF2: see volume.c) for the given volume key on device
 * (a block device or a file) and adds one keyslot with a random passphrase
 * that is forgotten at once.  volume_luks2_wipe zeroes the whole header
 * area so that crypt_load no longer finds it.
 */
#define VOLUME_LUKS2_KEY_BYTES	64
int volume_luks2_format(const char *device, const unsigned char *key,
			size_t keylen);
int volume_luks2_wipe(const char *device);

#endif
