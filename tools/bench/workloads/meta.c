/*
 * meta: the metadata and durability micro-benchmark of the bench suite (tools/bench/workloads).
 *
 * Runs plain system calls in a directory of the file system under test, timing each phase with
 * CLOCK_MONOTONIC, and prints one JSON object on stdout. C rather than Node so that the figures
 * measure the file system, not the runtime (a Node fs call costs a few microseconds more).
 *
 * Phases (each over N names in a fresh subdirectory, in this order, so every phase finds the
 * state the previous one left):
 *   create (open O_CREAT|O_EXCL + close), stat, stat again after sleeping 1.2 s (longer than
 *   the 1 s entry/attr timeouts of the FUSE targets, so every stat reaches the file system
 *   instead of the kernel's cache), open+close (O_RDONLY), rename (to a new name in the same
 *   directory), unlink, mkdir, rmdir;
 *   readdir: a directory of R entries is listed (opendir/readdir/closedir) `passes` times;
 *   fsync: K iterations of pwrite(4 KiB) + fsync on one file, each pair timed: p50, p99, ops/s;
 *   append: K iterations of write(64 B) on an O_APPEND file + fsync.
 * Exit status 0 on success; on a failing call it names the call and errno on stderr and exits 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *path) {
	fprintf(stderr, "meta: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void name_of(char *buf, size_t len, const char *dir, const char *prefix, long i) {
	snprintf(buf, len, "%s/%s%07ld", dir, prefix, i);
}

static int first = 1;
static void emit(const char *key, double value) {
	printf("%s\n  \"%s\": %.6g", first ? "{" : ",", key, value);
	first = 0;
}

static double rate(long n, double t0) {
	double dt = now_s() - t0;
	return dt > 0 ? (double)n / dt : 0;
}

static void phase_files(const char *base, long n) {
	char dir[4096], a[4200], b[4200];
	struct stat st;
	snprintf(dir, sizeof dir, "%s/files", base);
	if (mkdir(dir, 0755) != 0) die("mkdir", dir);
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		name_of(a, sizeof a, dir, "f", i);
		int fd = open(a, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0 || close(fd) != 0) die("create", a);
	}
	emit("create_ops_s", rate(n, t0));
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		name_of(a, sizeof a, dir, "f", i);
		if (stat(a, &st) != 0) die("stat", a);
	}
	emit("stat_ops_s", rate(n, t0));
	struct timespec pause = { 1, 200000000 };
	nanosleep(&pause, NULL);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		name_of(a, sizeof a, dir, "f", i);
		if (stat(a, &st) != 0) die("stat", a);
	}
	emit("stat_cold_ops_s", rate(n, t0));
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		name_of(a, sizeof a, dir, "f", i);
		int fd = open(a, O_RDONLY);
		if (fd < 0 || close(fd) != 0) die("open", a);
	}
	emit("open_close_ops_s", rate(n, t0));
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		name_of(a, sizeof a, dir, "f", i);
		name_of(b, sizeof b, dir, "g", i);
		if (rename(a, b) != 0) die("rename", a);
	}
	emit("rename_ops_s", rate(n, t0));
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		name_of(b, sizeof b, dir, "g", i);
		if (unlink(b) != 0) die("unlink", b);
	}
	emit("unlink_ops_s", rate(n, t0));
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		name_of(a, sizeof a, dir, "d", i);
		if (mkdir(a, 0755) != 0) die("mkdir", a);
	}
	emit("mkdir_ops_s", rate(n, t0));
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		name_of(a, sizeof a, dir, "d", i);
		if (rmdir(a) != 0) die("rmdir", a);
	}
	emit("rmdir_ops_s", rate(n, t0));
	if (rmdir(dir) != 0) die("rmdir", dir);
}

static void phase_readdir(const char *base, long entries, int passes) {
	char dir[4096], a[4200];
	snprintf(dir, sizeof dir, "%s/readdir", base);
	if (mkdir(dir, 0755) != 0) die("mkdir", dir);
	for (long i = 0; i < entries; i++) {
		name_of(a, sizeof a, dir, "e", i);
		int fd = open(a, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0 || close(fd) != 0) die("create", a);
	}
	double t0 = now_s();
	for (int p = 0; p < passes; p++) {
		DIR *d = opendir(dir);
		if (!d) die("opendir", dir);
		long seen = 0;
		errno = 0;
		while (readdir(d)) seen++;
		if (errno) die("readdir", dir);
		closedir(d);
		if (seen != entries + 2) {
			fprintf(stderr, "meta: readdir %s: saw %ld entries, expected %ld\n", dir, seen, entries + 2);
			exit(1);
		}
	}
	double per_pass_s = (now_s() - t0) / passes;
	emit("readdir_ms", per_pass_s * 1e3);
	emit("readdir_entries_s", (double)entries / per_pass_s);
	for (long i = 0; i < entries; i++) {
		name_of(a, sizeof a, dir, "e", i);
		if (unlink(a) != 0) die("unlink", a);
	}
	if (rmdir(dir) != 0) die("rmdir", dir);
}

static int cmp_double(const void *x, const void *y) {
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

/* Loop of write + fsync; `append` selects 64-byte O_APPEND writes, else 4 KiB pwrite in a 16 MiB window. */
static void phase_sync(const char *base, long count, int append) {
	char path[4200];
	static char buf[4096];
	size_t len = append ? 64 : 4096;
	memset(buf, 'x', sizeof buf);
	snprintf(path, sizeof path, "%s/%s", base, append ? "append64" : "fsync4k");
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | (append ? O_APPEND : 0), 0644);
	if (fd < 0) die("open", path);
	double *lat = malloc(sizeof(double) * (size_t)count);
	if (!lat) die("malloc", "latencies");
	double t0 = now_s();
	for (long i = 0; i < count; i++) {
		double s = now_s();
		off_t off = (off_t)((i * 4096) % (16 << 20));
		ssize_t w = append ? write(fd, buf, len) : pwrite(fd, buf, len, off);
		if (w != (ssize_t)len) die("write", path);
		if (fsync(fd) != 0) die("fsync", path);
		lat[i] = now_s() - s;
	}
	double ops = rate(count, t0);
	qsort(lat, (size_t)count, sizeof *lat, cmp_double);
	const char *p = append ? "append64_fsync" : "write4k_fsync";
	char key[64];
	snprintf(key, sizeof key, "%s_ops_s", p);
	emit(key, ops);
	snprintf(key, sizeof key, "%s_p50_us", p);
	emit(key, lat[count / 2] * 1e6);
	snprintf(key, sizeof key, "%s_p99_us", p);
	emit(key, lat[(long)((double)count * 0.99)] * 1e6);
	free(lat);
	if (close(fd) != 0) die("close", path);
	if (unlink(path) != 0) die("unlink", path);
}

int main(int argc, char **argv) {
	long n = 10000, entries = 10000, syncs = 5000;
	int passes = 5, opt;
	const char *phases = "files,readdir,fsync,append";
	while ((opt = getopt(argc, argv, "n:r:p:k:P:h")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 'r': entries = atol(optarg); break;
		case 'p': passes = atoi(optarg); break;
		case 'k': syncs = atol(optarg); break;
		case 'P': phases = optarg; break;
		default:
			fprintf(stderr, "usage: meta [-n files] [-r readdir-entries] [-p readdir-passes] [-k sync-iterations]\n"
					"            [-P files,readdir,fsync,append] DIR\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1 || n < 1 || entries < 1 || passes < 1 || syncs < 1) {
		fprintf(stderr, "meta: need one DIR and positive counts (see -h)\n");
		return 2;
	}
	const char *base = argv[optind];
	if (strstr(phases, "files")) phase_files(base, n);
	if (strstr(phases, "readdir")) phase_readdir(base, entries, passes);
	if (strstr(phases, "fsync")) phase_sync(base, syncs, 0);
	if (strstr(phases, "append")) phase_sync(base, syncs, 1);
	printf("%s\n}\n", first ? "{" : "");
	return 0;
}
