/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testbed: what the benchmarks (cxltier-bench), kvreplay --real and the
 * guest selftests need around cxltier and share, in the manner of
 * tools/testing/selftests/mm/thp_settings.c upstream:
 *
 *   sysfs.c  /sys/kernel/cxltier/ numbers, and the tunables a run
 *            changes saved and put back;
 *   agent.c  a private cxltierd: its own directory, config, socket,
 *            metrics and log; started, stopped, its metrics read;
 *   accel.c  the fake accelerator (cxltier_test_accel.ko): opened (and
 *            loaded), DMA, node query; page placement and the data
 *            pattern every test checks;
 *   pool.c   a pool of chunks pinned by the fake accelerator and
 *            registered with libcxltier, with the release / re-pin
 *            callbacks that keep the device off a chunk while it moves;
 *   heat_accuracy.c  the heat-accuracy measurement, run by cxltier-bench
 *            heat-accuracy and the heat_accuracy selftest.
 *
 * Functions return 0 (or a value) or -errno; none exits.
 */
#ifndef CXLTIER_TESTBED_H
#define CXLTIER_TESTBED_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cxltier;
struct cxltier_buffer;

/* --- sysfs.c -------------------------------------------------------------- */

/* /sys/kernel/cxltier/@name as a number; -errno on error. */
long long tb_sysfs_get(const char *name);
/* Write @v to /sys/kernel/cxltier/@name; 0 or -errno. */
int tb_sysfs_set(const char *name, long long v);
/* Write @text as it is (garbage included, for tests); 0 or -errno. */
int tb_sysfs_write(const char *name, const char *text);

/* The tunables a run may change, in tb_tunable_names order. */
#define TB_NR_TUNABLES 9
extern const char *const tb_tunable_names[TB_NR_TUNABLES];

/**
 * struct tb_tunables - tunables saved to be put back
 * @v: each tunable's value, -errno where it could not be read
 */
struct tb_tunables {
	long long v[TB_NR_TUNABLES];
};

void tb_tunables_save(struct tb_tunables *t);
/* Write back every tunable that tb_tunables_save() could read. */
void tb_tunables_restore(const struct tb_tunables *t);

/* --- agent.c -------------------------------------------------------------- */

/**
 * struct tb_agent - a private cxltierd
 * @pid: its pid, 0 when not running
 * @made_dir: @dir was created by tb_agent_init() (removed by cleanup)
 * @dir: its directory: @config, @metrics, @log (and whatever the caller
 *	adds, e.g. a conf.d/)
 * @sockdir: a directory of its own for @socket (a path in @dir may be
 *	too long for a socket address)
 * @socket: its socket
 * @config: its main configuration file
 * @metrics: its metrics file
 * @log: its standard output and error
 */
struct tb_agent {
	pid_t pid;
	bool made_dir;
	char dir[PATH_MAX];
	char sockdir[PATH_MAX];
	char socket[PATH_MAX + 32];
	char config[PATH_MAX + 32];
	char metrics[PATH_MAX + 32];
	char log[PATH_MAX + 32];
};

/*
 * Set up @a: @dir (created if missing), or when NULL a new directory
 * "@prefix.XXXXXX" under $TMPDIR (default /tmp); the socket's own
 * directory next to it.  0 or -errno with a message in @err.
 */
int tb_agent_init(struct tb_agent *a, const char *dir, const char *prefix, char *err,
		  size_t errlen);
/* Write @text as the agent's main config file.  0 or -errno, @err set. */
int tb_agent_write_config(const struct tb_agent *a, const char *text, char *err,
			  size_t errlen);
/*
 * Start @program (a path, or a name looked up in $PATH) in the
 * foreground with @a's config, socket and metrics, its output in @a's
 * log, and wait up to 30 s for its socket.  0 or -errno with @err set:
 * -ENOENT (not found or not executable), -ECHILD (it exited first),
 * -ETIMEDOUT (no socket; it is killed).
 */
int tb_agent_start(struct tb_agent *a, const char *program, char *err, size_t errlen);
/*
 * SIGTERM, then SIGKILL after 10 s.  0 when it exited with status 0,
 * -ETIMEDOUT when it had to be killed, -ECHILD otherwise; 0 when it was
 * not running.
 */
int tb_agent_stop(struct tb_agent *a);
/*
 * Remove the socket's directory and, unless @keep, @a's directory when
 * tb_agent_init() made it (everything in it).  With @keep and a @who,
 * says on stderr where the files are, after "@who: ".
 */
void tb_agent_cleanup(struct tb_agent *a, bool keep, const char *who);
/*
 * Sum of the samples of @series in the metrics file: a metric name (its
 * samples with any labels), or a name with the start of a label set
 * ('cxltier_migrations_total{direction="promote"').  -1 if unreadable.
 */
double tb_agent_metric(const struct tb_agent *a, const char *series);
/* Path of program @name next to the running one, else @name (for $PATH). */
int tb_sibling(const char *name, char *path, size_t len);

/* --- accel.c -------------------------------------------------------------- */

#define TB_ACCEL_DEV	"/dev/cxltier_test_accel"

/* tb_accel_open() @flags */
#define TB_ACCEL_LOAD		0x1	/* load the module when it is not */
#define TB_ACCEL_UNLOAD_AT_EXIT	0x2	/* ...and unload it at exit */

/*
 * Open the fake accelerator; with TB_ACCEL_LOAD, when it is not loaded,
 * insmod $CXLTIER_MODDIR/selftests/cxltier_test_accel.ko (a build
 * tree's, in the test guest) or, without $CXLTIER_MODDIR, modprobe it
 * (installed).  With TB_ACCEL_UNLOAD_AT_EXIT too, a module loaded here is
 * unloaded when the program exits, after its descriptors of the device
 * are closed.  fd or -errno.
 */
int tb_accel_open(unsigned int flags);
/*
 * Device access of [@off, @off + @len) of pin @handle: CXLTA_DMA_*
 * @flags, @report_count accesses reported when CXLTA_DMA_REPORT.  The
 * checksum of the bytes into @checksum and the report's result into
 * @report_result when not NULL.  0 or -errno.
 */
int tb_accel_dma(int fd, uint32_t handle, uint64_t off, uint64_t len, uint32_t flags,
		 uint32_t report_count, uint64_t *checksum, int *report_result);
/*
 * Node of the pinned pages among @nr_pages pages from @first_page of pin
 * @handle into @node (-1: on several nodes, -2: none pinned), and how
 * many are pinned into @pinned.  0 or -errno.
 */
int tb_accel_node(int fd, uint32_t handle, uint64_t first_page, uint32_t nr_pages,
		  int *node, unsigned int *pinned);

/*
 * Pages of pin @handle into @nr_pages and how many the device holds
 * pinned now into @nr_pinned (the module's own count: exact, at once).
 * 0 or -errno.
 */
int tb_accel_pinned(int fd, uint32_t handle, uint64_t *nr_pages, uint64_t *nr_pinned);

/* FNV-1a of @len bytes from @p, continuing from @h (CXLTA_FNV_OFFSET first). */
uint64_t tb_fnv(uint64_t h, const void *p, size_t len);
/* Fill @len bytes (a multiple of 8) at @p with data @id's pattern. */
void tb_pattern_fill(void *p, size_t len, uint32_t id);
/* Bytes of the @len at @p that differ from data @id's pattern. */
uint64_t tb_pattern_check(const void *p, size_t len, uint32_t id);

/* Node of the page at @addr (move_pages(2)), or -errno. */
int tb_page_node(const void *addr);
/* mbind(MPOL_BIND, strict) of [@addr, @addr + @len) to @node; 0 or -errno. */
int tb_bind(void *addr, size_t len, int node);
/* Back to the default policy (after placing: migration must not obey it). */
int tb_unbind(void *addr, size_t len);

/* tb_map() @flags */
#define TB_MAP_THP	0x1	/* MADV_HUGEPAGE */
#define TB_MAP_NOTHP	0x2	/* MADV_NOHUGEPAGE */
#define TB_MAP_NORESERVE 0x4	/* MAP_NORESERVE */
#define TB_MAP_TOUCH	0x8	/* write each page once, so it is resident */

/*
 * Anonymous private memory of @len bytes aligned to @align (a power of
 * two), the slack unmapped, so tb_unmap(p, len) frees it.  NULL on
 * failure (errno set).
 */
void *tb_map(size_t len, size_t align, unsigned int flags);
void tb_unmap(void *p, size_t len);
/* KiB of the mapping at @p backed by transparent huge pages, -1 if unknown. */
long tb_thp_kb(const void *p);

/* --- pool.c --------------------------------------------------------------- */

struct tb_pool;

/**
 * struct tb_pool_ops - what a pool's user adds to the handshake
 * @released: under the pool's lock, chunks [@first, @end) just marked
 *	released (the device is off them)
 * @release_done: after that, without the lock (markers, delays)
 * @repin_begin: the range is pinned again, before the lock is taken
 * @repinned: under the lock, before chunks [@first, @end) are marked
 *	pinned (the move is over: check, count)
 * @repin_done: after that, without the lock
 *
 * Each may be NULL.
 */
struct tb_pool_ops {
	void (*released)(struct tb_pool *p, uint32_t first, uint32_t end);
	void (*release_done)(struct tb_pool *p, uint32_t first, uint32_t end);
	void (*repin_begin)(struct tb_pool *p, uint32_t first, uint32_t end);
	void (*repinned)(struct tb_pool *p, uint32_t first, uint32_t end);
	void (*repin_done)(struct tb_pool *p, uint32_t first, uint32_t end);
};

/**
 * struct tb_pool - chunks pinned by the fake accelerator
 * @base: chunk 0, aligned to @chunk
 * @bytes: @nr_chunks * @chunk
 * @chunk: bytes per chunk
 * @nr_chunks: chunks
 * @accel: the fake accelerator's file, -1 when not open
 * @handle: the pin's handle, 0 before tb_pool_register()
 * @ctx: libcxltier context
 * @buf: the registered buffer
 * @ops: the user's part of the handshake, or NULL
 * @priv: the user's
 * @lock: serialises device accesses with the handshake's callbacks
 *	(taking it waits for an access in progress); protects @released,
 *	@handshakes and what the user's locked ops touch
 * @released: chunk n is released to the agent for a move now
 * @handshakes: completed release / re-pin cycles
 */
struct tb_pool {
	uint8_t *base;
	size_t bytes;
	uint64_t chunk;
	uint32_t nr_chunks;
	int accel;
	uint32_t handle;
	struct cxltier *ctx;
	struct cxltier_buffer *buf;
	const struct tb_pool_ops *ops;
	void *priv;
	pthread_mutex_t lock;
	bool *released;
	uint64_t handshakes;
};

/*
 * The memory of @nr_chunks chunks of @chunk bytes (TB_MAP_* @map_flags),
 * nothing pinned.  0 or -errno.
 */
int tb_pool_init(struct tb_pool *p, uint32_t nr_chunks, uint64_t chunk,
		 unsigned int map_flags);

/**
 * struct tb_pool_reg - how to register a pool
 * @socket: the agent's socket, NULL for the default
 * @label: the buffer's label
 * @sources: CXLTIER_BUF_SRC_*, 0 for libcxltier's default
 * @open_flags: CXLTIER_OPEN_* for cxltier_open()
 * @log: libcxltier's log callback, or NULL
 */
struct tb_pool_reg {
	const char *socket;
	const char *label;
	uint32_t sources;
	uint32_t open_flags;
	void (*log)(void *priv, int priority, const char *msg);
};

/*
 * Open the fake accelerator (not loading it), connect to the agent and
 * register the pool with the "test-accel" adapter, which pins it.
 * 0 or -errno with @err set.
 */
int tb_pool_register(struct tb_pool *p, const struct tb_pool_reg *r, char *err,
		     size_t errlen);
/* Unregister (the pins go) and disconnect; 0 or cxltier_unregister()'s error. */
int tb_pool_unregister(struct tb_pool *p);
/* tb_pool_unregister() if registered, and free the memory. */
void tb_pool_destroy(struct tb_pool *p);

static inline uint8_t *tb_pool_chunk(const struct tb_pool *p, uint32_t c)
{
	return p->base + (uint64_t)c * p->chunk;
}

/* Device access within chunk @c, as tb_accel_dma(). */
int tb_pool_dma(const struct tb_pool *p, uint32_t c, uint64_t off, uint64_t len,
		uint32_t flags, uint32_t report_count, uint64_t *checksum);
/* Node of chunk @c's pinned pages and how many are pinned, as tb_accel_node(). */
int tb_pool_node(const struct tb_pool *p, uint32_t c, int *node, unsigned int *pinned);

/* --- heat_accuracy.c ------------------------------------------------------ */

/**
 * struct ha_opts - heat-accuracy settings
 * @size: buffer bytes (a multiple of 2 MiB)
 * @hot: chunks in each of the CPU and the device hot sets
 * @epoch_ms, @half_life_ms, @scan_interval_ms, @device_weight: tunables
 *	set for the run (restored after)
 * @warm_epochs: epochs of steady access before the measurement
 * @max_shift_epochs: give up on the shift after this many epochs
 * @sampling: scan by sampling (scan_exact_max_pages 0 for the run)
 * @verbose: progress on stderr
 */
struct ha_opts {
	size_t size;
	unsigned int hot;
	unsigned int epoch_ms, half_life_ms, scan_interval_ms, device_weight;
	unsigned int warm_epochs, max_shift_epochs;
	int sampling;
	int verbose;
};

/**
 * struct ha_result - heat-accuracy figures of one buffer
 * @cpu_recall: share of the CPU-touched chunks among the top K
 * @cpu_precision: share of the top-K chunks the module attributes to the
 *	CPU that really were CPU-touched
 * @dma_recall, @dma_precision: the same for the device set
 * @shift_epochs: epochs after the hot sets moved until exactly the new
 *	sets were the top K (-1: not within max_shift_epochs)
 * @thp_kb: KiB of the buffer backed by THP
 */
struct ha_result {
	double cpu_recall, cpu_precision, dma_recall, dma_precision;
	int shift_epochs;
	long thp_kb;
};

void ha_opts_default(struct ha_opts *o);
/* Run on a 4 KiB-page (@thp 0) or THP buffer.  0 or -errno. */
int ha_run(const struct ha_opts *o, int thp, struct ha_result *res);

#endif /* CXLTIER_TESTBED_H */
