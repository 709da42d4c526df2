// SPDX-License-Identifier: GPL-2.0
/*
 * real_setup: what both modes of kvreplay --real share: the preparation
 * (nodes, DRAM budget, the daemon's scaled settings), the daemon's
 * directory, start, stop and metrics.  See real_setup.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "clock.h"
#include "libcxltier.h"
#include "real_setup.h"
#include "scale.h"

/* Set once the replay is over: the library's complaints then are ours. */
static volatile int lib_quiet;

void kvr_real_lib_log(void *priv, int priority, const char *msg)
{
	if (priority <= LOG_WARNING && !lib_quiet)
		fprintf(stderr, "libcxltier: %s\n", msg);
}

void kvr_real_lib_quiet(bool quiet)
{
	lib_quiet = quiet;
}

void kvr_real_story(const struct kvr_real_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->story)
		return;
	va_start(ap, fmt);
	vfprintf(o->story, fmt, ap);
	va_end(ap);
	fflush(o->story);
}

bool kvr_real_node_is_dram(const struct config *cfg, const struct cxltier_node_info *n)
{
	if (!cfg->dram.is_auto)
		return config_nodes_test(&cfg->dram, n->node);
	return n->kind == CXLTIER_KIND_DRAM;
}

bool kvr_real_node_is_far(const struct config *cfg, const struct cxltier_node_info *n)
{
	if (kvr_real_node_is_dram(cfg, n) || (n->flags & CXLTIER_NODE_ALL_MOVABLE))
		return false;
	if (!cfg->far.is_auto)
		return config_nodes_test(&cfg->far, n->node);
	return n->kind == CXLTIER_KIND_FAR || n->kind == CXLTIER_KIND_CXL ||
	       n->kind == CXLTIER_KIND_PMEM;
}

/* --- the daemon ---------------------------------------------------------- */

/* Read the main config file given, to be the agent's. */
static int copy_config(const char *from, const struct tb_agent *a, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *in, *out;
	int rc;

	in = fopen(from, "re");
	if (!in) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", from, strerror(-rc));
		return rc;
	}
	out = open_memstream(&text, &len);
	if (!out) {
		fclose(in);
		return -ENOMEM;
	}
	for (int c; (c = getc(in)) != EOF && len < CONFIG_MAX_FILE_SIZE;)
		putc(c, out);
	fclose(in);
	if (fclose(out))
		return -ENOMEM;
	rc = tb_agent_write_config(a, text, err, errlen);
	free(text);
	return rc;
}

/*
 * The directory: cxltierd.conf (the main file given, or a comment) and
 * conf.d/50-kvreplay.conf (the run's settings).  Reads them back as the
 * daemon will and checks they say what the run needs.
 */
static int write_config(const struct kvr_real_opts *o, const struct tb_agent *a,
			struct kvr_real_info *info, char *err, size_t errlen)
{
	char path[PATH_MAX + 32], e[CONFIG_ERR_LEN];
	struct config back;
	FILE *f;
	int rc;

	if (o->config_path)
		rc = copy_config(o->config_path, a, err, errlen);
	else
		rc = tb_agent_write_config(a, "# cxltierd's defaults; kvreplay's settings are in conf.d/\n",
					   err, errlen);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/conf.d", info->workdir);
	if (mkdir(path, 0755) && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	snprintf(info->dropin, sizeof(info->dropin), "%s/conf.d/50-kvreplay.conf",
		 info->workdir);
	f = fopen(info->dropin, "we");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", info->dropin, strerror(-rc));
		return rc;
	}
	fprintf(f, "# Written by kvreplay --real: the settings of the run, every duration\n"
		   "# divided by --speed %u and the rate limit scaled to the chunk size and\n"
		   "# the speed; the pool's class holds its DRAM budget.\n\n", o->speed);
	rc = config_print(&info->cfg_wall, f);
	if (fclose(f) || rc) {
		snprintf(err, errlen, "%s: cannot write", info->dropin);
		return -EIO;
	}
	if (config_load(&back, a->config, 0, e, sizeof(e))) {
		snprintf(err, errlen, "the daemon's settings do not load: %s", e);
		return -EINVAL;
	}
	back.nr_files = info->cfg_wall.nr_files;
	if (memcmp(&back, &info->cfg_wall, sizeof(back))) {
		snprintf(err, errlen, "%s: reads back other settings than written", a->config);
		return -EINVAL;
	}
	return 0;
}

int kvr_real_agent_setup(const struct kvr_real_opts *o, struct tb_agent *a,
			 struct kvr_real_info *info, char *err, size_t errlen)
{
	int rc = tb_agent_init(a, o->workdir, "kvreplay", err, errlen);

	snprintf(info->workdir, sizeof(info->workdir), "%s", a->dir);
	return rc ? rc : write_config(o, a, info, err, errlen);
}

int kvr_real_agent_start(const struct kvr_real_opts *o, struct tb_agent *a,
			 const struct kvr_real_info *info, char *err, size_t errlen)
{
	int rc = tb_agent_start(a, o->agent, err, errlen);

	if (rc == -ENOENT && strlen(err) + 16 < errlen)
		strcat(err, " (--agent PATH)");
	if (!rc)
		kvr_real_story(o, "agent:    %s running, settings %s\n", o->agent, info->dropin);
	return rc;
}

/* A counter of the daemon's metrics file, 0 when absent. */
static uint64_t metric(const struct tb_agent *a, const char *series)
{
	double v = tb_agent_metric(a, series);

	return v > 0 ? (uint64_t)v : 0;
}

int kvr_real_agent_stop(const struct kvr_real_opts *o, struct tb_agent *a,
			struct kvr_real_info *info, int rc, char *err, size_t errlen)
{
	int arc;

	if (a->pid <= 0)
		return rc;
	arc = tb_agent_stop(a);
	info->agent_promotions += metric(a, "cxltier_migrations_total{direction=\"promote\"");
	info->agent_demotions += metric(a, "cxltier_migrations_total{direction=\"demote\"");
	info->agent_migrated_bytes += metric(a, "cxltier_migrated_bytes_total{");
	info->agent_pool_promotions +=
		metric(a, "cxltier_pool_block_moves_total{direction=\"promote\"");
	info->agent_pool_demotions +=
		metric(a, "cxltier_pool_block_moves_total{direction=\"demote\"");
	if (arc && !rc) {
		rc = arc;
		snprintf(err, errlen, "%s did not stop cleanly (see %s)", o->agent, a->log);
	}
	return rc;
}

uint64_t kvr_real_dram_other(const struct config *cfg, uint64_t mine)
{
	struct cxltier_node_info *nodes = NULL;
	uint32_t nr = 0, tiers, i;
	uint64_t used = 0;
	struct kdev dev;

	if (kdev_open(&dev, NULL))
		return 0;
	if (!kdev_get_nodes(&dev, &nodes, &nr, &tiers))
		for (i = 0; i < nr; i++)
			if (kvr_real_node_is_dram(cfg, &nodes[i]))
				used += (nodes[i].capacity_kB - nodes[i].free_kB) << 10;
	kdev_close(&dev);
	free(nodes);
	return used > mine ? used - mine : 0;
}

int kvr_real_run(const struct kvr_trace *t, struct kvr_params *p,
		 const struct kvr_real_opts *o, struct kvr_real_info *info,
		 struct kvr_result *res, char *err, size_t errlen)
{
	if (o->mode == KVR_REAL_BUFFER)
		return kvr_real_run_buffer(t, p, o, info, res, err, errlen);
	return kvr_real_run_pool(t, p, o, info, res, err, errlen);
}

/* --- the report's figures ------------------------------------------------ */

static double per_ns(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes / (double)ns : 0;
}

double kvr_real_copy_gbps(const struct kvr_real_info *info)
{
	return per_ns(info->pool.bytes_moved, info->pool.copy_ns);
}

double kvr_real_memcpy_gbps(const struct kvr_real_info *info)
{
	return per_ns(info->memcpy_bytes, info->memcpy_ns);
}

double kvr_real_copy_ratio(const struct kvr_real_info *info)
{
	double mc = kvr_real_memcpy_gbps(info);

	return mc > 0 ? kvr_real_copy_gbps(info) / mc : 0;
}

bool kvr_real_pins_held(const struct kvr_real_info *info)
{
	return info->pin_samples && !info->pin_drops && info->pinned_min == info->pinned_pages;
}

/* --- the replay's clock ------------------------------------------------- */

void kvr_real_wait_epoch(const struct kdev *kd, uint32_t epoch_ms)
{
	struct pollfd pfd = { .fd = kd->fd, .events = POLLIN };
	struct cxltier_event ev;
	int flags = fcntl(kd->fd, F_GETFL);

	/* Forget the epochs that ended since the file was opened. */
	if (flags < 0 || fcntl(kd->fd, F_SETFL, flags | O_NONBLOCK))
		return;
	while (!kdev_read_event(kd, &ev))
		;
	if (poll(&pfd, 1, (int)(3 * epoch_ms) + 1000) == 1)
		kdev_read_event(kd, &ev);
	fcntl(kd->fd, F_SETFL, flags);
}

void kvr_real_clock_start(struct kvr_real_clock *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	c->t0 = clock_now_s();
}

void kvr_real_clock_wait(const struct kvr_real_clock *c, uint64_t t_ms, uint32_t speed,
			 double *max_late_ms)
{
	uint64_t ns = t_ms * 1000000ULL / speed;
	struct timespec at;
	double late;

	at.tv_sec = c->start.tv_sec + (time_t)(ns / 1000000000ULL);
	at.tv_nsec = c->start.tv_nsec + (long)(ns % 1000000000ULL);
	if (at.tv_nsec >= 1000000000L) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
		;
	late = (clock_now_s() - c->t0) * 1000 - (double)ns / 1e6;
	if (late > *max_late_ms)
		*max_late_ms = late;
}

/* --- preparation --------------------------------------------------------- */

/* The pool's class: one matching its label, else a new one. */
static int add_class(struct config *cfg, const char *label, uint32_t bp, uint16_t *klass,
		     char *err, size_t errlen)
{
	char text[256], e[CONFIG_ERR_LEN];
	unsigned int k = config_match_class(cfg, label, "kvreplay");

	if (k == CONFIG_CLASS_DEFAULT) {
		snprintf(text, sizeof(text), "[class \"kvreplay\"]\nlabel = %s\n", label);
		if (config_parse_string(cfg, "kvreplay", text, e, sizeof(e))) {
			snprintf(err, errlen, "the pool's class: %s", e);
			return -EINVAL;
		}
		k = config_match_class(cfg, label, "kvreplay");
		if (k == CONFIG_CLASS_DEFAULT) {
			snprintf(err, errlen, "no class matches label %s", label);
			return -EINVAL;
		}
	}
	cfg->classes[k].dram_share_bp = bp;
	*klass = (uint16_t)k;
	return 0;
}

/*
 * Far node @n into @info's list, kept in the module's tier order (the
 * faster far memory first; @tier holds the list's tiers); beyond
 * KVR_REAL_MAX_FAR, the slowest are left out.
 */
static void add_far(struct kvr_real_info *info, const struct cxltier_node_info *n,
		    uint32_t *tier)
{
	unsigned int i = info->nr_far;

	if (i == KVR_REAL_MAX_FAR) {
		if (n->tier >= tier[i - 1])
			return;
		i--;
	} else {
		info->nr_far++;
	}
	for (; i > 0 && tier[i - 1] > n->tier; i--) {
		tier[i] = tier[i - 1];
		info->far_node[i] = info->far_node[i - 1];
		info->far_free[i] = info->far_free[i - 1];
	}
	tier[i] = n->tier;
	info->far_node[i] = (int)n->node;
	info->far_free[i] = n->free_kB << 10;
}

int kvr_real_prepare(const struct kvr_trace *t, struct kvr_params *p,
		     const struct kvr_real_opts *o, struct kvr_real_info *info,
		     char *err, size_t errlen)
{
	struct cxltier_node_info *nodes = NULL;
	uint32_t nr = 0, tiers, i;
	uint32_t far_tier[KVR_REAL_MAX_FAR];
	uint64_t blocks;
	struct kdev dev;
	char why[256];
	int rc;

	rc = kdev_open(&dev, NULL);
	if (rc) {
		snprintf(err, errlen, "%s: %s (is cxltier.ko loaded?)", CXLTIER_DEV_PATH,
			 strerror(-rc));
		return rc;
	}
	rc = kdev_get_nodes(&dev, &nodes, &nr, &tiers);
	kdev_close(&dev);
	if (rc) {
		snprintf(err, errlen, "cannot list memory nodes: %s", strerror(-rc));
		return rc;
	}
	if (cxltier_adapter_probe("test-accel", why, sizeof(why))) {
		snprintf(err, errlen, "the fake accelerator is not usable: %s", why);
		free(nodes);
		return -ENODEV;
	}
	info->dram_capacity = 0;
	info->dram_node = -1;
	info->nr_far = 0;
	for (i = 0; i < nr; i++) {
		if (kvr_real_node_is_far(&p->cfg, &nodes[i]))
			add_far(info, &nodes[i], far_tier);
		if (!kvr_real_node_is_dram(&p->cfg, &nodes[i]))
			continue;
		info->dram_capacity += nodes[i].capacity_kB << 10;
		if (info->dram_node < 0 || nodes[i].free_kB > nodes[info->dram_node].free_kB)
			info->dram_node = (int)i;
	}
	if (info->dram_node < 0) {
		snprintf(err, errlen, "no DRAM node (see cxltierctl tiers)");
		free(nodes);
		return -ENODEV;
	}
	info->dram_node = (int)nodes[info->dram_node].node;
	free(nodes);
	if (!info->nr_far) {
		snprintf(err, errlen,
			 "no far-memory node that can hold pinned pages (see cxltierctl tiers)");
		return -ENODEV;
	}

	info->want_blocks = (uint64_t)(p->dram_fraction * t->nr_blocks + 1e-9);
	rc = kvr_dram_budget(info->dram_capacity, info->want_blocks, p->block_bytes,
			     &info->share_bp, &blocks);
	if (rc) {
		snprintf(err, errlen, "a DRAM budget of %llu blocks does not fit in DRAM",
			 (unsigned long long)info->want_blocks);
		return rc;
	}
	p->dram_blocks = blocks < t->nr_blocks ? (uint32_t)blocks : t->nr_blocks;
	p->dram_node_bytes = info->dram_capacity;
	rc = add_class(&p->cfg, o->label, info->share_bp, &p->klass, err, errlen);
	if (rc)
		return rc;
	/* Trace time, KVR_REF_CHUNK settings -> trace time, our chunks. */
	p->cfg.rate_limit_Bps = kvr_rate_for_blocks(p->cfg.rate_limit_Bps, p->block_bytes);
	return kvr_scale_config(&p->cfg, o->speed, KVR_REF_CHUNK, &info->cfg_wall, err,
				errlen);
}
