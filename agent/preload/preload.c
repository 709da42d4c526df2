// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcxltier-preload.so: an LD_PRELOAD shim for unmodified CUDA
 * applications.  It interposes cudaHostAlloc, cudaMallocHost,
 * cudaFreeHost, cudaHostRegister and cudaHostUnregister (the real ones
 * are found with dlsym(RTLD_NEXT)), and:
 *
 *  - places each cudaHostAlloc/cudaMallocHost allocation on the tier its
 *    cxltierd class says (mmap, mbind MPOL_BIND, populate, then one
 *    cudaHostRegister per chunk of at most 64 GiB);
 *  - cuts every cudaHostRegister above that size into chunks (a single
 *    registration of 512 GiB or more fails);
 *  - tracks each buffer with cxltier.ko (CPU heat) and cxltierd
 *    (accounting) through libcxltier, adapter "none".  It never lets one
 *    move: the application has no quiesce point, so release() refuses.
 *
 * Whatever goes wrong on the shim's side (no such class, no node with
 * room, mbind or populate failing), the call goes to the real CUDA
 * runtime unchanged: the shim never fails an allocation that would have
 * succeeded without it.  See libcxltier-preload(8).
 */
#include <dlfcn.h>
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "kdev.h"
#include "libcxltier.h"
#include "numalog.h"
#include "place.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

/* cudaError_t values and flags the shim uses (driver_types.h). */
typedef int cudaError_t;
#define CUDA_SUCCESS				0
#define CUDA_ERROR_MEMORY_ALLOCATION		2
#define CUDA_ERROR_INITIALIZATION		3
#define CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED	713
#define CUDA_HOST_ALLOC_PORTABLE		0x01
#define CUDA_HOST_ALLOC_MAPPED			0x02
#define CUDA_HOST_ALLOC_WRITE_COMBINED		0x04
#define CUDA_HOST_REGISTER_PORTABLE		0x01
#define CUDA_HOST_REGISTER_MAPPED		0x02

/* Free memory left on a node after an allocation placed there. */
#define PRELOAD_NODE_RESERVE	(64ULL << 20)

#define LABEL_ALLOC_DEFAULT	"cuda-host-alloc"
#define LABEL_REGISTER_DEFAULT	"cuda-host-register"

/* The shim's exported entry points (the CUDA runtime's names). */
cudaError_t cudaHostAlloc(void **ptr, size_t size, unsigned int flags);
cudaError_t cudaMallocHost(void **ptr, size_t size);
cudaError_t cudaFreeHost(void *ptr);
cudaError_t cudaHostRegister(void *ptr, size_t size, unsigned int flags);
cudaError_t cudaHostUnregister(void *ptr);

/**
 * struct rec - a buffer the shim handled
 * @base: what the application got or gave
 * @length: its bytes (allocations: rounded up to the page size)
 * @owned: the shim mapped it (cudaHostAlloc) and frees it
 * @nr_chunks: registrations made, of @chunk bytes each but the last
 * @chunk: registration size
 * @buf: libcxltier's handle, NULL when not tracked
 * @next: list link
 */
struct rec {
	void *base;
	size_t length;
	int owned;
	size_t nr_chunks;
	uint64_t chunk;
	struct cxltier_buffer *buf;
	struct rec *next;
};

/**
 * struct kind - one allocation class: the calls that share a label
 * @calls: the entry points, for the log line
 * @label: the label buffers get (the classes match it)
 * @place: where its allocations go (@placed)
 * @placed: the shim places them (else left to the CUDA runtime)
 * @warned: a fallback was already reported once
 */
struct kind {
	const char *calls;
	char label[CONFIG_PATTERN_LEN];
	struct preload_place place;
	int placed;
	int warned;
};

static struct {
	int off;
	uint64_t max_register;
	size_t page;
	struct config cfg;
	struct kind alloc;
	struct kind reg;
	pthread_mutex_t lock;
	struct rec *recs;
	pthread_once_t ctx_once;
	struct cxltier *ctx;
	int debug;
} S = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.ctx_once = PTHREAD_ONCE_INIT,
	.alloc = { .calls = "cudaHostAlloc, cudaMallocHost" },
	.reg = { .calls = "cudaHostRegister" },
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "cxltier-preload: %s\n", msg);
}

/* The next definition of @name, the real CUDA runtime's; NULL if none. */
static void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

#define REAL(name, ...)							\
	({ void *fn_ = real(#name);					\
	   fn_ ? ((__typeof__(&name))fn_)(__VA_ARGS__) : CUDA_ERROR_INITIALIZATION; })

/* --- startup --------------------------------------------------------- */

static int env_off(void)
{
	const char *v = getenv("CXLTIER_PRELOAD");

	return v && (!strcmp(v, "0") || !strcasecmp(v, "off") ||
		     !strcasecmp(v, "no") || !strcasecmp(v, "false"));
}

static void env_label(char *dst, const char *var, const char *def)
{
	const char *v = getenv(var);

	snprintf(dst, CONFIG_PATTERN_LEN, "%s", v && *v ? v : def);
}

/* The memory nodes, from cxltier.ko's tier table or else libnuma. */
static unsigned int gather_nodes(struct preload_node *out)
{
	struct cxltier_node_info *info = NULL;
	uint32_t nr = 0, nr_tiers = 0, i;
	unsigned int n = 0;
	struct kdev dev;
	int node, max;

	if (!kdev_open(&dev, getenv("CXLTIER_DEVICE"))) {
		if (!kdev_get_nodes(&dev, &info, &nr, &nr_tiers)) {
			for (i = 0; i < nr && n < PRELOAD_MAX_NODES; i++) {
				out[n].node = info[i].node;
				out[n].far = info[i].tier > 0;
				n++;
			}
			free(info);
		}
		kdev_close(&dev);
	}
	if (!n && numa_available() >= 0) {
		max = numa_max_node();
		for (node = 0; node <= max && n < PRELOAD_MAX_NODES; node++) {
			struct bitmask *cpus;

			if (!numa_bitmask_isbitset(numa_nodes_ptr, node) ||
			    numa_node_size64(node, NULL) <= 0)
				continue;
			cpus = numa_allocate_cpumask();
			out[n].node = node;
			out[n].far = !numa_node_to_cpus(node, cpus) &&
				     !numa_bitmask_weight(cpus);
			numa_free_cpumask(cpus);
			n++;
		}
	}
	for (i = 0; i < n; i++) {
		long long free_b = 0;

		numa_node_size64(out[i].node, &free_b);
		out[i].free_bytes = free_b > 0 ? (uint64_t)free_b : 0;
	}
	return n;
}

static const char *fmt_size(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;

	while (u < 4 && b && !(b & 1023)) {
		b >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)b, unit[u]);
	return buf;
}

static void decide_kind(struct kind *k, int place, const char *force,
			const struct preload_node *nodes, unsigned int nr,
			const char *comm)
{
	char why[160], list[128] = "", sz[32];
	const char *cls;
	size_t off = 0;
	unsigned int i;
	int rc;

	fmt_size(S.max_register, sz, sizeof(sz));
	rc = preload_decide(&S.cfg, force, k->label, comm, nodes, nr,
			    &k->place, why, sizeof(why));
	cls = S.cfg.classes[k->place.class_idx].name;
	if (!place) {
		say("%s: label \"%s\", class \"%s\": placement kept, registered in chunks of at most %s",
		    k->calls, k->label, rc == -ENOENT ? "default" : cls, sz);
		return;
	}
	if (rc) {
		say("warning: %s: %s; left to the CUDA runtime", k->calls, why);
		return;
	}
	for (i = 0; i < k->place.nr_nodes && off < sizeof(list) - 12; i++)
		off += snprintf(list + off, sizeof(list) - off, "%s%u",
				i ? "," : "", k->place.nodes[i]);
	k->placed = 1;
	say("%s: label \"%s\", class \"%s\": %s, node %s, registered in chunks of at most %s",
	    k->calls, k->label, cls, k->place.far ? "far memory" : "DRAM", list, sz);
}

/* libnuma's messages during startup go to the shim's log, not exit(). */
static void numa_msg(int is_error, const char *msg, void *arg)
{
	if (S.debug)
		say("libnuma: %s", msg);
}

__attribute__((constructor)) static void preload_init(void)
{
	struct preload_node nodes[PRELOAD_MAX_NODES];
	const char *path = getenv("CXLTIER_PRELOAD_CONFIG");
	const char *force = getenv("CXLTIER_PRELOAD_CLASS");
	const char *v = getenv("CXLTIER_PRELOAD_MAX_REGISTER");
	char err[CONFIG_ERR_LEN], comm[32] = "";
	unsigned int nr;
	int place = 1;
	FILE *f;

	if (env_off()) {
		S.off = 1;
		return;
	}
	S.debug = getenv("CXLTIER_DEBUG") != NULL;
	S.page = (size_t)sysconf(_SC_PAGESIZE);
	S.max_register = PRELOAD_MAX_REGISTER_DEFAULT;
	if (v && preload_parse_size(v, S.page, &S.max_register))
		say("warning: CXLTIER_PRELOAD_MAX_REGISTER=%s is not a size in whole pages; using 64 GiB", v);
	env_label(S.alloc.label, "CXLTIER_PRELOAD_LABEL", LABEL_ALLOC_DEFAULT);
	env_label(S.reg.label, "CXLTIER_PRELOAD_REGISTER_LABEL", LABEL_REGISTER_DEFAULT);
	numalog_set_handler(numa_msg, NULL);

	if (config_load(&S.cfg, path, path ? 0 : CONFIG_LOAD_OPTIONAL, err, sizeof(err))) {
		say("warning: %s; placement left to the CUDA runtime", err);
		config_init(&S.cfg);
		place = 0;
	}
	f = fopen("/proc/self/comm", "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	nr = gather_nodes(nodes);
	if (place)
		decide_kind(&S.alloc, 1, force, nodes, nr, comm);
	else
		say("%s: label \"%s\": left to the CUDA runtime", S.alloc.calls, S.alloc.label);
	decide_kind(&S.reg, 0, NULL, nodes, nr, comm);
}

/* --- tracking through libcxltier --------------------------------------- */

static void lib_log(void *priv, int prio, const char *msg)
{
	if (S.debug)
		say("libcxltier: %s", msg);
}

/* The shim holds pins it cannot drop: every move is refused. */
static int refuse_release(struct cxltier_buffer *buf,
			  const struct cxltier_range *r, void *priv)
{
	return -EBUSY;
}

static int keep_pin(struct cxltier_buffer *buf, const struct cxltier_range *r,
		    void *priv)
{
	return 0;
}

/* After fork() the child has neither the library's thread nor its pins. */
static void forget_in_child(void)
{
	struct rec *r;

	S.ctx = NULL;
	for (r = S.recs; r; r = r->next)
		r->buf = NULL;
}

static void open_ctx(void)
{
	struct cxltier_options o = {
		.size = sizeof(o),
		.flags = CXLTIER_OPEN_NO_AGENT,
		.device_path = getenv("CXLTIER_DEVICE"),
		.log = lib_log,
	};
	int rc = cxltier_open(&o, &S.ctx);

	if (rc) {
		S.ctx = NULL;
		if (S.debug)
			say("not tracked: cxltier_open: %s", strerror(-rc));
	}
	pthread_atfork(NULL, NULL, forget_in_child);
}

static struct cxltier_buffer *track(void *base, size_t length, const char *label)
{
	uintptr_t a = ((uintptr_t)base + S.page - 1) & ~(uintptr_t)(S.page - 1);
	uintptr_t e = ((uintptr_t)base + length) & ~(uintptr_t)(S.page - 1);
	struct cxltier_buffer_desc d = {
		.size = sizeof(d),
		.label = label,
		.sources = CXLTIER_BUF_SRC_CPU,
		.adapter = "none",
		.release = refuse_release,
		.repin = keep_pin,
	};
	struct cxltier_buffer *buf = NULL;
	int rc;

	pthread_once(&S.ctx_once, open_ctx);
	if (!S.ctx || e <= a)
		return NULL;
	d.addr = (void *)a;
	d.length = e - a;
	rc = cxltier_register(S.ctx, &d, &buf);
	if (rc) {
		if (S.debug)
			say("not tracked: [%p, +%zu): %s", d.addr, d.length, strerror(-rc));
		return NULL;
	}
	return buf;
}

/* --- the record table ------------------------------------------------- */

static void rec_add(struct rec *r)
{
	pthread_mutex_lock(&S.lock);
	r->next = S.recs;
	S.recs = r;
	pthread_mutex_unlock(&S.lock);
}

/* Take the record of @base out of the table (NULL: not the shim's). */
static struct rec *rec_take(void *base, int owned)
{
	struct rec **pp, *r = NULL;

	pthread_mutex_lock(&S.lock);
	for (pp = &S.recs; *pp; pp = &(*pp)->next) {
		if ((*pp)->base == base && (*pp)->owned == owned) {
			r = *pp;
			*pp = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&S.lock);
	return r;
}

static int rec_owned(void *base)
{
	struct rec *r;
	int found = 0;

	pthread_mutex_lock(&S.lock);
	for (r = S.recs; r; r = r->next)
		if (r->base == base && r->owned)
			found = 1;
	pthread_mutex_unlock(&S.lock);
	return found;
}

/* --- registration in chunks --------------------------------------------- */

/* Unregister chunks [0, @n) of [@base, +@length); the first error. */
static cudaError_t unregister_chunks(char *base, uint64_t chunk, size_t n)
{
	cudaError_t rc, first = CUDA_SUCCESS;
	size_t i;

	for (i = 0; i < n; i++) {
		rc = REAL(cudaHostUnregister, base + i * chunk);
		if (rc && !first)
			first = rc;
	}
	return first;
}

/* One cudaHostRegister per chunk; all or nothing. */
static cudaError_t register_chunks(char *base, size_t length, unsigned int flags,
				   size_t *nr)
{
	size_t n = preload_nr_chunks(length, S.max_register), i;
	cudaError_t rc;

	for (i = 0; i < n; i++) {
		rc = REAL(cudaHostRegister, base + i * S.max_register,
			  (size_t)preload_chunk_len(length, S.max_register, i), flags);
		if (rc) {
			unregister_chunks(base, S.max_register, i);
			return rc;
		}
	}
	*nr = n;
	return CUDA_SUCCESS;
}

/* --- allocations ---------------------------------------------------- */

static void warn_once(struct kind *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn_once(struct kind *k, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!__atomic_exchange_n(&k->warned, 1, __ATOMIC_RELAXED) || S.debug)
		say("warning: %s; left to the CUDA runtime", msg);
}

/*
 * Map, bind, populate and register @size bytes on the class's node.
 * Returns the mapping, or NULL when the real runtime should take the call.
 */
static void *place_alloc(size_t size, unsigned int flags)
{
	struct preload_node nodes[PRELOAD_MAX_NODES];
	unsigned long mask[CONFIG_MAX_NODES / (8 * sizeof(unsigned long))] = { 0 };
	unsigned int regflags = 0, nr;
	size_t len, n;
	struct rec *r;
	void *p;
	int node;

	if (S.off || !S.alloc.placed || !size || (flags & CUDA_HOST_ALLOC_WRITE_COMBINED))
		return NULL;
	len = (size + S.page - 1) & ~(S.page - 1);
	if (len < size)
		return NULL;
	nr = gather_nodes(nodes);
	node = preload_pick_node(&S.alloc.place, nodes, nr, len, PRELOAD_NODE_RESERVE);
	if (node < 0) {
		warn_once(&S.alloc, "no node of class \"%s\" has room for %zu bytes",
			  S.cfg.classes[S.alloc.place.class_idx].name, len);
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	mask[node / (8 * sizeof(unsigned long))] |= 1UL << (node % (8 * sizeof(unsigned long)));
	if (mbind(p, len, MPOL_BIND, mask, CONFIG_MAX_NODES, 0)) {
		warn_once(&S.alloc, "mbind to node %d: %s", node, strerror(errno));
		goto unmap;
	}
	/* Fails with ENOMEM rather than a SIGBUS when the node runs out. */
	if (madvise(p, len, MADV_POPULATE_WRITE)) {
		warn_once(&S.alloc, "populating %zu bytes on node %d: %s", len, node,
			  strerror(errno));
		goto unmap;
	}
	if (flags & CUDA_HOST_ALLOC_PORTABLE)
		regflags |= CUDA_HOST_REGISTER_PORTABLE;
	if (flags & CUDA_HOST_ALLOC_MAPPED)
		regflags |= CUDA_HOST_REGISTER_MAPPED;
	if (register_chunks(p, len, regflags, &n))
		goto unmap;
	r = calloc(1, sizeof(*r));
	if (!r) {
		unregister_chunks(p, S.max_register, n);
		goto unmap;
	}
	r->base = p;
	r->length = len;
	r->owned = 1;
	r->nr_chunks = n;
	r->chunk = S.max_register;
	r->buf = track(p, len, S.alloc.label);
	rec_add(r);
	if (S.debug)
		say("%zu bytes at %p on node %d, %zu registration(s)", len, p, node, n);
	return p;
unmap:
	munmap(p, len);
	return NULL;
}

cudaError_t cudaHostAlloc(void **ptr, size_t size, unsigned int flags)
{
	void *p = ptr ? place_alloc(size, flags) : NULL;

	if (!p)
		return REAL(cudaHostAlloc, ptr, size, flags);
	*ptr = p;
	return CUDA_SUCCESS;
}

cudaError_t cudaMallocHost(void **ptr, size_t size)
{
	void *p = ptr ? place_alloc(size, 0) : NULL;

	if (!p)
		return REAL(cudaMallocHost, ptr, size);
	*ptr = p;
	return CUDA_SUCCESS;
}

static cudaError_t release_rec(struct rec *r)
{
	cudaError_t rc;

	if (r->buf)
		cxltier_unregister(r->buf);
	rc = unregister_chunks(r->base, r->chunk, r->nr_chunks);
	if (r->owned)
		munmap(r->base, r->length);
	free(r);
	return rc;
}

cudaError_t cudaFreeHost(void *ptr)
{
	struct rec *r = S.off ? NULL : rec_take(ptr, 1);

	if (!r)
		return REAL(cudaFreeHost, ptr);
	return release_rec(r);
}

/* --- registrations of the application's memory ----------------------- */

cudaError_t cudaHostRegister(void *ptr, size_t size, unsigned int flags)
{
	struct rec *r;
	cudaError_t rc;
	size_t n = 1;

	if (S.off || !ptr || !size)
		return REAL(cudaHostRegister, ptr, size, flags);
	if (preload_nr_chunks(size, S.max_register) <= 1)
		rc = REAL(cudaHostRegister, ptr, size, flags);
	else
		rc = register_chunks(ptr, size, flags, &n);
	if (rc)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r) {
		/* Untracked: a lone registration is the runtime's own to undo. */
		if (n > 1)
			unregister_chunks(ptr, S.max_register, n);
		return n > 1 ? CUDA_ERROR_MEMORY_ALLOCATION : CUDA_SUCCESS;
	}
	r->base = ptr;
	r->length = size;
	r->nr_chunks = n;
	r->chunk = S.max_register;
	r->buf = track(ptr, size, S.reg.label);
	rec_add(r);
	return CUDA_SUCCESS;
}

cudaError_t cudaHostUnregister(void *ptr)
{
	struct rec *r;

	if (S.off)
		return REAL(cudaHostUnregister, ptr);
	/* cudaHostAlloc memory is not a registration, as in the runtime. */
	if (rec_owned(ptr))
		return CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED;
	r = rec_take(ptr, 0);
	if (!r)
		return REAL(cudaHostUnregister, ptr);
	return release_rec(r);
}
