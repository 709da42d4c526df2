// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-e2e-app: the application of cxltier's end-to-end tests.  It
 * plays an accelerator runtime: a pool of chunks pinned through the fake
 * accelerator (libcxltier's test-accel adapter), half in DRAM and half on
 * the far node, filled with a known pattern, a "hot set" read by the
 * device with access reports, and callbacks that quiesce the device on a
 * range before it is released and resume it after the re-pin.
 *
 * It runs the commands given on its command line in order and exits 0
 * only if every one succeeded and every check passed:
 *
 *   move:CHUNK:NODE        ask the agent to move a chunk (cxltier_move)
 *   move-fail:CHUNK:NODE   the same, expected to fail
 *   move-try:CHUNK:NODE    the same, either way (logs the outcome)
 *   arm-release:SIG:PIDFILE  at the next release, once the application
 *                          has let go of the range, send SIG ("kill" or
 *                          "stop") to the process in PIDFILE (the agent)
 *   verify                 every byte (CPU) and every chunk's checksum
 *                          through the device; every page pinned
 *   traffic:SECONDS:FIRST:COUNT  device reads of chunks FIRST.. for SECONDS
 *   bg-traffic:FIRST:COUNT the same in a thread, until bg-stop
 *   bg-stop                stop it
 *   converge:SECONDS:FIRST:COUNT traffic until chunks FIRST.. are in DRAM
 *                          and the others on the far node
 *   hold:SECONDS           serve handshakes, verifying every second
 *   wait-connected:SECONDS until the agent is (again) connected
 *   wait-file:PATH         until PATH exists (a test script's signal)
 *   where                  log each chunk's node
 *   summary                print the JSON summary on stdout
 *
 * With --unpinned it plays an ordinary process instead: the pool is
 * tracked with the module (CPU heat only) but neither pinned nor
 * registered with the agent, and the hot set is read by the CPU, so the
 * agent moves it with plain move_pages(2).
 *
 * Markers for the test scripts ("ready ID ADDR LENGTH CHUNK",
 * "releasing CHUNK", "released CHUNK", "repinned CHUNK", "moved CHUNK
 * NODE", ...) are appended to the --log file, one per line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <numaif.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/cxltier.h>
#include <linux/cxltier_test_accel.h>

#include "clock.h"
#include "libcxltier.h"
#include "testbed.h"
/* Bytes of a chunk one traffic access reads through the device. */
#define TRAFFIC_BYTES (64 << 10)

/**
 * struct app - the test application's state
 * @nr_chunks: chunks in the pool
 * @chunk_size: bytes per chunk
 * @dram_node: node of the first half at start, and of the hot set
 * @far_node: node of the second half at start
 * @far_chunks: chunks placed on @far_node at start (the last ones)
 * @label: buffer label
 * @socket: agent socket, NULL for the default
 * @interval_ms: the agent's decision interval, to count intervals
 * @release_delay_ms: the release callback sleeps this long
 * @repin_delay_ms: the re-pin callback sleeps this long
 * @no_agent_ok: open even without an agent
 * @unpinned: track only (no pin, no agent), CPU traffic
 * @kdev: /dev/cxltier, for --unpinned
 * @log: marker file
 * @pool: the buffer, pinned and registered through the test bed (its
 *	lock serialises device accesses with the handshake's callbacks: a
 *	device access never overlaps a release)
 * @sums: expected checksum of each chunk
 * @moves_ok: cxltier_move() calls that succeeded
 * @bytes_verified: bytes compared with the pattern
 * @corrupt_bytes: bytes that differed
 * @dma_errors: device accesses that failed on a pinned chunk
 * @converge_intervals: intervals the last converge took, -1 if it failed
 * @hot_in_dram: hot chunks in DRAM at the end of the last converge
 * @hot_count: hot chunks of the last converge
 * @bg: the background traffic thread
 * @bg_on: @bg runs
 * @bg_stop: tells @bg to stop
 * @bg_first: first hot chunk of @bg
 * @bg_count: hot chunks of @bg
 * @arm_sig: signal to send at the next release, 0 for none
 * @arm_file: where the pid to signal is
 */
struct app {
	unsigned int nr_chunks;
	uint64_t chunk_size;
	int dram_node;
	int far_node;
	unsigned int far_chunks;
	const char *label;
	const char *socket;
	unsigned int interval_ms;
	unsigned int release_delay_ms;
	unsigned int repin_delay_ms;
	bool no_agent_ok;
	bool unpinned;
	int kdev;
	FILE *log;

	struct tb_pool pool;
	uint64_t *sums;

	uint64_t moves_ok;
	uint64_t bytes_verified;
	uint64_t corrupt_bytes;
	uint64_t dma_errors;
	int converge_intervals;
	unsigned int hot_in_dram;
	unsigned int hot_count;
	pthread_t bg;
	bool bg_on;
	volatile bool bg_stop;
	unsigned int bg_first;
	unsigned int bg_count;
	int arm_sig;
	char arm_file[256];
};

static struct app app = {
	.nr_chunks = 8,
	.chunk_size = 2 << 20,
	.dram_node = 0,
	.far_node = -1,
	.far_chunks = (unsigned int)-1,
	.label = "e2e-pool",
	.interval_ms = 1000,
	.converge_intervals = -1,
};

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

__attribute__((format(printf, 1, 2)))
static void mark(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(app.log, fmt, ap);
	va_end(ap);
	fputc('\n', app.log);
	fflush(app.log);
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cxltier-e2e-app: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	mark("failed");
	exit(1);
}

static uint8_t *chunk_addr(unsigned int c)
{
	return tb_pool_chunk(&app.pool, c);
}

/* --- the fake accelerator ------------------------------------------------ */

static int dma_read(unsigned int c, uint64_t off, uint64_t len,
		    uint32_t report, uint64_t *sum)
{
	return tb_pool_dma(&app.pool, c, off, len, report ? CXLTA_DMA_REPORT : 0,
			   report, sum);
}

/* --unpinned: node of chunk @c's pages as move_pages(2) sees them. */
static int chunk_node_cpu(unsigned int c, unsigned int *pinned)
{
	uint64_t npages = app.chunk_size / 4096, i;
	void **pages = calloc(npages, sizeof(*pages));
	int *status = calloc(npages, sizeof(*status));
	int node = -2;

	if (!pages || !status)
		die("out of memory");
	for (i = 0; i < npages; i++)
		pages[i] = chunk_addr(c) + i * 4096;
	if (move_pages(0, npages, pages, NULL, status, 0) < 0)
		die("move_pages: %s", strerror(errno));
	for (i = 0; i < npages; i++) {
		if (status[i] < 0)
			continue;
		if (node == -2)
			node = status[i];
		else if (node != status[i])
			node = -1;
	}
	*pinned = (unsigned int)npages; /* nothing to check */
	free(pages);
	free(status);
	return node;
}

/*
 * Node of chunk @c's pinned pages (-1 mixed, -2 none pinned) and how many
 * of its pages are pinned.
 */
static int chunk_node(unsigned int c, unsigned int *pinned)
{
	int node, ret;

	if (app.unpinned)
		return chunk_node_cpu(c, pinned);
	ret = tb_pool_node(&app.pool, c, &node, pinned);
	if (ret)
		die("CXLTA_IOC_QUERY: %s", strerror(-ret));
	return node;
}

/* --- callbacks: quiesce the "device" on a range, resume it --------------- */

/* The chunks are marked released (the test bed's pool): say so, wait. */
static void on_release_done(struct tb_pool *p, uint32_t first, uint32_t end)
{
	mark("releasing %u", first);
	if (app.release_delay_ms)
		msleep(app.release_delay_ms);
	mark("released %u", first);
	if (app.arm_sig) {
		FILE *f = fopen(app.arm_file, "re");
		int pid = 0;

		if (!f || fscanf(f, "%d", &pid) != 1 || pid <= 1)
			die("no pid in %s", app.arm_file);
		fclose(f);
		kill(pid, app.arm_sig);
		mark("signalled %d %d", pid, app.arm_sig);
		app.arm_sig = 0;
	}
}

static void on_repin_begin(struct tb_pool *p, uint32_t first, uint32_t end)
{
	mark("repinning %u", first);
	if (app.repin_delay_ms)
		msleep(app.repin_delay_ms);
}

static void on_repin_done(struct tb_pool *p, uint32_t first, uint32_t end)
{
	mark("repinned %u", first);
}

static const struct tb_pool_ops pool_ops = {
	.release_done = on_release_done,
	.repin_begin = on_repin_begin,
	.repin_done = on_repin_done,
};

/* --- set-up -------------------------------------------------------------- */

static void place(uint8_t *addr, uint64_t len, int node)
{
	int ret = tb_bind(addr, len, node);

	if (ret)
		die("mbind node %d: %s", node, strerror(-ret));
}

/* --unpinned: track the pool with the module, CPU heat only. */
static void setup_unpinned(uint64_t len)
{
	struct cxltier_track t;

	app.kdev = open("/dev/cxltier", O_RDWR | O_CLOEXEC);
	if (app.kdev < 0)
		die("/dev/cxltier: %s", strerror(errno));
	memset(&t, 0, sizeof(t));
	t.argsz = sizeof(t);
	t.sources = CXLTIER_SRC_CPU;
	t.start = (uintptr_t)app.pool.base;
	t.length = len;
	t.chunk_size = app.chunk_size;
	snprintf(t.label, sizeof(t.label), "%s", app.label);
	if (ioctl(app.kdev, CXLTIER_IOC_TRACK, &t) < 0)
		die("CXLTIER_IOC_TRACK: %s", strerror(errno));
	mark("ready %u %#llx %llu %llu", t.id,
	     (unsigned long long)(uintptr_t)app.pool.base, (unsigned long long)len,
	     (unsigned long long)app.chunk_size);
}

static void setup(void)
{
	struct tb_pool_reg reg = { .label = app.label };
	uint64_t len = app.nr_chunks * app.chunk_size;
	unsigned int c, pinned;
	char err[256];
	int ret;

	if (app.far_node < 0)
		die("--far-node is required");
	app.sums = calloc(app.nr_chunks, sizeof(*app.sums));
	if (!app.sums)
		die("out of memory");
	ret = tb_pool_init(&app.pool, app.nr_chunks, app.chunk_size, 0);
	if (ret)
		die("mmap: %s", strerror(-ret));
	app.pool.ops = &pool_ops;

	/* DRAM first, the far node for the last far_chunks, then fill. */
	for (c = 0; c < app.nr_chunks; c++) {
		place(chunk_addr(c), app.chunk_size,
		      c < app.nr_chunks - app.far_chunks ? app.dram_node :
							   app.far_node);
		tb_pattern_fill(chunk_addr(c), app.chunk_size, c);
		app.sums[c] = tb_fnv(CXLTA_FNV_OFFSET, chunk_addr(c),
				     app.chunk_size);
	}
	/* The policy only placed the pages: migration must not obey it. */
	ret = tb_unbind(app.pool.base, len);
	if (ret)
		die("mbind default: %s", strerror(-ret));

	if (app.unpinned) {
		setup_unpinned(len);
		return;
	}
	reg.socket = app.socket;
	reg.open_flags = app.no_agent_ok ? CXLTIER_OPEN_NO_AGENT : 0;
	ret = tb_pool_register(&app.pool, &reg, err, sizeof(err));
	if (ret)
		die("%s", err);

	for (c = 0; c < app.nr_chunks; c++) {
		int node = chunk_node(c, &pinned);
		int want = c < app.nr_chunks - app.far_chunks ? app.dram_node :
								 app.far_node;

		if (node != want || pinned != app.chunk_size / 4096)
			die("chunk %u: on node %d with %u pages pinned, wanted node %d, all pinned",
			    c, node, pinned, want);
	}
	mark("ready %u %#llx %llu %llu", cxltier_buffer_id(app.pool.buf),
	     (unsigned long long)(uintptr_t)app.pool.base, (unsigned long long)len,
	     (unsigned long long)app.chunk_size);
}

/* --- checks -------------------------------------------------------------- */

/*
 * Every byte against the pattern (CPU), every pinned chunk's checksum
 * through the device, every page pinned unless released.  Returns the
 * number of problems (each logged).
 */
static unsigned int verify(bool quiet)
{
	unsigned int c, pinned, bad = 0;
	uint64_t sum, corrupt;
	bool released;
	int ret;

	for (c = 0; c < app.nr_chunks; c++) {
		corrupt = tb_pattern_check(chunk_addr(c), app.chunk_size, c);
		if (corrupt) {
			app.corrupt_bytes += corrupt;
			if (!bad++)
				mark("corrupt chunk %u: %llu bytes", c,
				     (unsigned long long)corrupt);
		}
		app.bytes_verified += app.chunk_size;

		pthread_mutex_lock(&app.pool.lock);
		released = app.pool.released[c] || app.unpinned;
		if (!released) {
			ret = dma_read(c, 0, app.chunk_size, 0, &sum);
			if (ret) {
				mark("chunk %u: device read failed: %s", c,
				     strerror(-ret));
				app.dma_errors++;
				bad++;
			} else if (sum != app.sums[c]) {
				mark("chunk %u: device sees other bytes than the CPU (stale pin?)",
				     c);
				bad++;
			}
			chunk_node(c, &pinned);
			if (pinned != app.chunk_size / 4096) {
				mark("chunk %u: %u of %llu pages pinned", c,
				     pinned,
				     (unsigned long long)(app.chunk_size / 4096));
				bad++;
			}
		}
		pthread_mutex_unlock(&app.pool.lock);
	}
	if (!quiet || bad)
		mark("verify %s (%u problems)", bad ? "failed" : "ok", bad);
	return bad;
}

/* One round of device reads over the hot chunks, with reports. */
static void traffic_round(unsigned int first, unsigned int count,
			  unsigned int round)
{
	unsigned int c;
	int ret;

	for (c = first; c < first + count && c < app.nr_chunks; c++) {
		if (app.unpinned) {
			volatile const uint8_t *p = chunk_addr(c);
			uint64_t o;

			/* Every page, so that every Accessed bit is set. */
			for (o = 0; o < app.chunk_size; o += 4096)
				(void)p[o];
			continue;
		}
		pthread_mutex_lock(&app.pool.lock);
		if (!app.pool.released[c]) {
			/* Half the reports in the kernel, half via the library. */
			ret = dma_read(c, (round % 8) * (app.chunk_size / 8),
				       TRAFFIC_BYTES, (round + c) % 2 ? 4 : 0,
				       NULL);
			if (ret) {
				app.dma_errors++;
				mark("chunk %u: device read failed: %s", c,
				     strerror(-ret));
			}
			if (!ret && (round + c) % 2 == 0 && app.pool.buf)
				cxltier_report(app.pool.buf,
					       (uint64_t)c * app.chunk_size,
					       app.chunk_size, 4);
		}
		pthread_mutex_unlock(&app.pool.lock);
	}
}

/* Are chunks [first, first + count) in DRAM and the others far? */
static unsigned int placed(unsigned int first, unsigned int count,
			   bool *all)
{
	unsigned int c, pinned, in_dram = 0;
	int node;

	*all = true;
	for (c = 0; c < app.nr_chunks; c++) {
		pthread_mutex_lock(&app.pool.lock);
		node = app.pool.released[c] ? -3 : chunk_node(c, &pinned);
		pthread_mutex_unlock(&app.pool.lock);
		if (c >= first && c < first + count) {
			in_dram += node == app.dram_node;
			*all = *all && node == app.dram_node;
		} else {
			*all = *all && node == app.far_node;
		}
	}
	return in_dram;
}

/* --- commands ------------------------------------------------------------ */

static int cmd_move(unsigned int c, int node, bool expect_fail, bool any)
{
	uint64_t moved = 0;
	unsigned int pinned;
	int ret, now;

	if (app.unpinned)
		die("move needs a registered buffer (not --unpinned)");
	ret = cxltier_move(app.pool.buf, (uint64_t)c * app.chunk_size,
			   app.chunk_size, node, &moved);
	if (any) {
		mark("move-try %u %d: %s", c, node, ret ? strerror(-ret) : "ok");
		if (verify(true))
			die("verification failed after trying to move chunk %u",
			    c);
		return 0;
	}
	if (expect_fail) {
		if (!ret)
			die("move of chunk %u to node %d succeeded", c, node);
		mark("move %u %d refused: %s", c, node, strerror(-ret));
		return 0;
	}
	if (ret)
		die("move of chunk %u to node %d: %s", c, node, strerror(-ret));
	now = chunk_node(c, &pinned);
	if (now != node || pinned != app.chunk_size / 4096)
		die("chunk %u after its move: node %d, %u pages pinned", c, now,
		    pinned);
	app.moves_ok++;
	mark("moved %u %d %llu", c, node, (unsigned long long)moved);
	if (verify(true))
		die("verification failed after moving chunk %u", c);
	return 0;
}

static void cmd_traffic(double seconds, unsigned int first,
			unsigned int count)
{
	double end = clock_now_s() + seconds;
	unsigned int round = 0;

	while (clock_now_s() < end) {
		traffic_round(first, count, round++);
		msleep(20);
	}
	if (app.pool.ctx)
		cxltier_flush(app.pool.ctx);
}

static void *bg_main(void *arg)
{
	unsigned int round = 0;

	while (!app.bg_stop) {
		traffic_round(app.bg_first, app.bg_count, round++);
		msleep(5);
	}
	return NULL;
}

static void cmd_bg(bool start, unsigned int first, unsigned int count)
{
	if (start && !app.bg_on) {
		app.bg_first = first;
		app.bg_count = count;
		app.bg_stop = false;
		if (pthread_create(&app.bg, NULL, bg_main, NULL))
			die("pthread_create failed");
		app.bg_on = true;
	} else if (!start && app.bg_on) {
		app.bg_stop = true;
		pthread_join(app.bg, NULL);
		app.bg_on = false;
		if (app.pool.ctx)
			cxltier_flush(app.pool.ctx);
	}
}

static void cmd_converge(double seconds, unsigned int first,
			 unsigned int count)
{
	double start = clock_now_s(), end = start + seconds, next_check = start;
	unsigned int round = 0;
	bool all = false;

	app.hot_count = count;
	app.converge_intervals = -1;
	while (clock_now_s() < end) {
		traffic_round(first, count, round++);
		msleep(20);
		if (clock_now_s() < next_check)
			continue;
		next_check = clock_now_s() + 0.25;
		app.hot_in_dram = placed(first, count, &all);
		if (all)
			break;
	}
	if (app.pool.ctx)
		cxltier_flush(app.pool.ctx);
	if (!all)
		die("chunks %u-%u not in DRAM (%u of %u) with the others far after %.0f s",
		    first, first + count - 1, app.hot_in_dram, count, seconds);
	app.converge_intervals =
		(int)((clock_now_s() - start) * 1000 / app.interval_ms + 0.999);
	mark("converged %u %u in %d intervals", first, count,
	     app.converge_intervals);
	if (verify(true))
		die("verification failed after converging");
}

static void cmd_hold(double seconds)
{
	double end = clock_now_s() + seconds;

	while (clock_now_s() < end) {
		msleep(1000);
		if (verify(true))
			die("verification failed while holding");
	}
}

static void cmd_wait_connected(double seconds)
{
	double end = clock_now_s() + seconds;

	while (!app.pool.ctx || !cxltier_connected(app.pool.ctx)) {
		if (clock_now_s() > end)
			die("not connected to the agent after %.0f s", seconds);
		msleep(100);
	}
	mark("connected");
}

static void cmd_wait_file(const char *path)
{
	while (access(path, F_OK))
		msleep(50);
}

static void cmd_where(void)
{
	unsigned int c, pinned;
	char line[1024];
	size_t n = 0;

	for (c = 0; c < app.nr_chunks && n < sizeof(line) - 16; c++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %d",
				      chunk_node(c, &pinned));
	mark("where%s", line);
}

static void cmd_summary(void)
{
	printf("{\"chunks\": %u, \"chunk_bytes\": %llu, \"handshakes\": %llu, "
	       "\"moves\": %llu, \"bytes_verified\": %llu, "
	       "\"corrupt_bytes\": %llu, \"dma_errors\": %llu, "
	       "\"hot_in_dram_ratio\": %.3f, \"intervals_to_converge\": %d}\n",
	       app.nr_chunks, (unsigned long long)app.chunk_size,
	       (unsigned long long)app.pool.handshakes,
	       (unsigned long long)app.moves_ok,
	       (unsigned long long)app.bytes_verified,
	       (unsigned long long)app.corrupt_bytes,
	       (unsigned long long)app.dma_errors,
	       app.hot_count ? (double)app.hot_in_dram / app.hot_count : 0.0,
	       app.converge_intervals);
	fflush(stdout);
}

static void run(const char *cmd)
{
	unsigned int a, b;
	double s;
	int node;

	if (sscanf(cmd, "move:%u:%d", &a, &node) == 2 && a < app.nr_chunks)
		cmd_move(a, node, false, false);
	else if (sscanf(cmd, "move-fail:%u:%d", &a, &node) == 2 &&
		 a < app.nr_chunks)
		cmd_move(a, node, true, false);
	else if (sscanf(cmd, "move-try:%u:%d", &a, &node) == 2 &&
		 a < app.nr_chunks)
		cmd_move(a, node, false, true);
	else if (!strncmp(cmd, "arm-release:kill:", 17) ||
		 !strncmp(cmd, "arm-release:stop:", 17)) {
		app.arm_sig = cmd[12] == 'k' ? SIGKILL : SIGSTOP;
		snprintf(app.arm_file, sizeof(app.arm_file), "%s", cmd + 17);
	}
	else if (!strcmp(cmd, "verify")) {
		if (verify(false))
			die("verification failed");
	} else if (sscanf(cmd, "traffic:%lf:%u:%u", &s, &a, &b) == 3)
		cmd_traffic(s, a, b);
	else if (sscanf(cmd, "bg-traffic:%u:%u", &a, &b) == 2)
		cmd_bg(true, a, b);
	else if (!strcmp(cmd, "bg-stop"))
		cmd_bg(false, 0, 0);
	else if (sscanf(cmd, "converge:%lf:%u:%u", &s, &a, &b) == 3)
		cmd_converge(s, a, b);
	else if (sscanf(cmd, "hold:%lf", &s) == 1)
		cmd_hold(s);
	else if (sscanf(cmd, "wait-connected:%lf", &s) == 1)
		cmd_wait_connected(s);
	else if (!strncmp(cmd, "wait-file:", 10))
		cmd_wait_file(cmd + 10);
	else if (!strcmp(cmd, "where"))
		cmd_where();
	else if (!strcmp(cmd, "summary"))
		cmd_summary();
	else
		die("unknown command \"%s\"", cmd);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cxltier-e2e-app --far-node N [--dram-node N] [--chunks N]\n"
		"         [--chunk-size BYTES] [--far-chunks N] [--label L]\n"
		"         [--socket PATH] [--interval-ms MS] [--release-delay-ms MS]\n"
		"         [--repin-delay-ms MS] [--unpinned]\n"
		"         [--no-agent-ok] [--log FILE] COMMAND...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "far-node", required_argument, NULL, 'f' },
		{ "dram-node", required_argument, NULL, 'd' },
		{ "chunks", required_argument, NULL, 'n' },
		{ "chunk-size", required_argument, NULL, 'c' },
		{ "far-chunks", required_argument, NULL, 'F' },
		{ "label", required_argument, NULL, 'l' },
		{ "socket", required_argument, NULL, 's' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "release-delay-ms", required_argument, NULL, 'r' },
		{ "repin-delay-ms", required_argument, NULL, 'R' },
		{ "no-agent-ok", no_argument, NULL, 'N' },
		{ "unpinned", no_argument, NULL, 'U' },
		{ "log", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	app.log = stderr;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			app.far_node = atoi(optarg);
			break;
		case 'd':
			app.dram_node = atoi(optarg);
			break;
		case 'n':
			app.nr_chunks = (unsigned int)atoi(optarg);
			break;
		case 'c':
			app.chunk_size = strtoull(optarg, NULL, 0);
			break;
		case 'F':
			app.far_chunks = (unsigned int)atoi(optarg);
			break;
		case 'l':
			app.label = optarg;
			break;
		case 's':
			app.socket = optarg;
			break;
		case 'i':
			app.interval_ms = (unsigned int)atoi(optarg);
			break;
		case 'r':
			app.release_delay_ms = (unsigned int)atoi(optarg);
			break;
		case 'R':
			app.repin_delay_ms = (unsigned int)atoi(optarg);
			break;
		case 'N':
			app.no_agent_ok = true;
			break;
		case 'U':
			app.unpinned = true;
			break;
		case 'L':
			app.log = fopen(optarg, "ae");
			if (!app.log)
				die("%s: %s", optarg, strerror(errno));
			break;
		default:
			usage();
		}
	}
	if (app.far_chunks == (unsigned int)-1)
		app.far_chunks = app.nr_chunks / 2;
	if (!app.nr_chunks || app.far_chunks > app.nr_chunks ||
	    app.chunk_size < 65536 || (app.chunk_size & (app.chunk_size - 1)) ||
	    !app.interval_ms)
		usage();
	setup();
	for (; optind < argc; optind++)
		run(argv[optind]);
	cmd_bg(false, 0, 0);
	if (app.dma_errors)
		die("%llu device accesses failed on pinned chunks",
		    (unsigned long long)app.dma_errors);
	tb_pool_unregister(&app.pool);
	mark("done");
	return 0;
}
