/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config: cxltierd's settings, read from /etc/cxltier/cxltierd.conf and
 * then from every conf.d/<name>.conf next to it, in byte order of the
 * names; a key set again in a later file overrides the earlier value.
 * The syntax (INI, parsed by libinih) and every key are described in
 * cxltierd.conf(5) and in the shipped agent/cxltierd.conf.
 *
 * Loading fills a caller-owned struct config and has no other effect, so
 * a reload is atomic by construction: load into a fresh struct, and swap
 * it in only when config_load() succeeded.  On failure the running
 * settings stay as they were and the error reads "FILE:LINE: what".
 *
 * struct config is plain data (no pointers): copy it with "=".
 */
#ifndef CXLTIER_CONFIG_H
#define CXLTIER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where the daemon looks by default. */
#define CONFIG_DEFAULT_PATH	"/etc/cxltier/cxltierd.conf"
/* Drop-in directory, relative to the main file's directory. */
#define CONFIG_DROPIN_DIR	"conf.d"

/* Highest NUMA node id + 1 a node list may name (the kernel's MAX_NUMNODES). */
#define CONFIG_MAX_NODES	1024
/* Classes, counting the built-in "default". */
#define CONFIG_MAX_CLASSES	64
/* Longest class name + 1. */
#define CONFIG_NAME_LEN		32
/* Longest label or process pattern + 1. */
#define CONFIG_PATTERN_LEN	64
/* A buffer large enough for any error message. */
#define CONFIG_ERR_LEN		512
/* Largest file read (main or drop-in). */
#define CONFIG_MAX_FILE_SIZE	(1 << 20)
/* Most drop-in files read. */
#define CONFIG_MAX_DROPINS	256

/* Index of the built-in class every unmatched buffer belongs to. */
#define CONFIG_CLASS_DEFAULT	0

/* Longest group name + 1 ([socket] group). */
#define CONFIG_GROUP_LEN	32
/* Upper bound of [socket] max_clients (the daemon's poll set). */
#define CONFIG_MAX_CLIENTS	256

/* Basis points: 10000 = 100%. */
#define CONFIG_BP_ONE		10000U

/* Most shadows of [heat] adaptive_settings (POLICY_ADAPT_MAX). */
#define CONFIG_MAX_ADAPT	8
/* Largest write weight of a shadow, thousandths of a read. */
#define CONFIG_ADAPT_MAX_WEIGHT	16000
/* [heat] adaptive_settings by default; kvreplay --simulate's too. */
#define CONFIG_ADAPT_DEFAULT	"20s:1:last,5s:0.25,20s:0.25,60s:0.25,5s:1,20s:1,60s:1"

/**
 * struct config_adapt - one shadow of the adaptive heat
 * @half_life_ms: its heat half-life, 0 to 1 h
 * @write_weight_pm: its heat of a creating write, thousandths of a read
 *	(0 to CONFIG_ADAPT_MAX_WEIGHT)
 * @recency: 1: a recency shadow (HALF_LIFE:WEIGHT:last), whose heat is
 *	the decayed weight of the last access; 0: the decayed sum of every
 *	access (HALF_LIFE:WEIGHT, or HALF_LIFE:WEIGHT:sum)
 */
struct config_adapt {
	uint32_t half_life_ms;
	uint32_t write_weight_pm;
	uint32_t recency;
};

/**
 * struct config_nodes - a set of NUMA nodes, or "auto"
 * @is_auto: take the nodes from the module's tier table
 * @mask: bit n set for node n (meaningful when !@is_auto)
 */
struct config_nodes {
	bool is_auto;
	unsigned long mask[CONFIG_MAX_NODES / (8 * sizeof(unsigned long))];
};

/**
 * struct config_class - a class of buffers, [class "NAME"]
 * @name: the class name ("default" for the built-in class)
 * @label: fnmatch(3) pattern on the buffer's label; "" matches any
 * @process: fnmatch(3) pattern on the owner's process name (comm); ""
 *	matches any
 * @priority: higher priorities get DRAM first (-1000..1000)
 * @dram_share_bp: the class may hold at most this share of DRAM
 *	capacity, in basis points
 */
struct config_class {
	char name[CONFIG_NAME_LEN];
	char label[CONFIG_PATTERN_LEN];
	char process[CONFIG_PATTERN_LEN];
	int priority;
	uint32_t dram_share_bp;
};

/**
 * struct config - every setting of cxltierd
 * @dram: [tiers] dram: the fast tier's nodes
 * @far: [tiers] far: the far-memory (CXL) nodes
 * @interval_ms: [policy] interval: time between two placement decisions
 * @high_watermark_bp: [policy] high_watermark: DRAM use (share of its
 *	capacity) above which cold chunks are demoted
 * @low_watermark_bp: [policy] low_watermark: demotion stops here, and
 *	promotions fill DRAM up to here
 * @rate_limit_Bps: [policy] rate_limit: bytes migrated per second, both
 *	directions together; 0 = unlimited
 * @hysteresis_bp: [policy] hysteresis: how much hotter a far chunk must be
 *	than the DRAM chunk it would displace
 * @min_residency_ms: [policy] min_residency: a chunk that moved stays
 *	where it is at least this long
 * @min_far_residency_ms: [policy] min_far_residency: a chunk that was
 *	demoted may be promoted again after this long (the smaller of it and
 *	@min_residency_ms applies to chunks in far memory)
 * @promote_min_heat: [policy] promote_min_heat: chunks cooler than this
 *	are never promoted, in CXLTIER_HEAT_ONE units
 * @epoch_ms: [heat] epoch: the module's heat epoch (epoch_ms)
 * @half_life_ms: [heat] half_life: the module's heat half-life
 *	(half_life_ms)
 * @adaptive: [heat] adaptive: rank by the best of @adaptive_set's shadow
 *	heats instead of the module's heat
 * @adaptive_window_ms: [heat] adaptive_window: the shadows' scores halve
 *	after this long
 * @nr_adaptive: entries of @adaptive_set, 1 to CONFIG_MAX_ADAPT
 * @adaptive_set: [heat] adaptive_settings: the shadows, the first one
 *	followed until another scores better
 * @socket_group: [socket] group: the group that may use the socket
 *	besides root; "root" for root only
 * @socket_mode: [socket] mode: the socket file's mode
 * @max_clients: [socket] max_clients: connections at once
 * @root_reserve: [socket] root_reserve: connections only root may take
 * @clients_per_uid: [socket] clients_per_uid
 * @buffers_per_uid: [socket] buffers_per_uid
 * @requests_per_uid: [socket] requests_per_uid: queued MOVE requests
 * @hello_timeout_ms: [socket] hello_timeout: a new connection's HELLO
 *	must come this soon
 * @nr_classes: classes in @classes, "default" included
 * @classes: "default" first, then the [class] sections in the order they
 *	first appear
 * @nr_files: files read (main file and drop-ins)
 */
struct config {
	struct config_nodes dram;
	struct config_nodes far;
	uint32_t interval_ms;
	uint32_t high_watermark_bp;
	uint32_t low_watermark_bp;
	uint64_t rate_limit_Bps;
	uint32_t hysteresis_bp;
	uint32_t min_residency_ms;
	uint32_t min_far_residency_ms;
	uint64_t promote_min_heat;
	uint32_t epoch_ms;
	uint32_t half_life_ms;
	bool adaptive;
	uint32_t adaptive_window_ms;
	uint32_t nr_adaptive;
	struct config_adapt adaptive_set[CONFIG_MAX_ADAPT];
	char socket_group[CONFIG_GROUP_LEN];
	uint32_t socket_mode;
	int max_clients;
	int root_reserve;
	int clients_per_uid;
	int buffers_per_uid;
	int requests_per_uid;
	uint32_t hello_timeout_ms;
	unsigned int nr_classes;
	struct config_class classes[CONFIG_MAX_CLASSES];
	unsigned int nr_files;
};

/* config_load() flags */
#define CONFIG_LOAD_OPTIONAL	(1U << 0) /* a missing main file is no error */

/**
 * config_init() - the built-in defaults
 * @cfg: settings to fill
 *
 * The defaults are those documented in cxltierd.conf(5).
 */
void config_init(struct config *cfg);

/**
 * config_load() - read the main file and its drop-ins
 * @cfg: filled with the defaults, then with the files' settings
 * @path: main file (NULL: CONFIG_DEFAULT_PATH); drop-ins are read from
 *	CONFIG_DROPIN_DIR in the same directory
 * @flags: CONFIG_LOAD_*
 * @err: on failure, "FILE:LINE: message" (or "FILE: message")
 * @errlen: size of @err
 *
 * Return: 0; -ENOENT when the main file does not exist (and
 * CONFIG_LOAD_OPTIONAL is not set); -EINVAL for a bad key, value, unit or
 * syntax; -EFBIG for a file over CONFIG_MAX_FILE_SIZE; -E2BIG for more
 * than CONFIG_MAX_DROPINS drop-ins or CONFIG_MAX_CLASSES classes;
 * -ENAMETOOLONG for a path too long; another -errno when a file cannot
 * be read.  On failure @cfg holds
 * nothing useful.
 */
int config_load(struct config *cfg, const char *path, unsigned int flags,
		char *err, size_t errlen);

/**
 * config_parse_string() - apply INI text on top of @cfg
 * @cfg: settings, already initialised
 * @name: file name to use in messages
 * @text: NUL-terminated INI text
 * @err: on failure, "NAME:LINE: message"
 * @errlen: size of @err
 *
 * Parses one file's worth of text as config_load() parses each file,
 * without the checks that span keys (see config_validate()).
 *
 * Return: 0, -EINVAL, -EFBIG or -E2BIG as config_load().
 */
int config_parse_string(struct config *cfg, const char *name,
			const char *text, char *err, size_t errlen);

/**
 * config_set_option() - apply one "SECTION.KEY=VALUE" (a tool's -o)
 * @cfg: settings, already initialised
 * @arg: the option's text
 * @err: on failure, what is wrong with it (no file or line)
 * @errlen: size of @err
 *
 * Return: 0, or -EINVAL: @arg is not SECTION.KEY=VALUE (a non-empty
 * section and key, at most 400 bytes, one line) or the parser refused it.
 */
int config_set_option(struct config *cfg, const char *arg, char *err,
		      size_t errlen);

/**
 * config_parse_adapt() - a list of shadows, HALF_LIFE:WEIGHT[:KIND],...
 * @s: e.g. CONFIG_ADAPT_DEFAULT: 1 to CONFIG_MAX_ADAPT items, a
 *	duration (0 to 1h) and a decimal write weight (0 to 16, in
 *	thousandths, rounded down) each, then optionally ":sum" (the
 *	default: heat is the decayed sum of the accesses) or ":last" (a
 *	recency shadow: the decayed weight of the last access), separated
 *	by commas, no spaces
 * @set: filled with the shadows (room for CONFIG_MAX_ADAPT)
 * @n: set to their number
 * @why: on failure, what is wrong (may be NULL)
 * @whylen: size of @why
 * Return: 0 or -EINVAL (@set and @n unchanged).
 */
int config_parse_adapt(const char *s, struct config_adapt *set, uint32_t *n,
		       char *why, size_t whylen);

/**
 * config_validate() - checks that involve several keys
 * @cfg: settings
 * @err: on failure, the message
 * @errlen: size of @err
 *
 * low_watermark <= high_watermark; [tiers] dram and far share no node;
 * root_reserve < max_clients; clients_per_uid <= max_clients.
 * config_load() runs it and names the file and line of the offending key.
 *
 * Return: 0 or -EINVAL.
 */
int config_validate(const struct config *cfg, char *err, size_t errlen);

/**
 * config_match_class() - the class of a buffer
 * @cfg: settings
 * @label: the buffer's label (NULL or "" when it has none)
 * @process: the owner's process name (NULL or "" when unknown)
 *
 * Return: the index in @cfg->classes of the first class whose patterns
 * all match, else CONFIG_CLASS_DEFAULT.
 */
unsigned int config_match_class(const struct config *cfg, const char *label,
				 const char *process);

/**
 * config_nodes_test() - is a node in a node set
 * @nodes: the set
 * @node: node id
 *
 * Return: true if @node is in the explicit set (always false for auto).
 */
bool config_nodes_test(const struct config_nodes *nodes, unsigned int node);

/**
 * config_check_tiers() - do [tiers] dram and far look swapped
 * @cfg: the configuration
 * @has_cpus: for each node id below @nr, 1 when it has CPUs, 0 when not,
 *	-1 when it has no memory (not a node to judge)
 * @nr: entries in @has_cpus
 * @err: the reason, when swapped
 * @errlen: its size
 *
 * Lists given by hand are swapped when every dram node that has memory
 * is CPU-less while a far node has CPUs: DRAM is the memory next to the
 * CPUs.  "auto" lists are the module's and never swapped.
 *
 * Return: 0, or -EINVAL with @err set.
 */
int config_check_tiers(const struct config *cfg, const int *has_cpus,
		       unsigned int nr, char *err, size_t errlen);

/**
 * config_print() - the effective settings, as a config file
 * @cfg: settings
 * @f: output
 *
 * What cxltierd --check-config shows; config_parse_string() reads it back
 * to the same settings.
 *
 * Return: 0 or -errno from writing.
 */
int config_print(const struct config *cfg, FILE *f);

#endif /* CXLTIER_CONFIG_H */
