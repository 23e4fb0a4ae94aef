/*
 * memfs: a minimal in-memory file system on libfuse3's low-level (inode-based) API.
 *
 * Purpose: the benchmark suite's "FUSE ceiling" target. It does as little as a FUSE file system
 * can do (a hash lookup, a memcpy) so that its figures measure the kernel <-> daemon hand-off that
 * every FUSE file system pays, pmlogfs included. Not a file system to keep data in.
 *
 * Layer: tools/bench (a front); built by tools/bench/main.ts with `cc`, not part of the addon.
 *
 * Design and invariants:
 * - one global mutex guards everything; the multi-threaded session loop (default) runs several
 *   requests at once but the critical sections are a few hundred nanoseconds;
 * - inodes live in a table indexed by inode number; numbers are never reused; an inode's memory
 *   is freed when it has no links and the kernel has forgotten it (nlookup == 0);
 * - file data lives in 64 KiB pages allocated on first write (a page table per file, never
 *   reallocated data: a growing file is not copied); a missing page reads as zeros;
 * - a directory keeps its entries in an append-only vector (deleted slots are tombstones), so a
 *   readdir offset (slot index + 1) stays valid across concurrent unlinks; a global hash table
 *   keyed by (parent, name) gives O(1) lookups;
 * - max_write is 1 MiB (the largest the kernel allows), entry/attr timeouts 1 s (option timeout=).
 */
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_WRITE (1u << 20)
#define PAGE_SHIFT 16
#define PAGE_BYTES ((size_t)1 << PAGE_SHIFT)
#define MAX_IOV (MAX_WRITE / PAGE_BYTES + 2)

struct slot { char *name; fuse_ino_t ino; };

struct inode {
	fuse_ino_t ino;
	struct stat st;
	uint64_t nlookup;
	char *link;          /* symlink target */
	char **pages;        /* file data: pages[i] holds bytes [i * PAGE_BYTES, (i + 1) * PAGE_BYTES) */
	size_t npages;       /* entries in pages[] */
	struct slot *slots;  /* directory entries (tombstone: name == NULL) */
	size_t nslots, capslots, nlive;
};

struct hent { fuse_ino_t parent; char *name; size_t slot; struct hent *next; };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct inode **itab;
static size_t itab_cap;
static fuse_ino_t next_ino = FUSE_ROOT_ID;
static struct hent **htab;
static size_t hcap, hcount;
static double timeout_s = 1.0;
static char zero_page[PAGE_BYTES];

static uint64_t hash_name(fuse_ino_t parent, const char *name) {
	uint64_t h = 1469598103934665603ull ^ parent;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 1099511628211ull;
	return h;
}

static struct hent **hfind(fuse_ino_t parent, const char *name) {
	struct hent **pp = &htab[hash_name(parent, name) & (hcap - 1)];
	while (*pp && !((*pp)->parent == parent && strcmp((*pp)->name, name) == 0)) pp = &(*pp)->next;
	return pp;
}

static void hgrow(void) {
	size_t ncap = hcap ? hcap * 2 : 1024;
	struct hent **n = calloc(ncap, sizeof *n);
	if (!n) abort();
	for (size_t i = 0; i < hcap; i++)
		for (struct hent *e = htab[i], *next; e; e = next) {
			next = e->next;
			struct hent **b = &n[hash_name(e->parent, e->name) & (ncap - 1)];
			e->next = *b;
			*b = e;
		}
	free(htab);
	htab = n;
	hcap = ncap;
}

static struct inode *iget(fuse_ino_t ino) {
	return ino < itab_cap ? itab[ino] : NULL;
}

static void now(struct timespec *ts) { clock_gettime(CLOCK_REALTIME, ts); }

static struct inode *inew(mode_t mode, const struct fuse_ctx *ctx) {
	fuse_ino_t ino = next_ino++;
	if (ino >= itab_cap) {
		size_t ncap = itab_cap ? itab_cap * 2 : 4096;
		while (ncap <= ino) ncap *= 2;
		itab = realloc(itab, ncap * sizeof *itab);
		if (!itab) abort();
		memset(itab + itab_cap, 0, (ncap - itab_cap) * sizeof *itab);
		itab_cap = ncap;
	}
	struct inode *in = calloc(1, sizeof *in);
	if (!in) abort();
	in->ino = ino;
	in->st.st_ino = ino;
	in->st.st_mode = mode;
	in->st.st_nlink = S_ISDIR(mode) ? 2 : 1;
	in->st.st_uid = ctx ? ctx->uid : 0;
	in->st.st_gid = ctx ? ctx->gid : 0;
	in->st.st_blksize = 4096;
	now(&in->st.st_atim);
	in->st.st_mtim = in->st.st_ctim = in->st.st_atim;
	itab[ino] = in;
	return in;
}

static void imaybe_free(struct inode *in) {
	if (in->st.st_nlink > 0 || in->nlookup > 0 || in->ino == FUSE_ROOT_ID) return;
	itab[in->ino] = NULL;
	for (size_t i = 0; i < in->nslots; i++) free(in->slots[i].name);
	free(in->slots);
	for (size_t i = 0; i < in->npages; i++) free(in->pages[i]);
	free(in->pages);
	free(in->link);
	free(in);
}

static void dir_add(struct inode *dir, const char *name, fuse_ino_t ino) {
	if (dir->nslots == dir->capslots) {
		dir->capslots = dir->capslots ? dir->capslots * 2 : 16;
		dir->slots = realloc(dir->slots, dir->capslots * sizeof *dir->slots);
		if (!dir->slots) abort();
	}
	struct slot *s = &dir->slots[dir->nslots];
	s->name = strdup(name);
	s->ino = ino;
	if (hcount >= hcap) hgrow();
	struct hent *e = malloc(sizeof *e);
	if (!e || !s->name) abort();
	e->parent = dir->ino;
	e->name = s->name;
	e->slot = dir->nslots++;
	struct hent **b = &htab[hash_name(dir->ino, name) & (hcap - 1)];
	e->next = *b;
	*b = e;
	hcount++;
	dir->nlive++;
	now(&dir->st.st_mtim);
	dir->st.st_ctim = dir->st.st_mtim;
}

/* Returns the child inode number or 0. */
static fuse_ino_t dir_get(struct inode *dir, const char *name) {
	if (!hcap) return 0;
	struct hent *e = *hfind(dir->ino, name);
	return e ? dir->slots[e->slot].ino : 0;
}

static void dir_del(struct inode *dir, const char *name) {
	struct hent **pp = hfind(dir->ino, name), *e = *pp;
	if (!e) return;
	*pp = e->next;
	struct slot *s = &dir->slots[e->slot];
	free(s->name);
	s->name = NULL;
	s->ino = 0;
	free(e);
	hcount--;
	dir->nlive--;
	now(&dir->st.st_mtim);
	dir->st.st_ctim = dir->st.st_mtim;
}

static void fill_entry(struct fuse_entry_param *e, struct inode *in) {
	memset(e, 0, sizeof *e);
	e->ino = in->ino;
	e->generation = 1;
	e->attr = in->st;
	e->attr.st_blocks = (in->st.st_size + 511) / 512;
	e->attr_timeout = timeout_s;
	e->entry_timeout = timeout_s;
	in->nlookup++;
}

/* Makes pages[] long enough for `size` bytes (pages themselves are allocated on write). */
static int ensure_table(struct inode *in, size_t size) {
	size_t need = (size + PAGE_BYTES - 1) >> PAGE_SHIFT;
	if (need <= in->npages) return 0;
	size_t n = in->npages ? in->npages : 16;
	while (n < need) n *= 2;
	char **t = realloc(in->pages, n * sizeof *t);
	if (!t) return ENOMEM;
	memset(t + in->npages, 0, (n - in->npages) * sizeof *t);
	in->pages = t;
	in->npages = n;
	return 0;
}

/* Truncates or extends to `size`: pages past the end are freed, the tail of the last one zeroed. */
static int set_size(struct inode *in, off_t size) {
	int err = ensure_table(in, (size_t)size);
	if (err) return err;
	size_t keep = ((size_t)size + PAGE_BYTES - 1) >> PAGE_SHIFT;
	for (size_t i = keep; i < in->npages; i++) {
		free(in->pages[i]);
		in->pages[i] = NULL;
	}
	size_t tail = (size_t)size & (PAGE_BYTES - 1);
	if (tail && in->pages[keep - 1]) memset(in->pages[keep - 1] + tail, 0, PAGE_BYTES - tail);
	in->st.st_size = size;
	return 0;
}

static int write_data(struct inode *in, const char *buf, size_t size, off_t off) {
	int err = ensure_table(in, (size_t)off + size);
	if (err) return err;
	for (size_t done = 0; done < size;) {
		size_t pos = (size_t)off + done, pg = pos >> PAGE_SHIFT, in_pg = pos & (PAGE_BYTES - 1);
		size_t n = PAGE_BYTES - in_pg;
		if (n > size - done) n = size - done;
		if (!in->pages[pg] && !(in->pages[pg] = calloc(1, PAGE_BYTES))) return ENOMEM;
		memcpy(in->pages[pg] + in_pg, buf + done, n);
		done += n;
	}
	if ((off_t)(off + size) > in->st.st_size) in->st.st_size = off + (off_t)size;
	return 0;
}

static void op_init(void *userdata, struct fuse_conn_info *conn) {
	(void)userdata;
	conn->max_write = MAX_WRITE;
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	pthread_mutex_lock(&lock);
	struct inode *root = inew(S_IFDIR | 0755, NULL);
	if (root->ino != FUSE_ROOT_ID) abort();
	root->nlookup = 1;
	pthread_mutex_unlock(&lock);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
	struct fuse_entry_param e;
	pthread_mutex_lock(&lock);
	struct inode *dir = iget(parent);
	fuse_ino_t ino = dir ? dir_get(dir, name) : 0;
	if (!ino) {
		pthread_mutex_unlock(&lock);
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_entry(&e, iget(ino));
	pthread_mutex_unlock(&lock);
	fuse_reply_entry(req, &e);
}

static void forget_one(fuse_ino_t ino, uint64_t n) {
	struct inode *in = iget(ino);
	if (!in) return;
	in->nlookup = in->nlookup > n ? in->nlookup - n : 0;
	imaybe_free(in);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
	pthread_mutex_lock(&lock);
	forget_one(ino, nlookup);
	pthread_mutex_unlock(&lock);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *f) {
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < count; i++) forget_one(f[i].ino, f[i].nlookup);
	pthread_mutex_unlock(&lock);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
	(void)fi;
	pthread_mutex_lock(&lock);
	struct inode *in = iget(ino);
	if (!in) {
		pthread_mutex_unlock(&lock);
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st = in->st;
	st.st_blocks = (st.st_size + 511) / 512;
	pthread_mutex_unlock(&lock);
	fuse_reply_attr(req, &st, timeout_s);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi) {
	(void)fi;
	pthread_mutex_lock(&lock);
	struct inode *in = iget(ino);
	int err = in ? 0 : ENOENT;
	if (!err && (to_set & FUSE_SET_ATTR_SIZE)) {
		if (S_ISDIR(in->st.st_mode)) err = EISDIR;
		else if (!(err = set_size(in, attr->st_size))) now(&in->st.st_mtim);
	}
	if (!err) {
		if (to_set & FUSE_SET_ATTR_MODE) in->st.st_mode = (in->st.st_mode & S_IFMT) | (attr->st_mode & 07777);
		if (to_set & FUSE_SET_ATTR_UID) in->st.st_uid = attr->st_uid;
		if (to_set & FUSE_SET_ATTR_GID) in->st.st_gid = attr->st_gid;
		if (to_set & FUSE_SET_ATTR_ATIME) in->st.st_atim = attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME) in->st.st_mtim = attr->st_mtim;
		if (to_set & FUSE_SET_ATTR_ATIME_NOW) now(&in->st.st_atim);
		if (to_set & FUSE_SET_ATTR_MTIME_NOW) now(&in->st.st_mtim);
		now(&in->st.st_ctim);
	}
	struct stat st;
	if (!err) {
		st = in->st;
		st.st_blocks = (st.st_size + 511) / 512;
	}
	pthread_mutex_unlock(&lock);
	if (err) fuse_reply_err(req, err);
	else fuse_reply_attr(req, &st, timeout_s);
}

/* Creates a child of `parent`; returns 0 and fills *e, or an errno. Caller holds the lock. */
static int make_node(fuse_ino_t parent, const char *name, mode_t mode, const char *link, fuse_req_t req,
		     struct fuse_entry_param *e) {
	struct inode *dir = iget(parent);
	if (!dir || !S_ISDIR(dir->st.st_mode)) return ENOTDIR;
	if (strlen(name) > 255) return ENAMETOOLONG;
	if (dir_get(dir, name)) return EEXIST;
	struct inode *in = inew(mode, fuse_req_ctx(req));
	if (link) {
		in->link = strdup(link);
		in->st.st_size = (off_t)strlen(link);
	}
	if (S_ISDIR(mode)) dir->st.st_nlink++;
	dir_add(dir, name, in->ino);
	fill_entry(e, in);
	return 0;
}

static void reply_made(fuse_req_t req, int err, struct fuse_entry_param *e) {
	if (err) fuse_reply_err(req, err);
	else fuse_reply_entry(req, e);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev) {
	(void)rdev;
	struct fuse_entry_param e;
	pthread_mutex_lock(&lock);
	int err = make_node(parent, name, mode, NULL, req, &e);
	pthread_mutex_unlock(&lock);
	reply_made(req, err, &e);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode) {
	struct fuse_entry_param e;
	pthread_mutex_lock(&lock);
	int err = make_node(parent, name, S_IFDIR | (mode & 07777), NULL, req, &e);
	pthread_mutex_unlock(&lock);
	reply_made(req, err, &e);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name) {
	struct fuse_entry_param e;
	pthread_mutex_lock(&lock);
	int err = make_node(parent, name, S_IFLNK | 0777, link, req, &e);
	pthread_mutex_unlock(&lock);
	reply_made(req, err, &e);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino) {
	pthread_mutex_lock(&lock);
	struct inode *in = iget(ino);
	if (!in || !S_ISLNK(in->st.st_mode)) {
		pthread_mutex_unlock(&lock);
		fuse_reply_err(req, EINVAL);
		return;
	}
	char *copy = strdup(in->link);
	pthread_mutex_unlock(&lock);
	fuse_reply_readlink(req, copy);
	free(copy);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname) {
	struct fuse_entry_param e;
	int err = 0;
	pthread_mutex_lock(&lock);
	struct inode *in = iget(ino), *dir = iget(newparent);
	if (!in || !dir) err = ENOENT;
	else if (dir_get(dir, newname)) err = EEXIST;
	else {
		in->st.st_nlink++;
		now(&in->st.st_ctim);
		dir_add(dir, newname, ino);
		fill_entry(&e, in);
	}
	pthread_mutex_unlock(&lock);
	reply_made(req, err, &e);
}

/* Removes name from parent; `want_dir` selects rmdir semantics. Caller holds the lock. */
static int remove_name(fuse_ino_t parent, const char *name, int want_dir) {
	struct inode *dir = iget(parent);
	fuse_ino_t ino = dir ? dir_get(dir, name) : 0;
	if (!ino) return ENOENT;
	struct inode *in = iget(ino);
	if (want_dir && !S_ISDIR(in->st.st_mode)) return ENOTDIR;
	if (!want_dir && S_ISDIR(in->st.st_mode)) return EISDIR;
	if (want_dir && in->nlive) return ENOTEMPTY;
	dir_del(dir, name);
	if (want_dir) {
		dir->st.st_nlink--;
		in->st.st_nlink = 0;
	} else {
		in->st.st_nlink--;
	}
	now(&in->st.st_ctim);
	imaybe_free(in);
	return 0;
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name) {
	pthread_mutex_lock(&lock);
	int err = remove_name(parent, name, 0);
	pthread_mutex_unlock(&lock);
	fuse_reply_err(req, err);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name) {
	pthread_mutex_lock(&lock);
	int err = remove_name(parent, name, 1);
	pthread_mutex_unlock(&lock);
	fuse_reply_err(req, err);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags) {
	int err = 0;
	pthread_mutex_lock(&lock);
	struct inode *src = iget(parent), *dst = iget(newparent);
	fuse_ino_t ino = src ? dir_get(src, name) : 0;
	fuse_ino_t old = dst ? dir_get(dst, newname) : 0;
	if (flags) err = EINVAL;
	else if (!ino || !dst) err = ENOENT;
	else if (old == ino) err = 0;
	else {
		struct inode *in = iget(ino);
		if (old) {
			struct inode *o = iget(old);
			if (S_ISDIR(o->st.st_mode) && !S_ISDIR(in->st.st_mode)) err = EISDIR;
			else if (!S_ISDIR(o->st.st_mode) && S_ISDIR(in->st.st_mode)) err = ENOTDIR;
			else err = remove_name(newparent, newname, S_ISDIR(o->st.st_mode));
		}
		if (!err) {
			dir_del(src, name);
			dir_add(dst, newname, ino);
			if (S_ISDIR(in->st.st_mode) && src != dst) {
				src->st.st_nlink--;
				dst->st.st_nlink++;
			}
			now(&in->st.st_ctim);
		}
	}
	pthread_mutex_unlock(&lock);
	fuse_reply_err(req, err);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
	pthread_mutex_lock(&lock);
	struct inode *in = iget(ino);
	int err = in ? 0 : ENOENT;
	if (!err && (fi->flags & O_TRUNC) && !(err = set_size(in, 0))) now(&in->st.st_mtim);
	pthread_mutex_unlock(&lock);
	if (err) fuse_reply_err(req, err);
	else fuse_reply_open(req, fi);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi) {
	struct fuse_entry_param e;
	pthread_mutex_lock(&lock);
	int err = make_node(parent, name, S_IFREG | (mode & 07777), NULL, req, &e);
	pthread_mutex_unlock(&lock);
	if (err) fuse_reply_err(req, err);
	else fuse_reply_create(req, &e, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
	(void)fi;
	pthread_mutex_lock(&lock);
	struct inode *in = iget(ino);
	if (!in) {
		pthread_mutex_unlock(&lock);
		fuse_reply_err(req, ENOENT);
		return;
	}
	size_t n = off >= in->st.st_size ? 0 : (size_t)(in->st.st_size - off);
	if (n > size) n = size;
	struct iovec iov[MAX_IOV];
	int cnt = 0;
	for (size_t done = 0; done < n && cnt < (int)MAX_IOV;) {
		size_t pos = (size_t)off + done, pg = pos >> PAGE_SHIFT, in_pg = pos & (PAGE_BYTES - 1);
		size_t len = PAGE_BYTES - in_pg;
		if (len > n - done) len = n - done;
		char *page = pg < in->npages && in->pages[pg] ? in->pages[pg] : zero_page;
		iov[cnt].iov_base = page + in_pg;
		iov[cnt++].iov_len = len;
		done += len;
	}
	fuse_reply_iov(req, iov, cnt);
	pthread_mutex_unlock(&lock);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi) {
	pthread_mutex_lock(&lock);
	struct inode *in = iget(ino);
	int err = in ? 0 : ENOENT;
	if (!err && (fi->flags & O_APPEND)) off = in->st.st_size;
	if (!err) err = write_data(in, buf, size, off);
	if (!err) {
		now(&in->st.st_mtim);
		in->st.st_ctim = in->st.st_mtim;
	}
	pthread_mutex_unlock(&lock);
	if (err) fuse_reply_err(req, err);
	else fuse_reply_write(req, size);
}

static void op_ok(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
	(void)datasync;
	op_ok(req, ino, fi);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
	pthread_mutex_lock(&lock);
	struct inode *in = iget(ino);
	int err = !in ? ENOENT : !S_ISDIR(in->st.st_mode) ? ENOTDIR : 0;
	pthread_mutex_unlock(&lock);
	if (err) fuse_reply_err(req, err);
	else fuse_reply_open(req, fi);
}

/* Offsets: 1 = ".", 2 = "..", 2 + k + 1 = slot k. */
static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
	(void)fi;
	char *buf = malloc(size);
	size_t used = 0;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_lock(&lock);
	struct inode *dir = iget(ino);
	if (!dir) {
		pthread_mutex_unlock(&lock);
		free(buf);
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st = {0};
	for (off_t o = off; ; o++) {
		const char *name;
		if (o == 0) { name = "."; st.st_ino = ino; st.st_mode = S_IFDIR; }
		else if (o == 1) { name = ".."; st.st_ino = ino; st.st_mode = S_IFDIR; }
		else if ((size_t)(o - 2) < dir->nslots) {
			struct slot *s = &dir->slots[o - 2];
			if (!s->name) continue;
			name = s->name;
			st.st_ino = s->ino;
			st.st_mode = iget(s->ino)->st.st_mode;
		} else break;
		size_t need = fuse_add_direntry(req, buf + used, size - used, name, &st, o + 1);
		if (need > size - used) break;
		used += need;
	}
	pthread_mutex_unlock(&lock);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
	(void)datasync;
	op_ok(req, ino, fi);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino) {
	(void)ino;
	struct statvfs s = {0};
	s.f_bsize = s.f_frsize = 4096;
	s.f_blocks = s.f_bfree = s.f_bavail = 1ull << 28;
	s.f_files = s.f_ffree = s.f_favail = 1ull << 32;
	s.f_namemax = 255;
	fuse_reply_statfs(req, &s);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_ok,
	.release = op_ok,
	.fsync = op_fsync,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_ok,
	.fsyncdir = op_fsyncdir,
	.statfs = op_statfs,
	.create = op_create,
};

struct memfs_opts { double timeout; };
static const struct fuse_opt memfs_optspec[] = {
	{ "timeout=%lf", offsetof(struct memfs_opts, timeout), 0 },
	FUSE_OPT_END
};

int main(int argc, char *argv[]) {
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct memfs_opts mo = { .timeout = 1.0 };
	int ret = 1;
	if (fuse_opt_parse(&args, &mo, memfs_optspec, NULL) == -1) return 1;
	timeout_s = mo.timeout;
	if (fuse_parse_cmdline(&args, &opts) != 0) return 1;
	if (opts.show_help || !opts.mountpoint) {
		printf("usage: %s [-f] [-s] [-o timeout=SECONDS] MOUNTPOINT\n", argv[0]);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		ret = opts.show_help ? 0 : 1;
		goto out_args;
	}
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
	if (!se) goto out_args;
	if (fuse_set_signal_handlers(se) != 0) goto out_session;
	if (fuse_session_mount(se, opts.mountpoint) != 0) goto out_signals;
	fuse_daemonize(opts.foreground);
	if (opts.singlethread) {
		ret = fuse_session_loop(se);
	} else {
		struct fuse_loop_config config = { .clone_fd = opts.clone_fd, .max_idle_threads = opts.max_idle_threads };
		ret = fuse_session_loop_mt(se, &config);
	}
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return ret ? 1 : 0;
}
