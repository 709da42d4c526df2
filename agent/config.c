// SPDX-License-Identifier: GPL-2.0
/*
 * config: cxltierd.conf's schema, over the strict INI reader of
 * conffile.c (files, drop-ins, line checks, "FILE:LINE:" errors):
 *
 *  - a table of keys with their types, ranges and where in struct config
 *    they go; a key, section or value that is not in it is an error
 *    naming the file and line;
 *  - the origin (file, line) of every key, so that a check across keys
 *    (low_watermark above high_watermark, possibly set in two files)
 *    names the line that broke it.
 *
 * Node lists go through libnuma's numa_parse_nodestring_all() after a
 * strict syntax check (so that its extras -- "!", "+", "all", device
 * names, octal -- cannot sneak in); its warnings are captured by numalog
 * and quoted in the error.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <numa.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cxltier.h>

#include "conffile.h"
#include "config.h"
#include "numalog.h"
#include "units.h"

/* Kinds of values. */
enum cfg_type {
	CFG_NODES,	/* "auto" or a node list: struct config_nodes */
	CFG_MS,		/* duration: uint32_t milliseconds */
	CFG_PERCENT,	/* percentage: uint32_t basis points */
	CFG_RATE,	/* rate or "unlimited": uint64_t bytes per second */
	CFG_HEAT,	/* decimal accesses: uint64_t CXLTIER_HEAT_ONE units */
	CFG_INT,	/* decimal integer: int */
	CFG_PATTERN,	/* glob: char[CONFIG_PATTERN_LEN] */
	CFG_GROUP,	/* group name: char[CONFIG_GROUP_LEN] */
	CFG_MODE,	/* octal file mode: uint32_t */
	CFG_ONOFF,	/* "on" or "off": bool */
	CFG_ADAPT,	/* HALF_LIFE:WEIGHT,...: nr_adaptive and adaptive_set */
};

/**
 * struct cfg_key - one key of the grammar
 * @section: section name (NULL for the keys of [class "NAME"])
 * @name: key name
 * @type: what its value is
 * @offset: where it goes, in struct config or struct config_class
 * @min: smallest value accepted (in the stored unit)
 * @max: largest value accepted
 */
struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_type type;
	size_t offset;
	int64_t min;
	int64_t max;
};

/* Indices into cfg_keys[]. */
enum {
	K_DRAM, K_FAR,
	K_INTERVAL, K_HIGH_WM, K_LOW_WM, K_RATE, K_HYSTERESIS, K_RESIDENCY,
	K_FAR_RESIDENCY, K_MIN_HEAT,
	K_EPOCH, K_HALF_LIFE, K_ADAPTIVE, K_ADAPT_SET, K_ADAPT_WINDOW,
	K_GROUP, K_MODE, K_MAX_CLIENTS, K_ROOT_RESERVE, K_CLIENTS_UID,
	K_BUFFERS_UID, K_REQUESTS_UID, K_HELLO_TIMEOUT,
	NR_KEYS
};

#define HOUR_MS		(3600LL * 1000)
#define CFG(sec, key, type, field, lo, hi) \
	{ sec, key, type, offsetof(struct config, field), lo, hi }

/* The keys of [tiers], [policy] and [heat]. */
static const struct cfg_key cfg_keys[NR_KEYS] = {
	[K_DRAM]	= CFG("tiers", "dram", CFG_NODES, dram, 0, 0),
	[K_FAR]		= CFG("tiers", "far", CFG_NODES, far, 0, 0),
	[K_INTERVAL]	= CFG("policy", "interval", CFG_MS, interval_ms, 10, HOUR_MS),
	[K_HIGH_WM]	= CFG("policy", "high_watermark", CFG_PERCENT,
			      high_watermark_bp, 100, CONFIG_BP_ONE),
	[K_LOW_WM]	= CFG("policy", "low_watermark", CFG_PERCENT,
			      low_watermark_bp, 100, CONFIG_BP_ONE),
	[K_RATE]	= CFG("policy", "rate_limit", CFG_RATE, rate_limit_Bps,
			      1, INT64_MAX),
	[K_HYSTERESIS]	= CFG("policy", "hysteresis", CFG_PERCENT, hysteresis_bp,
			      0, 10 * CONFIG_BP_ONE),
	[K_RESIDENCY]	= CFG("policy", "min_residency", CFG_MS, min_residency_ms,
			      0, 24 * HOUR_MS),
	[K_FAR_RESIDENCY] = CFG("policy", "min_far_residency", CFG_MS, min_far_residency_ms,
				0, 24 * HOUR_MS),
	[K_MIN_HEAT]	= CFG("policy", "promote_min_heat", CFG_HEAT, promote_min_heat,
			      0, 1000000LL * CXLTIER_HEAT_ONE),
	[K_EPOCH]	= CFG("heat", "epoch", CFG_MS, epoch_ms, 10, HOUR_MS),
	[K_HALF_LIFE]	= CFG("heat", "half_life", CFG_MS, half_life_ms, 0, HOUR_MS),
	[K_ADAPTIVE]	= CFG("heat", "adaptive", CFG_ONOFF, adaptive, 0, 0),
	[K_ADAPT_SET]	= CFG("heat", "adaptive_settings", CFG_ADAPT, adaptive_set, 0, 0),
	[K_ADAPT_WINDOW] = CFG("heat", "adaptive_window", CFG_MS, adaptive_window_ms,
			       1, 24 * HOUR_MS),
	[K_GROUP]	= CFG("socket", "group", CFG_GROUP, socket_group, 0, 0),
	[K_MODE]	= CFG("socket", "mode", CFG_MODE, socket_mode, 0600, 0666),
	[K_MAX_CLIENTS]	= CFG("socket", "max_clients", CFG_INT, max_clients, 1,
			      CONFIG_MAX_CLIENTS),
	[K_ROOT_RESERVE] = CFG("socket", "root_reserve", CFG_INT, root_reserve, 0,
			       CONFIG_MAX_CLIENTS - 1),
	[K_CLIENTS_UID]	= CFG("socket", "clients_per_uid", CFG_INT, clients_per_uid, 1,
			      CONFIG_MAX_CLIENTS),
	[K_BUFFERS_UID]	= CFG("socket", "buffers_per_uid", CFG_INT, buffers_per_uid, 1,
			      1 << 20),
	[K_REQUESTS_UID] = CFG("socket", "requests_per_uid", CFG_INT, requests_per_uid,
			       1, 1 << 16),
	[K_HELLO_TIMEOUT] = CFG("socket", "hello_timeout", CFG_MS, hello_timeout_ms,
				100, 600000),
};

/* Indices into cfg_class_keys[]. */
enum { KC_LABEL, KC_PROCESS, KC_PRIORITY, KC_SHARE, NR_CLASS_KEYS };

#define CFGC(key, type, field, lo, hi) \
	{ NULL, key, type, offsetof(struct config_class, field), lo, hi }

/* The keys of [class "NAME"]. */
static const struct cfg_key cfg_class_keys[NR_CLASS_KEYS] = {
	[KC_LABEL]	= CFGC("label", CFG_PATTERN, label, 0, 0),
	[KC_PROCESS]	= CFGC("process", CFG_PATTERN, process, 0, 0),
	[KC_PRIORITY]	= CFGC("priority", CFG_INT, priority, -1000, 1000),
	[KC_SHARE]	= CFGC("dram_share", CFG_PERCENT, dram_share_bp, 0, CONFIG_BP_ONE),
};

/**
 * struct cfg_origin - where a key was last set
 * @file: index in cfg_loader.files + 1; 0 = never set (the default)
 * @line: line number in that file
 */
struct cfg_origin {
	unsigned int file;
	unsigned int line;
};

/**
 * struct cfg_loader - state of one config_load() or config_parse_string()
 * @cf: the files, lines and first error (conffile.c)
 * @cfg: the settings being filled
 * @origin: where each of cfg_keys[] was set
 * @class_origin: where each key of each class was set
 */
struct cfg_loader {
	struct conffile cf;
	struct config *cfg;
	struct cfg_origin origin[NR_KEYS];
	struct cfg_origin class_origin[CONFIG_MAX_CLASSES][NR_CLASS_KEYS];
};

#define cfg_error(ld, ...) conffile_error(&(ld)->cf, __VA_ARGS__)

void config_init(struct config *cfg)
{
	struct config_class *def;
	uint32_t i, w;

	memset(cfg, 0, sizeof(*cfg));
	cfg->dram.is_auto = true;
	cfg->far.is_auto = true;
	cfg->interval_ms = 1000;
	cfg->high_watermark_bp = 9500;
	cfg->low_watermark_bp = 9000;
	cfg->rate_limit_Bps = 256ULL << 20;
	cfg->hysteresis_bp = 2500;
	cfg->min_residency_ms = 10000;
	/* A wrong demotion is undone after 5 decisions, not 10. */
	cfg->min_far_residency_ms = 5000;
	cfg->epoch_ms = 1000;
	cfg->half_life_ms = 30000;
	cfg->adaptive = true;
	cfg->adaptive_window_ms = 90000;
	if (config_parse_adapt(CONFIG_ADAPT_DEFAULT, cfg->adaptive_set, &cfg->nr_adaptive,
			       NULL, 0))
		abort();	/* the built-in list is well formed */
	/*
	 * The lightest creating write of the default shadows (0.25): a
	 * block created in far memory (DRAM was full) can come up before
	 * its first read.
	 */
	w = CONFIG_ADAPT_MAX_WEIGHT;
	for (i = 0; i < cfg->nr_adaptive; i++)
		if (cfg->adaptive_set[i].write_weight_pm && cfg->adaptive_set[i].write_weight_pm < w)
			w = cfg->adaptive_set[i].write_weight_pm;
	cfg->promote_min_heat = (uint64_t)CXLTIER_HEAT_ONE * w / 1000;
	strcpy(cfg->socket_group, "cxltier");
	cfg->socket_mode = 0660;
	cfg->max_clients = 256;
	cfg->root_reserve = 16;
	cfg->clients_per_uid = 16;
	cfg->buffers_per_uid = 1024;
	cfg->requests_per_uid = 16;
	cfg->hello_timeout_ms = 5000;
	cfg->nr_classes = 1;
	def = &cfg->classes[CONFIG_CLASS_DEFAULT];
	strcpy(def->name, "default");
	def->priority = 0;
	def->dram_share_bp = CONFIG_BP_ONE;
}

bool config_nodes_test(const struct config_nodes *nodes, unsigned int node)
{
	const unsigned int bits = 8 * sizeof(unsigned long);

	if (nodes->is_auto || node >= CONFIG_MAX_NODES)
		return false;
	return nodes->mask[node / bits] & (1UL << (node % bits));
}

static void nodes_set(struct config_nodes *nodes, unsigned int node)
{
	const unsigned int bits = 8 * sizeof(unsigned long);

	nodes->mask[node / bits] |= 1UL << (node % bits);
}

/* ------------------------------------------------------------------ */
/* Values                                                              */

/*
 * Strict node-list syntax: "N" or "N-M" (N <= M) separated by commas,
 * decimal without leading zeros, spaces ignored.  The result, without
 * spaces, goes to @out for libnuma.
 */
static int nodes_syntax(const char *s, char *out, size_t len, const char **why)
{
	unsigned long lo = 0, cur = 0;
	bool in_num = false, range = false, lead_zero = false;
	size_t n = 0;
	const char *p;

	for (p = s;; p++) {
		char c = *p;

		if (c == ' ' || c == '\t')
			continue;
		if (n + 1 >= len) {
			*why = "too long";
			return -EINVAL;
		}
		if (c >= '0' && c <= '9') {
			if (in_num && lead_zero) {
				*why = "numbers have no leading zeros";
				return -EINVAL;
			}
			if (!in_num) {
				in_num = true;
				cur = 0;
				lead_zero = c == '0';
			}
			cur = cur * 10 + (unsigned long)(c - '0');
			if (cur >= CONFIG_MAX_NODES) {
				*why = "node ids are below 1024";
				return -EINVAL;
			}
			out[n++] = c;
			continue;
		}
		if (c != ',' && c != '-' && c != '\0') {
			*why = "only node ids, '-' and ',' are allowed";
			return -EINVAL;
		}
		if (!in_num) {
			*why = c ? "a number is missing" : "a number is missing at the end";
			return -EINVAL;
		}
		in_num = false;
		if (range && cur < lo) {
			*why = "a range goes from low to high";
			return -EINVAL;
		}
		if (c == '-') {
			if (range) {
				*why = "a range has two ends";
				return -EINVAL;
			}
			range = true;
			lo = cur;
		} else {
			range = false;
		}
		out[n++] = c;
		if (!c)
			return 0;
	}
}

static int parse_nodes(struct cfg_loader *ld, const struct cfg_key *k,
		       const char *value, struct config_nodes *out)
{
	char buf[256];
	const char *why = NULL, *msg;
	struct bitmask *bm;
	unsigned int i, weight = 0;

	memset(out, 0, sizeof(*out));
	if (!strcmp(value, "auto")) {
		out->is_auto = true;
		return 0;
	}
	if (nodes_syntax(value, buf, sizeof(buf), &why))
		return cfg_error(ld, -EINVAL, ld->cf.line,
				 "%s: '%s' is not \"auto\" or a node list such as 0-1,4: %s",
				 k->name, value, why);
	numalog_capture_begin();
	bm = numa_parse_nodestring_all(buf);
	msg = numalog_capture_end();
	if (!bm)
		return cfg_error(ld, -EINVAL, ld->cf.line, "%s: '%s': %s", k->name,
				 value, *msg ? msg : "not a node list of this machine");
	for (i = 0; i < bm->size; i++) {
		if (!numa_bitmask_isbitset(bm, i))
			continue;
		if (i >= CONFIG_MAX_NODES) {
			numa_bitmask_free(bm);
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: node %u is above %u", k->name, i,
					 CONFIG_MAX_NODES - 1);
		}
		nodes_set(out, i);
		weight++;
	}
	numa_bitmask_free(bm);
	if (!weight)
		return cfg_error(ld, -EINVAL, ld->cf.line, "%s: '%s' names no node",
				 k->name, value);
	return 0;
}

/* "%u.%02u%%" without a trailing ".00". */
static const char *fmt_bp(uint64_t bp, char *buf, size_t len)
{
	if (bp % 100)
		snprintf(buf, len, "%llu.%02llu%%", (unsigned long long)(bp / 100),
			 (unsigned long long)(bp % 100));
	else
		snprintf(buf, len, "%llu%%", (unsigned long long)(bp / 100));
	return buf;
}

/* A heat in CXLTIER_HEAT_ONE units as a decimal that reads back exactly. */
static const char *fmt_heat(uint64_t heat, char *buf, size_t len)
{
	uint64_t frac = heat & (CXLTIER_HEAT_ONE - 1);
	/* Rounded up, so that parsing (which rounds down) gives @frac back. */
	uint64_t dec = (frac * 1000000000ULL + CXLTIER_HEAT_ONE - 1) / CXLTIER_HEAT_ONE;
	int digits = 9;

	if (!frac) {
		snprintf(buf, len, "%llu", (unsigned long long)(heat >> CXLTIER_HEAT_SHIFT));
		return buf;
	}
	while (dec % 10 == 0) {
		dec /= 10;
		digits--;
	}
	snprintf(buf, len, "%llu.%0*llu", (unsigned long long)(heat >> CXLTIER_HEAT_SHIFT),
		 digits, (unsigned long long)dec);
	return buf;
}

int config_parse_adapt(const char *s, struct config_adapt *set, uint32_t *n,
		       char *why, size_t whylen)
{
	struct config_adapt tmp[CONFIG_MAX_ADAPT];
	char item[64], *colon, *kind;
	uint32_t nr = 0;
	uint64_t ms, w;
	size_t len;
	int rc;

	if (!why)
		whylen = 0;
	for (;;) {
		len = strcspn(s, ",");
		if (nr == CONFIG_MAX_ADAPT) {
			if (whylen)
				snprintf(why, whylen, "more than %d settings", CONFIG_MAX_ADAPT);
			return -EINVAL;
		}
		if (!len || len >= sizeof(item)) {
			if (whylen)
				snprintf(why, whylen, "setting %u is %s", nr + 1,
					 len ? "too long" : "empty");
			return -EINVAL;
		}
		memcpy(item, s, len);
		item[len] = 0;
		colon = strchr(item, ':');
		if (!colon) {
			if (whylen)
				snprintf(why, whylen, "'%s' is not HALF_LIFE:WEIGHT[:KIND] (e.g. 20s:0.25)",
					 item);
			return -EINVAL;
		}
		*colon = 0;
		kind = strchr(colon + 1, ':');
		if (kind)
			*kind++ = 0;
		rc = units_parse_ms(item, &ms);
		if (rc || ms > HOUR_MS) {
			if (whylen)
				snprintf(why, whylen, "'%s' is not a half-life from 0 to 1h", item);
			return -EINVAL;
		}
		rc = units_parse_decimal(colon + 1, 1000, &w);
		if (rc || w > CONFIG_ADAPT_MAX_WEIGHT) {
			if (whylen)
				snprintf(why, whylen, "'%s' is not a write weight from 0 to %d",
					 colon + 1, CONFIG_ADAPT_MAX_WEIGHT / 1000);
			return -EINVAL;
		}
		if (kind && strcmp(kind, "sum") && strcmp(kind, "last")) {
			if (whylen)
				snprintf(why, whylen,
					 "'%s' is not a shadow kind, sum or last (e.g. 20s:1:last)",
					 kind);
			return -EINVAL;
		}
		tmp[nr].half_life_ms = (uint32_t)ms;
		tmp[nr].write_weight_pm = (uint32_t)w;
		tmp[nr].recency = kind && !strcmp(kind, "last");
		nr++;
		if (!s[len])
			break;
		s += len + 1;
	}
	memcpy(set, tmp, nr * sizeof(*tmp));
	*n = nr;
	return 0;
}

static int parse_value(struct cfg_loader *ld, const struct cfg_key *k,
		       const char *value, void *base)
{
	void *field = (char *)base + k->offset;
	char lo[32], hi[32];
	uint64_t u = 0;
	int rc;

	if (!*value)
		return cfg_error(ld, -EINVAL, ld->cf.line, "%s: empty value", k->name);

	switch (k->type) {
	case CFG_NODES:
		return parse_nodes(ld, k, value, field);
	case CFG_MS:
		rc = units_parse_ms(value, &u);
		if (rc == -EINVAL)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is not a duration (e.g. 500ms, 2s, 1min)",
					 k->name, value);
		if (rc || u < (uint64_t)k->min || u > (uint64_t)k->max)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is out of range [%lldms, %lldms]",
					 k->name, value, (long long)k->min, (long long)k->max);
		*(uint32_t *)field = (uint32_t)u;
		return 0;
	case CFG_PERCENT:
		rc = units_parse_percent(value, &u);
		if (rc == -EINVAL)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is not a percentage (e.g. 90%%)",
					 k->name, value);
		if (rc || u < (uint64_t)k->min || u > (uint64_t)k->max)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is out of range [%s, %s]", k->name, value,
					 fmt_bp((uint64_t)k->min, lo, sizeof(lo)),
					 fmt_bp((uint64_t)k->max, hi, sizeof(hi)));
		*(uint32_t *)field = (uint32_t)u;
		return 0;
	case CFG_RATE:
		if (!strcmp(value, "unlimited")) {
			*(uint64_t *)field = 0;
			return 0;
		}
		rc = units_parse_rate(value, 1ULL << 20, &u);
		if (rc == -EINVAL)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is not a rate (e.g. 256MiB/s, 1GiB/s, or a number of MiB/s) or \"unlimited\"",
					 k->name, value);
		if (rc || u < (uint64_t)k->min || u > (uint64_t)k->max)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is out of range (at least 1B/s; \"unlimited\" for no limit)",
					 k->name, value);
		*(uint64_t *)field = u;
		return 0;
	case CFG_HEAT:
		rc = units_parse_decimal(value, CXLTIER_HEAT_ONE, &u);
		if (rc == -EINVAL)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is not a number of accesses (e.g. 2 or 1.5)",
					 k->name, value);
		if (rc || u > (uint64_t)k->max)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is out of range [0, %lld]", k->name, value,
					 (long long)(k->max >> CXLTIER_HEAT_SHIFT));
		*(uint64_t *)field = u;
		return 0;
	case CFG_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (end == value || *end || value[0] == '+' || value[0] == ' ')
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is not an integer", k->name, value);
		if (errno || v < k->min || v > k->max)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is out of range [%lld, %lld]", k->name,
					 value, (long long)k->min, (long long)k->max);
		*(int *)field = (int)v;
		return 0;
	}
	case CFG_ONOFF:
		if (strcmp(value, "on") && strcmp(value, "off"))
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is not \"on\" or \"off\"", k->name, value);
		*(bool *)field = !strcmp(value, "on");
		return 0;
	case CFG_ADAPT: {
		struct config *cfg = base;
		char why[128];

		if (config_parse_adapt(value, cfg->adaptive_set, &cfg->nr_adaptive, why,
				       sizeof(why)))
			return cfg_error(ld, -EINVAL, ld->cf.line, "%s: %s", k->name, why);
		/* Left over from a longer list set before: zero, for memcmp(). */
		memset(cfg->adaptive_set + cfg->nr_adaptive, 0,
		       (CONFIG_MAX_ADAPT - cfg->nr_adaptive) * sizeof(*cfg->adaptive_set));
		return 0;
	}
	case CFG_PATTERN: {
		const char *p;

		if (strlen(value) >= CONFIG_PATTERN_LEN)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: pattern longer than %d characters", k->name,
					 CONFIG_PATTERN_LEN - 1);
		/* "key = ;x" would read back as a comment (config_print()). */
		if (value[0] == ';')
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: a pattern cannot start with ';' (it reads as a comment)",
					 k->name);
		for (p = value; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				return cfg_error(ld, -EINVAL, ld->cf.line,
						 "%s: pattern has a character that is not printable ASCII",
						 k->name);
		strcpy(field, value);
		return 0;
	}
	case CFG_GROUP: {
		size_t i, n = strlen(value);
		bool ok = n && n < CONFIG_GROUP_LEN && value[0] != '-';

		/* POSIX portable names, as useradd(8) and systemd accept. */
		for (i = 0; ok && i < n; i++) {
			char c = value[i];

			ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		}
		if (!ok)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is not a group name (1-%d letters, digits, '_', '.' or '-', not starting with '-')",
					 k->name, value, CONFIG_GROUP_LEN - 1);
		strcpy(field, value);
		return 0;
	}
	case CFG_MODE: {
		size_t i, n = strlen(value);
		bool ok = n >= 3 && n <= 4 && (n == 3 || value[0] == '0');

		for (i = 0; ok && i < n; i++)
			ok = value[i] >= '0' && value[i] <= '7';
		if (!ok)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s' is not an octal mode such as 0660", k->name,
					 value);
		u = strtoul(value, NULL, 8);
		/* Read and write for root; never execute, set-id or sticky. */
		if ((u & ~0666ULL) || (u & 0600) != 0600)
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "%s: '%s': give read and write to the owner, and only read or write bits (0600-0666)",
					 k->name, value);
		*(uint32_t *)field = (uint32_t)u;
		return 0;
	}
	}
	return cfg_error(ld, -EINVAL, ld->cf.line, "%s: internal error: bad type", k->name);
}

/* ------------------------------------------------------------------ */
/* Sections and keys                                                   */

/* A class name: 1-31 of [A-Za-z0-9_.-]. */
static bool class_name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || n >= CONFIG_NAME_LEN)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/*
 * Check a section name; for [class "NAME"] set *@name and *@nlen.
 * 0 or -EINVAL with the error recorded.
 */
static int check_section(struct cfg_loader *ld, const char *sec, size_t len,
			 const char **name, size_t *nlen)
{
	static const char *const plain[] = { "tiers", "policy", "heat", "socket" };
	size_t i;

	*name = NULL;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (strlen(plain[i]) == len && !memcmp(sec, plain[i], len))
			return 0;
	if (len > 8 && !memcmp(sec, "class \"", 7) && sec[len - 1] == '"') {
		if (!class_name_ok(sec + 7, len - 8))
			return cfg_error(ld, -EINVAL, ld->cf.line,
					 "class name '%.*s': use 1-%d letters, digits, '_', '.' or '-'",
					 (int)(len - 8), sec + 7, CONFIG_NAME_LEN - 1);
		*name = sec + 7;
		*nlen = len - 8;
		return 0;
	}
	if (len >= 5 && !memcmp(sec, "class", 5))
		return cfg_error(ld, -EINVAL, ld->cf.line,
				 "section [%.*s]: write a class as [class \"NAME\"]",
				 (int)len, sec);
	return cfg_error(ld, -EINVAL, ld->cf.line,
			 "unknown section [%.*s] (known: tiers, policy, heat, socket, class \"NAME\")",
			 (int)len, sec);
}

/* The class called @name, created if new. */
static struct config_class *get_class(struct cfg_loader *ld, const char *name,
				      size_t len, unsigned int *idx)
{
	struct config *cfg = ld->cfg;
	struct config_class *c;
	unsigned int i;

	for (i = 0; i < cfg->nr_classes; i++) {
		c = &cfg->classes[i];
		if (strlen(c->name) == len && !memcmp(c->name, name, len)) {
			*idx = i;
			return c;
		}
	}
	if (cfg->nr_classes >= CONFIG_MAX_CLASSES) {
		cfg_error(ld, -E2BIG, ld->cf.line, "more than %d classes",
			  CONFIG_MAX_CLASSES - 1);
		return NULL;
	}
	*idx = cfg->nr_classes++;
	c = &cfg->classes[*idx];
	memset(c, 0, sizeof(*c));
	memcpy(c->name, name, len);
	c->priority = 0;
	c->dram_share_bp = CONFIG_BP_ONE;
	return c;
}

static int set_key(struct cfg_loader *ld, struct cfg_origin *o,
		   const struct cfg_key *k, const char *value, void *base)
{
	int rc;

	if (o->file == ld->cf.file + 1)
		return cfg_error(ld, -EINVAL, ld->cf.line, "%s: already set on line %u",
				 k->name, o->line);
	rc = parse_value(ld, k, value, base);
	if (rc)
		return rc;
	o->file = ld->cf.file + 1;
	o->line = ld->cf.line;
	return 0;
}

/* The schema's handler of one key = value.  1 to go on, 0 on error. */
static int cfg_handler(void *user, const char *section, const char *name,
		       const char *value)
{
	struct cfg_loader *ld = user;
	const char *cname;
	size_t clen;
	unsigned int i, idx;

	if (ld->cf.err)
		return 0;
	if (!*section) {
		cfg_error(ld, -EINVAL, ld->cf.line,
			  "%s: key outside of a section (start with [tiers], [policy], ...)",
			  name);
		return 0;
	}
	if (check_section(ld, section, strlen(section), &cname, &clen))
		return 0;

	if (cname) {
		struct config_class *c = get_class(ld, cname, clen, &idx);

		if (!c)
			return 0;
		for (i = 0; i < NR_CLASS_KEYS; i++) {
			if (strcmp(name, cfg_class_keys[i].name))
				continue;
			if (idx == CONFIG_CLASS_DEFAULT && cfg_class_keys[i].type == CFG_PATTERN) {
				cfg_error(ld, -EINVAL, ld->cf.line,
					  "%s: the default class holds every buffer no other class matches; it takes no pattern",
					  name);
				return 0;
			}
			return !set_key(ld, &ld->class_origin[idx][i], &cfg_class_keys[i],
					value, c);
		}
		cfg_error(ld, -EINVAL, ld->cf.line,
			  "unknown key '%s' in [class \"%s\"] (known: label, process, priority, dram_share)",
			  name, c->name);
		return 0;
	}

	for (i = 0; i < NR_KEYS; i++) {
		if (strcmp(section, cfg_keys[i].section) || strcmp(name, cfg_keys[i].name))
			continue;
		return !set_key(ld, &ld->origin[i], &cfg_keys[i], value, ld->cfg);
	}
	cfg_error(ld, -EINVAL, ld->cf.line, "unknown key '%s' in [%s]", name, section);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */

/* ------------------------------------------------------------------ */
/* Checks across keys                                                  */

/* Keys named by a failed cross check. */
struct cfg_culprit {
	int key;	/* index in cfg_keys[], or -1 */
	int klass;	/* class index for a class key, or -1 */
	int ckey;	/* index in cfg_class_keys[] */
};

static int validate(const struct config *cfg, struct cfg_culprit *a,
		    struct cfg_culprit *b, char *err, size_t errlen)
{
	const unsigned int words = CONFIG_MAX_NODES / (8 * sizeof(unsigned long));
	char lo[32], hi[32];
	unsigned int i, j;

	a->key = b->key = -1;
	a->klass = b->klass = -1;
	if (cfg->low_watermark_bp > cfg->high_watermark_bp) {
		a->key = K_LOW_WM;
		b->key = K_HIGH_WM;
		snprintf(err, errlen, "low_watermark (%s) is above high_watermark (%s)",
			 fmt_bp(cfg->low_watermark_bp, lo, sizeof(lo)),
			 fmt_bp(cfg->high_watermark_bp, hi, sizeof(hi)));
		return -EINVAL;
	}
	if (!cfg->dram.is_auto && !cfg->far.is_auto) {
		for (i = 0; i < words; i++) {
			unsigned long both = cfg->dram.mask[i] & cfg->far.mask[i];

			if (both) {
				a->key = K_DRAM;
				b->key = K_FAR;
				snprintf(err, errlen, "node %u is in both [tiers] dram and far",
					 i * (unsigned int)(8 * sizeof(unsigned long)) +
					 (unsigned int)__builtin_ctzl(both));
				return -EINVAL;
			}
		}
	}
	if (cfg->root_reserve >= cfg->max_clients) {
		a->key = K_ROOT_RESERVE;
		b->key = K_MAX_CLIENTS;
		snprintf(err, errlen,
			 "root_reserve (%d) leaves no connection to other users: keep it below max_clients (%d)",
			 cfg->root_reserve, cfg->max_clients);
		return -EINVAL;
	}
	if (cfg->clients_per_uid > cfg->max_clients) {
		a->key = K_CLIENTS_UID;
		b->key = K_MAX_CLIENTS;
		snprintf(err, errlen, "clients_per_uid (%d) is above max_clients (%d)",
			 cfg->clients_per_uid, cfg->max_clients);
		return -EINVAL;
	}
	for (i = 1; i < cfg->nr_classes; i++) {
		const struct config_class *c = &cfg->classes[i];

		if (!c->label[0] && !c->process[0]) {
			a->klass = (int)i;
			a->ckey = KC_LABEL;
			snprintf(err, errlen,
				 "class \"%s\" matches nothing: give it a label or process pattern",
				 c->name);
			return -EINVAL;
		}
		for (j = 1; j < i; j++) {
			const struct config_class *o = &cfg->classes[j];

			if (!strcmp(o->label, c->label) && !strcmp(o->process, c->process)) {
				a->klass = (int)i;
				a->ckey = c->label[0] ? KC_LABEL : KC_PROCESS;
				snprintf(err, errlen,
					 "class \"%s\" has the same patterns as class \"%s\", so it never matches",
					 c->name, o->name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
	struct cfg_culprit a, b;
	char buf[CONFIG_ERR_LEN];
	int rc;

	rc = validate(cfg, &a, &b, buf, sizeof(buf));
	if (rc && err && errlen)
		snprintf(err, errlen, "%s", buf);
	return rc;
}

static struct cfg_origin culprit_origin(const struct cfg_loader *ld,
					const struct cfg_culprit *c)
{
	struct cfg_origin none = { 0, 0 };

	if (c->key >= 0)
		return ld->origin[c->key];
	if (c->klass >= 0) {
		const struct cfg_origin *o = ld->class_origin[c->klass];
		struct cfg_origin best = o[c->ckey];
		unsigned int k;

		/* A class with no pattern: point at its last key. */
		if (!best.file)
			for (k = 0; k < NR_CLASS_KEYS; k++)
				if (o[k].file > best.file ||
				    (o[k].file == best.file && o[k].line > best.line))
					best = o[k];
		return best;
	}
	return none;
}

/* config_validate(), naming the later of the keys involved. */
static int validate_loaded(struct cfg_loader *ld)
{
	struct cfg_culprit a, b;
	struct cfg_origin oa, ob, o;
	char msg[CONFIG_ERR_LEN];
	int rc;

	rc = validate(ld->cfg, &a, &b, msg, sizeof(msg));
	if (!rc)
		return 0;
	oa = culprit_origin(ld, &a);
	ob = culprit_origin(ld, &b);
	o = (ob.file > oa.file || (ob.file == oa.file && ob.line > oa.line)) ? ob : oa;
	if (!o.file) {
		/* Only defaults involved: cannot happen, but say what. */
		ld->cf.err = rc;
		if (ld->cf.errbuf && ld->cf.errlen)
			snprintf(ld->cf.errbuf, ld->cf.errlen, "%s", msg);
		return rc;
	}
	ld->cf.file = o.file - 1;
	return cfg_error(ld, rc, o.line, "%s", msg);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */

/* A section header, checked as soon as it is read. */
static int cfg_section(void *user, const char *sec, size_t len)
{
	const char *name;
	size_t nlen;

	return check_section(user, sec, len, &name, &nlen);
}

static void loader_init(struct cfg_loader *ld, struct config *cfg, char *err,
			size_t errlen)
{
	memset(ld, 0, sizeof(*ld));
	conffile_init(&ld->cf, err, errlen);
	ld->cf.section = cfg_section;
	ld->cf.key = cfg_handler;
	ld->cf.priv = ld;
	ld->cfg = cfg;
}

/* Count the texts parsed (cxltierd logs it) and free the names. */
static void loader_fini(struct cfg_loader *ld)
{
	ld->cfg->nr_files += ld->cf.parsed;
	conffile_fini(&ld->cf);
}

int config_set_option(struct config *cfg, const char *arg, char *err,
		      size_t errlen)
{
	const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
	char text[512], why[CONFIG_ERR_LEN];
	const char *msg;

	if (!dot || !eq || dot > eq || dot == arg || eq == dot + 1 ||
	    strlen(arg) > 400 || strchr(arg, '\n')) {
		snprintf(err, errlen, "expected SECTION.KEY=VALUE");
		return -EINVAL;
	}
	snprintf(text, sizeof(text), "[%.*s]\n%.*s = %s\n", (int)(dot - arg),
		 arg, (int)(eq - dot - 1), dot + 1, eq + 1);
	if (!config_parse_string(cfg, "option", text, why, sizeof(why)))
		return 0;
	/* "option:2: message": the line means nothing to the caller. */
	msg = strncmp(why, "option:", 7) ? NULL : strstr(why, ": ");
	snprintf(err, errlen, "%s", msg ? msg + 2 : why);
	return -EINVAL;
}

int config_parse_string(struct config *cfg, const char *name, const char *text,
			char *err, size_t errlen)
{
	struct cfg_loader *ld;
	unsigned int idx;
	size_t len = strlen(text);
	int rc;

	ld = malloc(sizeof(*ld));
	if (!ld) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	loader_init(ld, cfg, err, errlen);
	rc = conffile_add_file(&ld->cf, name, &idx);
	if (!rc && len > CONFIG_MAX_FILE_SIZE)
		rc = cfg_error(ld, -EFBIG, 0, "larger than %d bytes", CONFIG_MAX_FILE_SIZE);
	if (!rc)
		rc = conffile_parse_text(&ld->cf, idx, text, len);
	loader_fini(ld);
	free(ld);
	return rc;
}

int config_load(struct config *cfg, const char *path, unsigned int flags,
		char *err, size_t errlen)
{
	struct cfg_loader *ld;
	char dir[PATH_MAX];
	const char *slash;
	int rc;

	if (!path)
		path = CONFIG_DEFAULT_PATH;
	config_init(cfg);
	ld = malloc(sizeof(*ld));
	if (!ld) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	loader_init(ld, cfg, err, errlen);

	rc = conffile_load_file(&ld->cf, path, flags & CONFIG_LOAD_OPTIONAL);
	if (rc == -ENOENT && !ld->cf.err)
		rc = 0;
	if (rc)
		goto out;

	slash = strrchr(path, '/');
	if (!slash)
		rc = snprintf(dir, sizeof(dir), "%s", CONFIG_DROPIN_DIR) >= (int)sizeof(dir);
	else
		rc = snprintf(dir, sizeof(dir), "%.*s/%s", (int)(slash - path), path,
			      CONFIG_DROPIN_DIR) >= (int)sizeof(dir);
	if (rc) {
		rc = -ENAMETOOLONG;
		if (err && errlen)
			snprintf(err, errlen, "%s: path too long", path);
		goto out;
	}
	rc = conffile_load_dropins(&ld->cf, dir);
	if (!rc)
		rc = validate_loaded(ld);
out:
	loader_fini(ld);
	free(ld);
	return rc;
}

unsigned int config_match_class(const struct config *cfg, const char *label,
				const char *process)
{
	unsigned int i;

	if (!label)
		label = "";
	if (!process)
		process = "";
	for (i = 1; i < cfg->nr_classes; i++) {
		const struct config_class *c = &cfg->classes[i];

		if (c->label[0] && fnmatch(c->label, label, 0))
			continue;
		if (c->process[0] && fnmatch(c->process, process, 0))
			continue;
		if (!c->label[0] && !c->process[0])
			continue;
		return i;
	}
	return CONFIG_CLASS_DEFAULT;
}

/* ------------------------------------------------------------------ */
/* Printing                                                            */

static void print_nodes(const struct config_nodes *n, FILE *f)
{
	unsigned int i = 0, start;
	bool first = true;

	if (n->is_auto) {
		fputs("auto", f);
		return;
	}
	while (i < CONFIG_MAX_NODES) {
		if (!config_nodes_test(n, i)) {
			i++;
			continue;
		}
		start = i;
		while (i + 1 < CONFIG_MAX_NODES && config_nodes_test(n, i + 1))
			i++;
		fprintf(f, "%s%u", first ? "" : ",", start);
		if (i > start)
			fprintf(f, "-%u", i);
		first = false;
		i++;
	}
}

static void print_rate(uint64_t bps, FILE *f)
{
	if (!bps)
		fputs("unlimited", f);
	else if (!(bps % (1ULL << 30)))
		fprintf(f, "%lluGiB/s", (unsigned long long)(bps >> 30));
	else if (!(bps % (1ULL << 20)))
		fprintf(f, "%lluMiB/s", (unsigned long long)(bps >> 20));
	else if (!(bps % (1ULL << 10)))
		fprintf(f, "%lluKiB/s", (unsigned long long)(bps >> 10));
	else
		fprintf(f, "%lluB/s", (unsigned long long)bps);
}

int config_print(const struct config *cfg, FILE *f)
{
	char a[32], b[32], c[32];
	unsigned int i;

	fputs("[tiers]\ndram = ", f);
	print_nodes(&cfg->dram, f);
	fputs("\nfar = ", f);
	print_nodes(&cfg->far, f);
	fprintf(f, "\n\n[policy]\ninterval = %ums\nhigh_watermark = %s\nlow_watermark = %s\n"
		"rate_limit = ", cfg->interval_ms,
		fmt_bp(cfg->high_watermark_bp, a, sizeof(a)),
		fmt_bp(cfg->low_watermark_bp, b, sizeof(b)));
	print_rate(cfg->rate_limit_Bps, f);
	fprintf(f, "\nhysteresis = %s\nmin_residency = %ums\nmin_far_residency = %ums\n"
		"promote_min_heat = %s\n",
		fmt_bp(cfg->hysteresis_bp, a, sizeof(a)), cfg->min_residency_ms,
		cfg->min_far_residency_ms,
		fmt_heat(cfg->promote_min_heat, c, sizeof(c)));
	fprintf(f, "\n[heat]\nepoch = %ums\nhalf_life = %ums\nadaptive = %s\n"
		"adaptive_settings = ", cfg->epoch_ms, cfg->half_life_ms,
		cfg->adaptive ? "on" : "off");
	for (i = 0; i < cfg->nr_adaptive; i++) {
		fprintf(f, "%s%ums:%u.%03u", i ? "," : "", cfg->adaptive_set[i].half_life_ms,
			cfg->adaptive_set[i].write_weight_pm / 1000,
			cfg->adaptive_set[i].write_weight_pm % 1000);
		if (cfg->adaptive_set[i].recency)
			fputs(":last", f);
	}
	fprintf(f, "\nadaptive_window = %ums\n", cfg->adaptive_window_ms);
	fprintf(f, "\n[socket]\ngroup = %s\nmode = %04o\nmax_clients = %d\n"
		"root_reserve = %d\nclients_per_uid = %d\nbuffers_per_uid = %d\n"
		"requests_per_uid = %d\nhello_timeout = %ums\n", cfg->socket_group,
		(unsigned int)cfg->socket_mode, cfg->max_clients, cfg->root_reserve,
		cfg->clients_per_uid, cfg->buffers_per_uid, cfg->requests_per_uid,
		cfg->hello_timeout_ms);
	for (i = 0; i < cfg->nr_classes; i++) {
		const struct config_class *k = &cfg->classes[i];

		fprintf(f, "\n[class \"%s\"]\n", k->name);
		if (k->label[0])
			fprintf(f, "label = %s\n", k->label);
		if (k->process[0])
			fprintf(f, "process = %s\n", k->process);
		fprintf(f, "priority = %d\ndram_share = %s\n", k->priority,
			fmt_bp(k->dram_share_bp, a, sizeof(a)));
	}
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

int config_check_tiers(const struct config *cfg, const int *has_cpus,
		       unsigned int nr, char *err, size_t errlen)
{
	int cpu_less_dram = -1, cpu_far = -1;
	bool dram_with_cpus = false;
	unsigned int n;

	if (cfg->dram.is_auto || cfg->far.is_auto)
		return 0;
	for (n = 0; n < nr && n < CONFIG_MAX_NODES; n++) {
		if (has_cpus[n] < 0)
			continue;
		if (config_nodes_test(&cfg->dram, n)) {
			if (has_cpus[n])
				dram_with_cpus = true;
			else if (cpu_less_dram < 0)
				cpu_less_dram = (int)n;
		}
		if (config_nodes_test(&cfg->far, n) && has_cpus[n] && cpu_far < 0)
			cpu_far = (int)n;
	}
	if (dram_with_cpus || cpu_less_dram < 0 || cpu_far < 0)
		return 0;
	snprintf(err, errlen,
		 "[tiers] dram and far look swapped: dram node %d has no CPUs while far node %d has; DRAM is the memory next to the CPUs (see numactl -H)",
		 cpu_less_dram, cpu_far);
	return -EINVAL;
}
