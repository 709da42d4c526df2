// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl doctor: a preflight of the host before cxltierd manages it.
 * Each check reads what the kernel, the module and the config say, and
 * ends "ok", "warn" (works, but not as an operator expects) or "fail"
 * (cxltier cannot do its job), with what to run to fix it.  Like
 * `systemd-analyze verify` or `ipmctl show -preflight`, it changes
 * nothing.
 *
 * Paths are read below --root (default /) so a saved copy of a host's
 * /proc, /sys and /dev can be checked elsewhere; the module's sysfs is
 * the global --sysfs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmds.h"
#include "config.h"
#include "proto.h"

enum doc_status { DOC_OK, DOC_SKIP, DOC_WARN, DOC_FAIL };

static const char *const doc_status_name[] = {
	[DOC_OK] = "ok", [DOC_SKIP] = "skip", [DOC_WARN] = "warn", [DOC_FAIL] = "fail",
};

struct doc_ctx {
	const struct ctl_opts *opts;
	const char *root;	/* prefix of /proc, /sys, /dev, /run */
	const char *config;	/* cxltierd.conf, NULL: the default */
	const char *socket;	/* the agent's socket */
	struct json_object *results;
	int worst;
	int json;
};

/* One finding: the check's name, its status, what was seen, the fix. */
static void doc_add(struct doc_ctx *c, const char *check, enum doc_status st,
		    const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void doc_add(struct doc_ctx *c, const char *check, enum doc_status st,
		    const char *fix, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "check", json_object_new_string(check));
	json_object_object_add(o, "status", json_object_new_string(doc_status_name[st]));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	if (fix && st >= DOC_WARN)
		json_object_object_add(o, "fix", json_object_new_string(fix));
	json_object_array_add(c->results, o);
	if (st != DOC_SKIP && (int)st > c->worst)
		c->worst = st;
}

static int doc_path(const struct doc_ctx *c, char *buf, size_t len, const char *abs)
{
	const char *r = strcmp(c->root, "/") ? c->root : "";

	if ((size_t)snprintf(buf, len, "%s%s", r, abs) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* The first line of a file below the root, or -errno. */
static int doc_read(const struct doc_ctx *c, const char *abs, char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd, ret = doc_path(c, path, sizeof(path), abs);

	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void check_module(struct doc_ctx *c)
{
	char ver[64], api[16];

	if (ctl_read_sysfs(c->opts, "version", ver, sizeof(ver))) {
		doc_add(c, "module", DOC_FAIL, "modprobe cxltier",
			"cxltier.ko is not loaded (%s/version unreadable)",
			c->opts->sysfs_root);
		return;
	}
	if (ctl_read_sysfs(c->opts, "api_version", api, sizeof(api)))
		snprintf(api, sizeof(api), "?");
	doc_add(c, "module", DOC_OK, NULL, "cxltier.ko %s loaded, API %s", ver, api);
}

static void check_device(struct doc_ctx *c)
{
	const char *fix_rule = "install packaging/udev/60-cxltier.rules and "
			       "packaging/sysusers.d/cxltier.conf (make install does), "
			       "then: systemd-sysusers; udevadm trigger --name-match=cxltier";
	char path[512];
	struct group *gr;
	struct stat st;

	if (doc_path(c, path, sizeof(path), c->opts->dev_path) || stat(path, &st)) {
		doc_add(c, "device", DOC_FAIL, "modprobe cxltier",
			"%s: %s", c->opts->dev_path, strerror(errno));
		return;
	}
	if (!S_ISCHR(st.st_mode)) {
		doc_add(c, "device", DOC_FAIL, "rm it, then modprobe -r cxltier; modprobe cxltier",
			"%s is not a character device", c->opts->dev_path);
		return;
	}
	if (st.st_mode & 0007) {
		doc_add(c, "device", DOC_FAIL, fix_rule,
			"%s is mode %04o: every local user can track memory; "
			"expected 0660 root:cxltier", c->opts->dev_path,
			(unsigned int)(st.st_mode & 07777));
		return;
	}
	gr = getgrnam("cxltier");
	if (!gr) {
		doc_add(c, "device", DOC_WARN, fix_rule,
			"no cxltier group: only root can use %s", c->opts->dev_path);
		return;
	}
	if (st.st_gid != gr->gr_gid || (st.st_mode & 0060) != 0060) {
		doc_add(c, "device", DOC_WARN, fix_rule,
			"%s is mode %04o gid %u, not 0660 group cxltier (gid %u): "
			"runtimes in the group cannot register buffers",
			c->opts->dev_path, (unsigned int)(st.st_mode & 07777),
			(unsigned int)st.st_gid, (unsigned int)gr->gr_gid);
		return;
	}
	doc_add(c, "device", DOC_OK, NULL, "%s is 0660 root:cxltier", c->opts->dev_path);
}

/* The dax device onlined into @node ("dax0.0"), or "daxX.Y". */
static void node_dax(const struct doc_ctx *c, int node, char *out, size_t len)
{
	char path[512], rel[320], val[32];
	struct dirent *d;
	DIR *dir;

	snprintf(out, len, "daxX.Y");
	if (doc_path(c, path, sizeof(path), "/sys/bus/dax/devices"))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "dax", 3) || strlen(d->d_name) > 64)
			continue;
		snprintf(rel, sizeof(rel), "/sys/bus/dax/devices/%.64s/target_node", d->d_name);
		if (strlen(d->d_name) < len && !doc_read(c, rel, val, sizeof(val)) &&
		    atoi(val) == node) {
			memcpy(out, d->d_name, strlen(d->d_name) + 1);
			break;
		}
	}
	closedir(dir);
}

/*
 * Far nodes: there must be one, and its memory must not be ZONE_MOVABLE,
 * because long-term pins (what accelerators hold) refuse ZONE_MOVABLE.
 */
static void check_far_nodes(struct doc_ctx *c)
{
	char path[512], rel[128], kind[16], movable[16], dax[64], fix[256];
	int nr_far = 0, nr_bad = 0;
	struct dirent *d;
	DIR *dir;

	if (snprintf(path, sizeof(path), "%s/nodes", c->opts->sysfs_root) >= (int)sizeof(path) ||
	    !(dir = opendir(path))) {
		doc_add(c, "far-nodes", DOC_SKIP, NULL,
			"%s/nodes unreadable (module not loaded)", c->opts->sysfs_root);
		return;
	}
	while ((d = readdir(dir))) {
		int node;

		if (sscanf(d->d_name, "node%d", &node) != 1)
			continue;
		snprintf(rel, sizeof(rel), "nodes/node%d/kind", node);
		if (ctl_read_sysfs(c->opts, rel, kind, sizeof(kind)) || !strcmp(kind, "dram"))
			continue;
		nr_far++;
		snprintf(rel, sizeof(rel), "nodes/node%d/movable", node);
		if (ctl_read_sysfs(c->opts, rel, movable, sizeof(movable)))
			continue;
		if (!strcmp(movable, "none")) {
			doc_add(c, "far-nodes", DOC_OK, NULL,
				"node %d (%s): no ZONE_MOVABLE memory, can hold pinned buffers",
				node, kind);
			continue;
		}
		nr_bad++;
		node_dax(c, node, dax, sizeof(dax));
		snprintf(fix, sizeof(fix),
			 "daxctl reconfigure-device --mode=system-ram --no-movable --force %s "
			 "(and make it persistent: see cxltier admin guide, "
			 "\"Onlining CXL memory\")", dax);
		doc_add(c, "far-nodes", !strcmp(movable, "all") ? DOC_FAIL : DOC_WARN, fix,
			"node %d (%s): %s of its memory is ZONE_MOVABLE; long-term pins "
			"refuse ZONE_MOVABLE, so pinned buffers cannot be placed there",
			node, kind, movable);
	}
	closedir(dir);
	if (!nr_far)
		doc_add(c, "far-nodes", DOC_WARN,
			"online the CXL memory: daxctl reconfigure-device --mode=system-ram "
			"--no-movable daxX.Y",
			"no far (CPU-less) memory node: cxltier has nothing to place on");
}

static void check_numa_balancing(struct doc_ctx *c)
{
	char val[16];

	if (doc_read(c, "/proc/sys/kernel/numa_balancing", val, sizeof(val))) {
		doc_add(c, "numa-balancing", DOC_SKIP, NULL,
			"/proc/sys/kernel/numa_balancing unreadable (kernel without NUMA balancing)");
		return;
	}
	if (!strcmp(val, "0")) {
		doc_add(c, "numa-balancing", DOC_OK, NULL, "kernel NUMA balancing is off");
		return;
	}
	doc_add(c, "numa-balancing", DOC_WARN, "sysctl -w kernel.numa_balancing=0",
		"kernel.numa_balancing=%s: the kernel also migrates the unpinned pages of "
		"tracked buffers and adds hinting faults, so it and cxltierd can undo "
		"each other's placement", val);
}

/* The config parses, and its explicit node lists name usable nodes. */
static void check_config(struct doc_ctx *c)
{
	const char *path = c->config ? c->config : CONFIG_DEFAULT_PATH;
	char err[CONFIG_ERR_LEN], rel[128], kind[16];
	struct config *cfg = malloc(sizeof(*cfg));
	int ret, problems = 0;
	unsigned int n;

	if (!cfg) {
		doc_add(c, "config", DOC_FAIL, NULL, "%s", strerror(ENOMEM));
		return;
	}
	ret = config_load(cfg, path, c->config ? 0 : CONFIG_LOAD_OPTIONAL, err, sizeof(err));
	if (ret) {
		doc_add(c, "config", DOC_FAIL, "edit the file; cxltierd --check-config shows the result",
			"%s", err);
		free(cfg);
		return;
	}
	for (n = 0; n < CONFIG_MAX_NODES; n++) {
		int dram = config_nodes_test(&cfg->dram, n), far = config_nodes_test(&cfg->far, n);

		if (!dram && !far)
			continue;
		snprintf(rel, sizeof(rel), "nodes/node%u/kind", n);
		if (ctl_read_sysfs(c->opts, rel, kind, sizeof(kind))) {
			doc_add(c, "config", DOC_WARN, "fix [tiers] in the config",
				"%s: [tiers] %s names node %u, which has no online memory",
				path, dram ? "dram" : "far", n);
			problems++;
		} else if (dram && strcmp(kind, "dram")) {
			doc_add(c, "config", DOC_WARN, "fix [tiers] dram in the config",
				"%s: [tiers] dram names node %u, a CPU-less %s node",
				path, n, kind);
			problems++;
		} else if (far && !strcmp(kind, "dram")) {
			doc_add(c, "config", DOC_WARN, "fix [tiers] far in the config",
				"%s: [tiers] far names node %u, a DRAM node with CPUs", path, n);
			problems++;
		}
	}
	if (!problems)
		doc_add(c, "config", DOC_OK, NULL, "%s: %s, high_watermark %u.%02u%%, low %u.%02u%%",
			path, cfg->nr_files ? "valid" : "absent (built-in defaults)",
			cfg->high_watermark_bp / 100, cfg->high_watermark_bp % 100,
			cfg->low_watermark_bp / 100, cfg->low_watermark_bp % 100);
	free(cfg);
}

/* Is cxltierd listening?  A bare connect; the agent drops it at HELLO time. */
static void check_agent(struct doc_ctx *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[sizeof(sa.sun_path)];
	int fd, ret;

	if (doc_path(c, path, sizeof(path), c->socket)) {
		doc_add(c, "agent", DOC_FAIL, NULL, "socket path too long");
		return;
	}
	memcpy(sa.sun_path, path, sizeof(path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		doc_add(c, "agent", DOC_FAIL, NULL, "socket: %s", strerror(errno));
		return;
	}
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	close(fd);
	if (!ret)
		doc_add(c, "agent", DOC_OK, NULL, "cxltierd answers on %s", c->socket);
	else if (ret == -EACCES)
		doc_add(c, "agent", DOC_WARN, "run as root or as a member of group cxltier",
			"%s: %s", c->socket, strerror(-ret));
	else
		doc_add(c, "agent", DOC_WARN, "systemctl enable --now cxltierd",
			"cxltierd is not running (%s: %s): buffers are tracked but nothing moves",
			c->socket, strerror(-ret));
}

static void print_text(const struct doc_ctx *c)
{
	size_t i, n = json_object_array_length(c->results);

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(c->results, i), *v;

		printf("%-4s  %-15s %s\n",
		       json_object_get_string(json_object_object_get(o, "status")),
		       json_object_get_string(json_object_object_get(o, "check")),
		       json_object_get_string(json_object_object_get(o, "detail")));
		if (json_object_object_get_ex(o, "fix", &v))
			printf("      %-15s fix: %s\n", "", json_object_get_string(v));
	}
}

static void doctor_usage(FILE *f)
{
	fprintf(f,
		"usage: cxltierctl doctor [--json] [--config FILE] [--socket PATH] [--root DIR]\n"
		"Check the host for cxltier: module, device access, far nodes' zones,\n"
		"NUMA balancing, cxltierd's config, the agent.  Exit 1 if a check fails.\n");
}

int cmd_doctor(int argc, char **argv, const struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 'S' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doc_ctx c = {
		.opts = opts, .root = "/", .socket = PROTO_SOCKET_PATH,
		.json = !isatty(STDOUT_FILENO),
	};
	struct json_object *out;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			c.json = 1;
			break;
		case 'c':
			c.config = optarg;
			break;
		case 'S':
			c.socket = optarg;
			break;
		case 'r':
			c.root = optarg;
			break;
		case 'h':
			doctor_usage(stdout);
			return CTL_EXIT_OK;
		default:
			doctor_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc || c.root[0] != '/' || c.socket[0] != '/') {
		doctor_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	c.results = json_object_new_array();
	check_module(&c);
	check_device(&c);
	check_far_nodes(&c);
	check_numa_balancing(&c);
	check_config(&c);
	check_agent(&c);
	if (c.json) {
		out = json_object_new_object();
		json_object_object_add(out, "status",
				       json_object_new_string(doc_status_name[c.worst]));
		json_object_object_add(out, "checks", c.results);
		ctl_print_json(out);
	} else {
		print_text(&c);
		json_object_put(c.results);
	}
	return c.worst == DOC_FAIL ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
