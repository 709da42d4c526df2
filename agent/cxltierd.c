// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierd: moves accelerator-pinned buffers between DRAM and CXL memory
 * by access heat.  See cxltierd(8).
 *
 * Start-up, in order, each failure with its own exit code: options,
 * configuration, the module (handshake, features), its tunables from the
 * configuration, the node table and a first heat read (then READY=1), the
 * socket.  Then one loop:
 *
 *	poll(signalfd, timerfd, /dev/cxltier, socket and clients)
 *	  SIGTERM, SIGINT  -> leave the loop
 *	  SIGHUP           -> reload the configuration (all or nothing)
 *	  heat epoch / timer, interval elapsed -> decide and migrate
 *	  socket           -> clients' frames; queued MOVE requests
 *	  admin socket     -> drain, inspect (admin.h)
 *
 * Signals are blocked and read from a signalfd: no work in handlers.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <numa.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>

#include "admin.h"
#include "clock.h"
#include "config.h"
#include "drain.h"
#include "executor.h"
#include "inspect.h"
#include "kdev.h"
#include "log.h"
#include "metrics.h"
#include "node_meminfo.h"
#include "observe.h"
#include "peer_access.h"
#include "pin_place.h"
#include "plan.h"
#include "pool_heat.h"
#include "pool_plan.h"
#include "proto.h"
#include "server.h"
#include "topology.h"
#include "tunables.h"

/* Exit codes, listed in cxltierd(8). */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,	/* failure after start-up */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_CONFIG = 3,	/* bad configuration */
	EXIT_MODULE = 4,	/* no module, or it lacks what is needed */
	EXIT_SOCKET = 5,	/* cannot listen (another cxltierd?) */
	EXIT_INIT = 6,		/* first node table or heat read failed */
	EXIT_PRIVILEGE = 7,	/* not allowed to read every range */
};

/* Most fds polled: signalfd, timerfd, module, listener and clients. */
#define MAX_POLLFDS	(4 + SRV_MAX_CLIENTS + 1 + ADMIN_MAX_CONNS)

/**
 * struct opts - the command line
 * @config: configuration file
 * @config_given: --config was given (then it must exist)
 * @check: --check-config
 * @dry_run: --dry-run
 * @foreground: --foreground
 * @debug: --debug
 * @socket: agent socket
 * @metrics: metrics file, NULL for none
 * @device: module device
 * @sysfs: module sysfs directory
 * @timeout_ms: clients' answer timeout
 */
struct opts {
	const char *config;
	bool config_given;
	bool check;
	bool dry_run;
	bool foreground;
	bool debug;
	const char *socket;
	const char *metrics;
	const char *device;
	const char *sysfs;
	unsigned int timeout_ms;
};

/**
 * struct daemon - the running daemon
 * @o: command line
 * @cfg: the configuration in force
 * @kdev: the module
 * @srv: the socket server
 * @exec: the executor
 * @plan: the policy's state
 * @drain: drains and capacity changes
 * @admin: the admin socket
 * @ins: what was decided and why; the pause switch
 * @pool_pctx: the policy's scratch memory for the block pools' plans
 * @met: metrics
 * @topo: the host's memory topology (libnuma, libcxl), for the log
 * @nodes: node table at the last decision
 * @nr_nodes: entries in @nodes
 * @reclaimable: bytes of each node in @nodes that reclaim can hand back
 *	(node_meminfo), at the last decision
 * @sfd: signalfd
 * @tfd: timerfd
 * @poll_epochs: the module wakes us at each heat epoch
 * @last_cycle_ms: monotonic time of the last decision
 * @last_moves: moves done at the last decision
 * @metrics_failed: the last metrics write failed (warn once)
 * @untracked_pressure: the last plan held DRAM because the pressure was
 *	untracked memory's (logged when it starts and ends)
 * @pin_place: buffers already reported as moved off a movable node by
 *	their pin
 */
struct daemon {
	struct opts o;
	struct config cfg;
	struct kdev kdev;
	struct server *srv;
	struct executor *exec;
	struct plan_ctx *plan;
	struct drain *drain;
	struct admin *admin;
	struct inspect *ins;
	struct policy_ctx *pool_pctx;
	struct metrics met;
	struct topo *topo;
	struct cxltier_node_info *nodes;
	uint32_t nr_nodes;
	uint64_t *reclaimable;
	int sfd;
	int tfd;
	bool poll_epochs;
	uint64_t last_cycle_ms;
	size_t last_moves;
	bool metrics_failed;
	bool untracked_pressure;
	struct pin_place pin_place;
};

static int read_topology(struct daemon *d);

static double wall_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cxltierd [OPTIONS]\n"
		"\n"
		"Move accelerator-pinned buffers between DRAM and CXL memory by heat.\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"      --check-config  check the configuration, print it, exit\n"
		"  -n, --dry-run       log the migration plan, move nothing\n"
		"  -f, --foreground    stay in the foreground, log to stderr/journal\n"
		"  -s, --socket PATH   client socket (default %s)\n"
		"  -m, --metrics FILE  metrics file, \"none\" for none\n"
		"                      (default %s)\n"
		"      --device PATH   cxltier device (default %s)\n"
		"      --sysfs DIR     cxltier sysfs directory (default /sys/kernel/cxltier)\n"
		"      --timeout MS    clients' answer timeout (default %u)\n"
		"  -d, --debug         debug messages\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n"
		"\n"
		"See cxltierd(8) and cxltierd.conf(5).\n",
		CONFIG_DEFAULT_PATH, PROTO_SOCKET_PATH, METRICS_DEFAULT_PATH,
		CXLTIER_DEV_PATH, SRV_TIMEOUT_MS_DEFAULT);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { OPT_CHECK = 256, OPT_DEVICE, OPT_SYSFS, OPT_TIMEOUT };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "sysfs", required_argument, NULL, OPT_SYSFS },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	o->config = CONFIG_DEFAULT_PATH;
	o->socket = PROTO_SOCKET_PATH;
	o->metrics = METRICS_DEFAULT_PATH;
	o->device = CXLTIER_DEV_PATH;
	o->sysfs = "/sys/kernel/cxltier";
	o->timeout_ms = SRV_TIMEOUT_MS_DEFAULT;
	while ((c = getopt_long(argc, argv, "c:nfs:m:dVh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			o->config_given = true;
			break;
		case OPT_CHECK:
			o->check = true;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'm':
			o->metrics = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case OPT_DEVICE:
			o->device = optarg;
			break;
		case OPT_SYSFS:
			o->sysfs = optarg;
			break;
		case OPT_TIMEOUT:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || v < 10 || v > PROTO_TIMEOUT_MAX_MS) {
				fprintf(stderr,
					"cxltierd: --timeout: not a number of milliseconds in [10, %u]: %s\n",
					PROTO_TIMEOUT_MAX_MS, optarg);
				return -1;
			}
			o->timeout_ms = (unsigned int)v;
			break;
		case 'd':
			o->debug = true;
			break;
		case 'V':
			printf("cxltierd %s\n", CXLTIER_VERSION);
			exit(EXIT_OK);
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cxltierd: unexpected argument: %s\n",
			argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Load the configuration into @cfg; on failure say why. */
static int load_config(const struct opts *o, struct config *cfg)
{
	char err[CONFIG_ERR_LEN];
	int ret;

	ret = config_load(cfg, o->config,
			  o->config_given ? 0 : CONFIG_LOAD_OPTIONAL, err,
			  sizeof(err));
	if (ret)
		log_err("configuration: %s", err);
	return ret;
}

/*
 * --check-config: node lists given by hand against this machine's nodes
 * (libnuma): dram and far swapped is an error.
 */
static int check_tiers(const struct config *cfg)
{
	int has_cpus[CONFIG_MAX_NODES];
	char err[CONFIG_ERR_LEN];
	struct topo *t = topo_new(NULL, NULL);
	unsigned int i;
	int ret = 0;

	if (!t)
		return 0;
	for (i = 0; i < CONFIG_MAX_NODES; i++)
		has_cpus[i] = -1;
	if (!topo_refresh(t)) {
		for (i = 0; i < topo_nr_nodes(t); i++) {
			const struct topo_node *n = topo_node_at(t, i);

			if (n->node >= 0 && n->node < CONFIG_MAX_NODES)
				has_cpus[n->node] = n->has_cpus ? 1 : 0;
		}
		if (config_check_tiers(cfg, has_cpus, CONFIG_MAX_NODES, err, sizeof(err))) {
			log_err("configuration: %s", err);
			ret = -EINVAL;
		}
	}
	topo_free(t);
	return ret;
}

/* --- decisions ----------------------------------------------------------- */

static int read_nodes(struct daemon *d)
{
	struct cxltier_node_info *nodes = NULL;
	uint32_t nr = 0, nr_tiers = 0;
	int ret;

	uint64_t *recl;
	uint32_t i;

	ret = kdev_get_nodes(&d->kdev, &nodes, &nr, &nr_tiers);
	if (ret)
		return ret;
	/*
	 * Page cache and reclaimable slab count as available, as in the
	 * kernel's MemAvailable; a node whose meminfo cannot be read has
	 * only its free memory.
	 */
	recl = calloc(nr ? nr : 1, sizeof(*recl));
	if (!recl) {
		free(nodes);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		struct node_meminfo mi;

		if (!node_meminfo_read(NULL, (int)nodes[i].node, &mi))
			recl[i] = node_meminfo_reclaimable(&mi);
	}
	free(d->nodes);
	free(d->reclaimable);
	d->nodes = nodes;
	d->reclaimable = recl;
	d->nr_nodes = nr;
	return 0;
}

/* The socket's refusals and drops into the metrics. */
static void socket_metrics(struct daemon *d)
{
	const struct srv_stats *st = server_stats(d->srv);
	unsigned int i;

	for (i = 0; i < PEER_NR_REFUSALS && i < MET_NR_REASONS; i++) {
		d->met.refused[i].name = peer_refusal_name(i);
		d->met.refused[i].count = st->refused[i];
	}
	d->met.nr_refused = i;
	for (i = 0; i < SRV_NR_DROPS && i < MET_NR_REASONS; i++) {
		d->met.dropped[i].name = server_drop_name(i);
		d->met.dropped[i].count = st->dropped[i];
	}
	d->met.nr_dropped = i;
	d->met.limit_refusals[0] = st->buffers_refused;
	d->met.limit_refusals[1] = st->requests_refused;
	d->met.pools = server_nr_pools(d->srv);
	d->met.pool_advice = st->pools.advice;
	d->met.pool_refused = st->pools.refused;
	d->met.pool_timeouts = st->pools.timeouts;
	d->met.pool_hints[0] = st->pools.hints[0];
	d->met.pool_hints[1] = st->pools.hints[1];
	d->met.pool_hints_refused = st->pools.hints_refused;
	d->met.pool_releases[0] = st->pools.releases;
	d->met.pool_releases[1] = st->pools.released;
	d->met.pool_releases[2] = st->pools.release_failed;
	d->met.pool_releases[3] = st->pools.release_timeouts;
	for (i = 0; i < 2; i++) {
		d->met.pool_moves[i] = st->pools.moved_blocks[i];
		d->met.pool_bytes[i] = st->pools.moved_bytes[i];
	}
	for (i = 0; i < PROTO_POOL_NR_COUNTS; i++)
		d->met.pool_results[i] = st->pools.results[i];
}

/*
 * The socket's settings from [socket].  The access group is looked up
 * now: a group that does not exist (yet) leaves the socket to root.
 */
static void socket_options(const struct config *cfg, struct srv_options *so)
{
	int ret;

	so->group = PEER_NO_GROUP;
	if (strcmp(cfg->socket_group, "root")) {
		ret = peer_access_group(cfg->socket_group, &so->group);
		if (ret)
			log_notice("socket group %s: %s; only root may connect",
				   cfg->socket_group,
				   ret == -ENOENT ? "no such group" : strerror(-ret));
	}
	so->mode = cfg->socket_mode;
	so->hello_timeout_ms = cfg->hello_timeout_ms;
	so->limits.max_clients = (unsigned int)cfg->max_clients;
	so->limits.root_reserve = (unsigned int)cfg->root_reserve;
	so->limits.clients_per_uid = (unsigned int)cfg->clients_per_uid;
	so->limits.buffers_per_uid = (unsigned int)cfg->buffers_per_uid;
	so->limits.requests_per_uid = (unsigned int)cfg->requests_per_uid;
}

static void write_metrics(struct daemon *d)
{
	int ret;

	if (!d->o.metrics || !d->srv)
		return;
	d->met.clients = server_nr_clients(d->srv);
	d->met.buffers = server_nr_buffers(d->srv);
	socket_metrics(d);
	ret = metrics_write(&d->met, d->o.metrics);
	if (ret && !d->metrics_failed)
		log_warn("cannot write %s: %s (said once)", d->o.metrics,
			 strerror(-ret));
	d->metrics_failed = ret != 0;
}

static void notify_status(struct daemon *d)
{
	uint64_t moves = 0;
	size_t i, k;

	for (i = 0; i < MOVE_NR_DIRS; i++)
		for (k = 0; k < MET_NR_METHODS; k++)
			moves += d->met.migrations[i][k];
	sd_notifyf(0,
		   "STATUS=%u ranges, %u buffers from %u clients; %llu migrations, %zu last cycle%s",
		   d->met.ranges, server_nr_buffers(d->srv),
		   server_nr_clients(d->srv), (unsigned long long)moves,
		   d->last_moves, d->o.dry_run ? " (dry run)" : "");
}

/*
 * DRAM above high_watermark from memory cxltier does not track: say so
 * when it starts and when it ends, not at every decision.
 */
static void untracked_pressure_log(struct daemon *d)
{
	const struct plan_summary *ps = plan_last(d->plan);

	if (ps->shed_skipped == d->untracked_pressure)
		return;
	d->untracked_pressure = ps->shed_skipped;
	if (ps->shed_skipped)
		log_warn("DRAM %llu of %llu MiB used, %llu MiB of it untracked (tmpfs, other processes): above high_watermark, but demoting all %llu MiB of tracked chunks would not reach low_watermark; nothing is demoted for it",
			 (unsigned long long)(ps->dram_used >> 20),
			 (unsigned long long)(ps->dram_capacity >> 20),
			 (unsigned long long)(ps->untracked_bytes >> 20),
			 (unsigned long long)(ps->dram_tracked >> 20));
	else
		log_info("DRAM pressure from untracked memory is over: %llu of %llu MiB used",
			 (unsigned long long)(ps->dram_used >> 20),
			 (unsigned long long)(ps->dram_capacity >> 20));
}

/*
 * @p's allocated blocks for the planner into *@blocksp (@pp filled).
 * With @snap, a decision's: each block's reads and last access from its
 * slot's chunks in @snap go to its pool_heat, whose followed shadow
 * ranks it; until the shadows have seen an epoch, or with the adaptive
 * heat off, the module's heat does (the slot's: pool_plan_block_heat()
 * gives the block's).  The heat is kept per block for the hint plan,
 * which passes @snap NULL and takes the heat of the last decision.
 * Returns the number of blocks, or -1 (no slab tracked: the pool is
 * going away; or no memory).  A released slab (POOL_RELEASE, or one the
 * library gave back on its own and the module no longer tracks) has no
 * blocks: it counts with no slots, so nothing is advised into it.
 */
static ssize_t pool_blocks(struct srv_pool *p, const struct obs_snapshot *snap,
			   uint64_t now, const struct config *cfg,
			   struct pool_plan_pool *pp,
			   struct pool_plan_block **blocksp)
{
	const struct obs_range *r[PROTO_POOL_MAX_TIERS] = { NULL };
	struct pool_plan_block *blocks;
	uint32_t slot, nr_slots = p->tier_base[p->nr_tiers];
	uint64_t off, c, c_end, heat, last;
	uint32_t reads;
	bool young;
	unsigned int t, gone = 0;
	size_t n = 0, i, dram = 0;
	int k = -1;

	memset(pp, 0, sizeof(*pp));
	pp->pool = p->id;
	pp->block_size = p->block_size;
	pp->nr_tiers = p->nr_tiers;
	for (t = 0; t < p->nr_tiers; t++) {
		pp->node[t] = p->slab[t].node;
		pp->mtier[t] = p->slab[t].mtier;
		if (p->released & (1U << t))
			continue; /* capacity 0, no free slot */
		if (snap) {
			r[t] = obs_find_range(snap, p->slab[t].range);
			/*
			 * Untracked: the library gave the slab back on its own
			 * (cxltier_pool_release()), which this connection hears
			 * of only from the map; plan without it, as released.
			 */
			if (!r[t] || !p->chunk_size[t]) {
				gone |= 1U << t;
				continue;
			}
		}
		pp->slots[t] = p->slab[t].slots;
		if (pp->mtier[t] == POLICY_TIER_DRAM)
			dram += pp->slots[t];
	}
	/* No slab tracked: the pool is going away. */
	if (snap && (gone | p->released) == (1U << p->nr_tiers) - 1)
		return -1;
	blocks = calloc(nr_slots ? nr_slots : 1, sizeof(*blocks));
	if (!blocks)
		return -1;
	for (t = 0; t < p->nr_tiers; t++)
		for (slot = p->tier_base[t]; slot < p->tier_base[t + 1] &&
		     !((p->released | gone) & (1U << t)); slot++) {
			uint64_t h = p->slot[slot];
			uint32_t idx = (uint32_t)h;

			if (!h) {
				pp->free[t]++;
				continue;
			}
			if (snap) {
				/*
				 * The block's heat: its hottest chunk; its reads
				 * and last access: its busiest and latest.
				 */
				off = (uint64_t)(slot - p->tier_base[t]) * p->block_size;
				c_end = (off + p->block_size + p->chunk_size[t] - 1) /
					p->chunk_size[t];
				heat = 0;
				reads = 0;
				young = false;
				last = 0;
				for (c = off / p->chunk_size[t];
				     c < c_end && c < r[t]->info.nr_chunks; c++) {
					const struct cxltier_chunk_heat *ch = &r[t]->chunks[c];

					heat = ch->heat > heat ? ch->heat : heat;
					reads = ch->dev_count > reads ? ch->dev_count : reads;
					young |= ch->cpu_young != 0;
					last = ch->last_epoch > last ? ch->last_epoch : last;
				}
				p->slot_heat[slot] = heat;
				p->heat[idx] = pool_plan_block_heat(
					heat, p->carried[idx], p->stale[idx],
					now > p->entered_ms[idx] ? now - p->entered_ms[idx] : 0,
					cfg->half_life_ms);
				p->heat_of[idx] = h;
				pool_heat_see(p->block_heat, idx, h, reads, young,
					      last, p->entered_ms[idx]);
			}
			blocks[n].handle = h;
			blocks[n].tier = t;
			blocks[n].moved_ms = p->moved_ms[idx];
			blocks[n].hint = server_pool_hint(p, h, now);
			blocks[n].hint_seq = p->hint[idx].seq;
			blocks[n].hint_demoted = p->hint_demoted[idx];
			n++;
		}
	if (snap) {
		k = pool_heat_step(p->block_heat, cfg, snap->epoch, now, dram);
		if (k < -1) {
			log_warn("pool %u of pid %d: adaptive heat: %s; the module's heat ranks its blocks",
				 p->id, (int)server_pool_pid(p), strerror(-k));
			k = -1;
		}
		if (k != p->heat_setting)
			log_debug("pool %u of pid %d: ranking by %s %d", p->id,
				  (int)server_pool_pid(p),
				  k >= 0 ? "adaptive heat setting" : "the module's heat", k);
		p->heat_setting = k;
	}
	for (i = 0; i < n; i++) {
		uint32_t idx = (uint32_t)blocks[i].handle;

		if (snap && p->heat_setting >= 0)
			p->heat[idx] = pool_heat_of(p->block_heat, idx);
		blocks[i].heat = p->heat[idx];
		blocks[i].last_ms = pool_heat_last(p->block_heat, idx);
	}
	*blocksp = blocks;
	return (ssize_t)n;
}

/* Send the advice of @out to @p's client; the blocks advised. */
static size_t pool_send_advice(struct daemon *d, struct srv_pool *p,
			       struct pool_plan_out *out, const char *why)
{
	if (!out->nr_frames)
		return 0;
	if (d->o.dry_run) {
		log_info("dry run: advice of %zu blocks of pool %u not sent",
			 out->nr_blocks, p->id);
		d->met.dry_run += out->nr_blocks;
		return 0;
	}
	if (server_pool_advise(d->srv, p, out->frames))
		return 0;
	log_info("pool %u of pid %d: advice of %zu block moves sent%s",
		 p->id, (int)server_pool_pid(p), (size_t)out->frames->count, why);
	return out->nr_blocks;
}

/*
 * Plan pool @p's blocks and send the advice: at a decision (@snap: heat
 * from its slabs' chunks in it) with pool_plan_advice(), or for its
 * will-read hints (@snap NULL: the heat of the last decision) with
 * pool_plan_hints(), at once rather than at the next decision.  Both
 * within the decision's rate limit.  Returns the blocks advised.
 */
static size_t pool_decide(struct daemon *d, struct srv_pool *p,
			  const struct obs_snapshot *snap, uint64_t now)
{
	struct pool_plan_pool pp;
	struct pool_plan_block *blocks = NULL;
	struct proto_pool_msg *frame;
	struct pool_plan_out out = { 0 };
	bool hints = !snap;
	size_t advised = 0, i;
	ssize_t n;
	int ret;

	if (hints)
		p->hint_urgent = false;
	frame = malloc(sizeof(*frame));
	n = frame ? pool_blocks(p, snap, now, &d->cfg, &pp, &blocks) : -1;
	if (n < 0)
		goto out;
	/* A slab on a node being drained (or drained) takes no block. */
	for (i = 0; i < pp.nr_tiers; i++)
		if (drain_node_closed(d->drain, pp.node[i]))
			pp.free[i] = 0;
	out.frames = frame;
	ret = (hints ? pool_plan_hints : pool_plan_advice)(
		d->pool_pctx, &d->cfg, &pp, blocks, (size_t)n, now,
		plan_rate_state(d->plan), 1, &out);
	if (ret) {
		log_err("pool %u of pid %d: %s failed: %s", p->id,
			(int)server_pool_pid(p), hints ? "hint plan" : "policy",
			strerror(-ret));
		goto out;
	}
	*plan_rate_state(d->plan) = out.plan.state;
	if (hints) {
		log_debug("pool %u of pid %d: hint plan: %zu moves, %llu bytes deferred by the rate limit, %llu blocked",
			  p->id, (int)server_pool_pid(p), out.plan.nr_moves,
			  (unsigned long long)out.plan.deferred_bytes,
			  (unsigned long long)out.plan.blocked_bytes);
		/* More than one frame's worth, or the rate limit held some back. */
		if (out.nr_blocks < out.plan.nr_moves || out.plan.deferred_bytes)
			p->hint_urgent = true;
	}
	advised = pool_send_advice(d, p, &out, hints ? " for will-read hints" : "");
	if (hints && advised)
		d->met.pool_hint_advice++;
	/* As the simulator does: a block demoted for a hint waits min_residency. */
	for (i = 0; advised && i < out.plan.nr_moves; i++) {
		const struct policy_move *mv = &out.plan.moves[i];

		if (mv->chunk < (size_t)n)
			p->hint_demoted[(uint32_t)blocks[mv->chunk].handle] =
				mv->reason == POLICY_DEMOTE_HINT;
	}
out:
	free(frame);
	free(blocks);
	return advised;
}

/*
 * Pools with will-read hints and no advice or release in flight: their
 * urgent plan.  Returns the blocks advised.
 */
static size_t pools_hint_decide(struct daemon *d, uint64_t now)
{
	struct srv_pool *p;
	size_t n = 0;

	if (inspect_paused(d->ins))
		return 0;
	/* A failed send drops the client: its pools turn dead, not freed. */
	for (p = server_pools(d->srv); p; p = p->next)
		if (!p->dead && p->hint_urgent && p->mapped && !p->advice_seq &&
		    !p->release_seq)
			n += pool_decide(d, p, NULL, now);
	d->met.planned += n;
	return n;
}

/*
 * The block pools' share of a decision: each pool with no advice in
 * flight, nor a release (a drain empties one of its slabs).
 */
static size_t pools_decide(struct daemon *d, const struct obs_snapshot *snap,
			   uint64_t now)
{
	struct srv_pool *p;
	size_t n = 0;

	for (p = server_pools(d->srv); p; p = p->next)
		if (!p->dead && p->mapped && !p->advice_seq && !p->release_seq)
			n += pool_decide(d, p, snap, now);
	return n;
}

/* The shadow of the adaptive heat the ranking follows now. */
static void adaptive_log(struct daemon *d)
{
	const struct plan_summary *ps = plan_last(d->plan);

	if (ps->adaptive < 0)
		log_info("adaptive heat: ranking by the module's heat%s",
			 d->cfg.adaptive ? " until the shadows have seen an epoch" : "");
	else
		log_info("adaptive heat: following setting %d (half-life %u ms, write weight %u.%03u%s)",
			 ps->adaptive, ps->adaptive_half_life_ms,
			 ps->adaptive_write_weight_pm / 1000, ps->adaptive_write_weight_pm % 1000,
			 ps->adaptive_recency ? ", last access" : "");
}

/* One decision: read heat, plan, migrate, publish. */
static int cycle(struct daemon *d)
{
	struct obs_snapshot snap;
	struct plan_move *moves = NULL;
	struct plan_nodes pn;
	uint64_t t0 = clock_now_ms();
	size_t n = 0, done = 0, i;
	bool paused = inspect_paused(d->ins);
	int ret;

	d->last_cycle_ms = t0;
	ret = read_nodes(d);
	if (ret)
		log_warn("cannot read the node table: %s", strerror(-ret));
	ret = obs_read(&d->kdev, &snap);
	d->met.module_up = !ret;
	if (ret) {
		log_err("cannot read the module's ranges and heat: %s",
			strerror(-ret));
		obs_free(&snap);
		write_metrics(d);
		return ret;
	}
	for (i = 0; i < snap.nr_ranges; i++) {
		uint32_t id = snap.ranges[i].info.id;

		snap.ranges[i].registered = server_buffer(d->srv, id) != NULL;
		snap.ranges[i].fixed = snap.ranges[i].registered &&
				       server_backoff(d->srv, id);
		/* Pool slabs move block by block, on advice (pools_decide()). */
		snap.ranges[i].fixed |= server_pool_slab(d->srv, id);
	}
	pn.nr = d->nr_nodes;
	pn.info = d->nodes;
	pn.reclaimable = d->reclaimable;
	pin_place_check(&d->pin_place, &snap, &pn);
	drain_note_nodes(d->drain, &pn);

	ret = plan_build(d->plan, &d->cfg, &pn, &snap, t0, &moves, &n);
	if (ret) {
		log_err("policy failed: %s", strerror(-ret));
		n = 0;
	}
	if (plan_last(d->plan)->adaptive_switched)
		adaptive_log(d);
	untracked_pressure_log(d);
	n = drain_filter_moves(d->drain, moves, n);
	/* Paused: the plan is made and shown, nothing is tried. */
	if (!paused)
		done = executor_run(d->exec, &snap, moves, n);
	plan_commit(d->plan, moves, n, clock_now_ms());
	inspect_decision(d->ins, &snap, moves, n, !paused, t0, clock_now_ms());
	/* Paused: no advice either. */
	if (!paused)
		d->met.planned += pools_decide(d, &snap, t0);

	d->met.cycles++;
	d->met.planned += n;
	d->met.ranges = (unsigned int)snap.nr_ranges;
	d->met.epoch = snap.epoch;
	d->met.last_cycle_time = wall_time();
	metrics_cycle(&d->met, clock_now_ms() - t0);
	d->last_moves = done;
	metrics_account_usage(&d->met, &snap, plan_classes(d->plan, snap.nr_ranges),
			      &d->cfg, &pn);
	metrics_account_nodes(&d->met, &pn, plan_last(d->plan), &d->cfg);
	write_metrics(d);
	notify_status(d);
	free(moves);
	obs_free(&snap);
	return 0;
}

/* A client's MOVE request. */
static void do_client_move(struct daemon *d, struct srv_move *mv)
{
	struct plan_nodes pn = { d->nr_nodes, d->nodes, d->reclaimable };
	struct exec_result res;

	if (drain_node_closed(d->drain, mv->node)) {
		log_info("client MOVE of range %u to node %d refused: the node is drained",
			 mv->range.id, mv->node);
		server_move_done(d->srv, mv, -EBUSY, 0, -1);
		return;
	}
	if (d->o.dry_run) {
		log_info("dry run: client MOVE of range %u to node %d ignored",
			 mv->range.id, mv->node);
		server_move_done(d->srv, mv, -EPERM, 0, -1);
		return;
	}
	executor_move_range(d->exec, &mv->range, mv->offset, mv->length,
			    mv->node, &pn, &res);
	log_info("client MOVE of range %u [%#llx, +%#llx) to node %d: %s",
		 mv->range.id, (unsigned long long)mv->offset,
		 (unsigned long long)mv->length, mv->node,
		 res.status ? strerror(-res.status) : "done");
	server_move_done(d->srv, mv, res.status, res.moved, res.node);
}

/* --- signals, timer, reload ---------------------------------------------- */

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	d->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sfd < 0)
		return -errno;
	/* A client that hangs up must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* The decision timer: every interval, or a safety net behind epochs. */
static int arm_timer(struct daemon *d)
{
	uint64_t ms = d->cfg.interval_ms;
	struct itimerspec its;

	if (d->poll_epochs)
		ms *= 2;
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = (time_t)(ms / 1000);
	its.it_interval.tv_nsec = (long)(ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	return timerfd_settime(d->tfd, 0, &its, NULL) ? -errno : 0;
}

static void reload(struct daemon *d)
{
	struct config *fresh = malloc(sizeof(*fresh));

	sd_notify(0, "RELOADING=1");
	log_info("reloading %s", d->o.config);
	if (!fresh || load_config(&d->o, fresh)) {
		log_err("configuration not reloaded: keeping the previous one");
		d->met.reload_failures++;
	} else {
		d->cfg = *fresh;
		d->met.reloads++;
		tunables_apply(d->o.sysfs, &d->cfg);
		plan_reset(d->plan);
		if (read_topology(d))
			log_warn("cannot discover the memory topology again");
		if (arm_timer(d))
			log_warn("cannot re-arm the timer: %s", strerror(errno));
		log_info("configuration reloaded (%u files, %u classes)",
			 d->cfg.nr_files, d->cfg.nr_classes);
	}
	free(fresh);
	sd_notify(0, "READY=1");
	write_metrics(d);
}

/*
 * Consume the module's events; true if an epoch ended.  Hotplug events
 * go to the drain code; *@news is set when one matters to placement.
 */
static bool drain_epochs(struct daemon *d, bool *news)
{
	struct cxltier_event ev;
	bool any = false;

	while (!kdev_read_event(&d->kdev, &ev)) {
		if (ev.type == CXLTIER_EVENT_EPOCH) {
			any = true;
			continue;
		}
		if (drain_hotplug(d->drain,
				  (const struct cxltier_hotplug_event *)&ev))
			*news = true;
		write_metrics(d);
	}
	return any;
}

static int run(struct daemon *d)
{
	struct pollfd pfd[MAX_POLLFDS];
	struct signalfd_siginfo si;
	struct srv_move *mv;
	uint64_t ticks, now;
	size_t nsrv, base, ndr, nmoves;
	bool due, news;
	int timeout, dms;

	for (;;) {
		pfd[0].fd = d->sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = d->tfd;
		pfd[1].events = POLLIN;
		pfd[2].fd = d->poll_epochs ? d->kdev.fd : -1;
		pfd[2].events = POLLIN;
		base = 3;
		nsrv = server_pollfds(d->srv, pfd + base, MAX_POLLFDS - base);
		ndr = admin_pollfds(d->admin, pfd + base + nsrv,
				    MAX_POLLFDS - base - nsrv);
		timeout = server_timeout_ms(d->srv);
		/* A drain awaiting pool releases looks again now and then. */
		dms = drain_timeout_ms(d->drain);
		if (dms >= 0 && (timeout < 0 || dms < timeout))
			timeout = dms;
		if (poll(pfd, base + nsrv + ndr, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return EXIT_RUNTIME;
		}

		while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				reload(d);
				continue;
			}
			log_info("%s: exiting", strsignal((int)si.ssi_signo));
			return EXIT_OK;
		}

		due = false;
		now = clock_now_ms();
		if (pfd[1].revents & POLLIN &&
		    read(d->tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
			due = now >= d->last_cycle_ms + d->cfg.interval_ms / 2;
		if (pfd[2].revents & POLLERR) {
			log_err("the module went away");
			return EXIT_RUNTIME;
		}
		news = false;
		if (pfd[2].revents & POLLIN && drain_epochs(d, &news))
			due = due || now + 50 >= d->last_cycle_ms +
							d->cfg.interval_ms;
		/* Memory came or went: the next decision is now. */
		due = due || news;

		server_process(d->srv, pfd + base, nsrv);
		/* Will-read hints do not wait for the next decision. */
		nmoves = pools_hint_decide(d, clock_now_ms()) ? 1 : 0;
		/* The metrics once for all the moves of this round. */
		for (; (mv = server_take_move(d->srv)); nmoves++)
			do_client_move(d, mv);
		admin_process(d->admin, pfd + base + nsrv, ndr);
		drain_step(d->drain);
		if (due)
			cycle(d);
		else if (nmoves)
			write_metrics(d);
	}
}

/* --- start-up ------------------------------------------------------------ */

static int open_module(struct daemon *d)
{
	static const unsigned long need[] = {
		CXLTIER_IOC_GET_NODES, CXLTIER_IOC_GET_RANGES,
		CXLTIER_IOC_GET_HEAT,
	};
	size_t i;
	int ret;

	ret = kdev_open(&d->kdev, d->o.device);
	if (ret) {
		log_err("%s: %s%s", d->o.device, strerror(-ret),
			ret == -ENOENT ? " (is cxltier.ko loaded?)" : "");
		return ret;
	}
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!kdev_has_ioctl(&d->kdev, need[i])) {
			log_err("cxltier.ko (API %u) lacks ioctl %#lx: too old for this cxltierd",
				d->kdev.api_version, need[i]);
			return -EOPNOTSUPP;
		}
	d->poll_epochs = !!(d->kdev.features & CXLTIER_FEAT_POLL);
	/* Offline events: an older module has none (no drain on offline). */
	ret = kdev_subscribe_hotplug(&d->kdev);
	if (ret)
		log_notice("cxltier.ko gives no memory hotplug events (%s): an offline of a node with pinned buffers waits for cxltierctl drain",
			   strerror(-ret));
	if (d->poll_epochs) {
		int fl = fcntl(d->kdev.fd, F_GETFL);

		if (fl < 0 || fcntl(d->kdev.fd, F_SETFL, fl | O_NONBLOCK))
			return -errno;
	}
	return 0;
}

/*
 * Automatic NUMA balancing moves pages by CPU access, and on 6.1 it
 * hides pages from move_pages(2) (see executor.c): say so once.
 */
static void check_numa_balancing(void)
{
	char buf[16] = "";
	int fd = open("/proc/sys/kernel/numa_balancing", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0 && buf[0] != '0')
		log_notice("kernel.numa_balancing is %c: it may move unpinned tracked pages against cxltierd's placement (sysctl kernel.numa_balancing=0 leaves placement to cxltierd)",
			   buf[0]);
}

static void topo_log_cb(void *arg, const char *msg)
{
	log_warn("%s", msg);
}

/*
 * Discover the host's memory (libnuma, libcxl), say what backs each
 * node, and warn about far nodes onlined movable (no long-term pin can
 * stay there).  0 or -errno.
 */
static int read_topology(struct daemon *d)
{
	static const char *const movable[] = { "none", "some", "all" };
	const struct topo_node *n;
	unsigned int i;
	int ret;

	if (!d->topo)
		d->topo = topo_new(topo_log_cb, NULL);
	if (!d->topo)
		return -ENOMEM;
	ret = topo_refresh(d->topo);
	if (ret)
		return ret;
	for (i = 0; (n = topo_node_at(d->topo, i)); i++) {
		char from[96];

		if (n->cxl)
			snprintf(from, sizeof(from), "CXL %s (%s)", n->region,
				 n->dax[0] ? n->dax : "no dax");
		else if (n->dax[0])
			snprintf(from, sizeof(from), "%s", n->dax);
		else
			snprintf(from, sizeof(from), "boot memory");
		log_info("node %d: %llu MiB (%llu free), %s, %s, ZONE_MOVABLE: %s",
			 n->node, (unsigned long long)(n->size >> 20),
			 (unsigned long long)(n->free >> 20),
			 n->has_cpus ? "CPUs" : "no CPUs", from,
			 n->movable >= 0 && n->movable <= 2 ? movable[n->movable] :
							       "unknown");
	}
	topo_warn_movable(d->topo);
	return 0;
}

/* The first node table and heat read: READY=1 waits for them. */
static int first_read(struct daemon *d)
{
	struct obs_snapshot snap;
	int ret;

	if (numa_available() < 0) {
		log_err("the kernel has no NUMA support");
		return -ENOSYS;
	}
	ret = read_topology(d);
	if (ret) {
		log_err("cannot discover the memory topology: %s",
			strerror(-ret));
		return ret;
	}
	ret = read_nodes(d);
	if (ret) {
		log_err("cannot read the node table: %s", strerror(-ret));
		return ret;
	}
	ret = obs_read(&d->kdev, &snap);
	if (ret)
		log_err("cannot read the module's ranges%s: %s",
			ret == -EPERM ? " (needs CAP_SYS_ADMIN)" : "",
			strerror(-ret));
	else
		log_info("%u memory nodes, %zu tracked ranges, heat epoch %llu",
			 d->nr_nodes, snap.nr_ranges,
			 (unsigned long long)snap.epoch);
	obs_free(&snap);
	return ret;
}

static void daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		exit(EXIT_RUNTIME);
	}
	if (pid > 0)
		_exit(EXIT_OK);
	setsid();
	if (chdir("/"))
		log_warn("chdir /: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	log_setup(true, false);
}

int main(int argc, char **argv)
{
	struct srv_options so;
	struct daemon *d;
	int ret, code;

	d = calloc(1, sizeof(*d));
	if (!d)
		return EXIT_RUNTIME;
	d->sfd = d->tfd = -1;
	d->kdev.fd = -1;
	if (parse_opts(argc, argv, &d->o))
		return EXIT_USAGE;
	log_setup(false, d->o.debug);

	if (d->o.check) {
		if (load_config(&d->o, &d->cfg) || check_tiers(&d->cfg))
			return EXIT_CONFIG;
		config_print(&d->cfg, stdout);
		return EXIT_OK;
	}
	if (load_config(&d->o, &d->cfg))
		return EXIT_CONFIG;

	if (open_module(d)) {
		code = EXIT_MODULE;
		goto out;
	}
	tunables_apply(d->o.sysfs, &d->cfg);
	check_numa_balancing();
	ret = first_read(d);
	if (ret) {
		code = ret == -EPERM ? EXIT_PRIVILEGE : EXIT_INIT;
		goto out;
	}
	if (setup_signals(d)) {
		log_err("signals: %s", strerror(errno));
		code = EXIT_RUNTIME;
		goto out;
	}
	memset(&so, 0, sizeof(so));
	so.path = d->o.socket;
	so.timeout_ms = d->o.timeout_ms;
	socket_options(&d->cfg, &so);
	ret = server_open(&d->srv, &so, &d->kdev);
	if (ret) {
		log_err("%s: %s%s", d->o.socket, strerror(-ret),
			ret == -EADDRINUSE ? " (is another cxltierd running?)" :
					     "");
		code = EXIT_SOCKET;
		goto out;
	}
	d->pool_pctx = policy_ctx_new();
	if (!d->pool_pctx || plan_new(&d->plan) ||
	    executor_new(&d->exec, &d->kdev, d->srv, &d->met)) {
		code = EXIT_RUNTIME;
		goto out;
	}
	d->met.adaptive = -1;
	executor_set_dry_run(d->exec, d->o.dry_run);
	{
		char admin[256];
		struct admin_options ao = { admin, so.group };
		struct inspect_env ie = {
			d->o.config, d->o.dry_run, &d->cfg, &d->met, d->srv,
			d->plan, &d->kdev,
		};

		snprintf(admin, sizeof(admin), "%s%s", d->o.socket,
			 ADMIN_SUFFIX);
		ret = admin_new(&d->admin, &ao);
		if (!ret)
			ret = drain_new(&d->drain, d->admin, &d->kdev, d->exec,
					d->srv, &d->met);
		if (!ret)
			ret = inspect_new(&d->ins, &ie, d->admin);
		if (ret) {
			log_err("%s: %s", admin, strerror(-ret));
			code = EXIT_SOCKET;
			goto out;
		}
	}
	d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->tfd < 0 || arm_timer(d)) {
		log_err("timer: %s", strerror(errno));
		code = EXIT_RUNTIME;
		goto out;
	}

	if (!d->o.foreground)
		daemonize();
	log_info("cxltierd %s: listening on %s, decisions every %u ms%s%s",
		 CXLTIER_VERSION, d->o.socket, d->cfg.interval_ms,
		 d->poll_epochs ? " (woken by heat epochs)" : "",
		 d->o.dry_run ? ", dry run" : "");
	write_metrics(d);
	sd_notify(0, "READY=1");
	notify_status(d);

	code = run(d);
	sd_notify(0, "STOPPING=1");
out:
	write_metrics(d);
	admin_free(d->admin);	/* before the verbs' state */
	inspect_free(d->ins);
	drain_free(d->drain);
	executor_free(d->exec);
	plan_free(d->plan);
	policy_ctx_free(d->pool_pctx);
	server_close(d->srv);
	metrics_free(&d->met);
	free(d->nodes);
	free(d->reclaimable);
	topo_free(d->topo);
	if (d->tfd >= 0)
		close(d->tfd);
	if (d->sfd >= 0)
		close(d->sfd);
	kdev_close(&d->kdev);
	free(d);
	return code;
}
