// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/config.c: cxltierd.conf and its drop-ins.
 * Every key, every error path with its file and line, drop-in order,
 * the example config shipped in agent/, and garbage.
 */
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/cxltier.h>

#include "config.h"
#include "kselftest_harness.h"
#include "numalog.h"

/* Parse @text on top of the defaults; return the error code. */
static int parse(struct config *cfg, const char *text, char *err)
{
	config_init(cfg);
	return config_parse_string(cfg, "t.conf", text, err, CONFIG_ERR_LEN);
}

/* Write @text to DIR/NAME. */
static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		abort();
}

/* Is node 1 possible here?  Multi-node lists are checked only then. */
static int two_possible_nodes(void)
{
	struct bitmask *bm;

	numalog_capture_begin();
	bm = numa_parse_nodestring_all("1");
	numalog_capture_end();
	if (!bm)
		return 0;
	numa_bitmask_free(bm);
	return 1;
}

/* The defaults are what cxltierd.conf(5) documents. */
TEST(defaults)
{
	struct config cfg;

	config_init(&cfg);
	EXPECT_TRUE(cfg.dram.is_auto);
	EXPECT_TRUE(cfg.far.is_auto);
	EXPECT_EQ(1000, cfg.interval_ms);
	EXPECT_EQ(9500, cfg.high_watermark_bp);
	EXPECT_EQ(9000, cfg.low_watermark_bp);
	EXPECT_EQ(256ULL << 20, cfg.rate_limit_Bps);
	EXPECT_EQ(2500, cfg.hysteresis_bp);
	EXPECT_EQ(10000, cfg.min_residency_ms);
	EXPECT_EQ(5000, cfg.min_far_residency_ms);
	EXPECT_EQ(CXLTIER_HEAT_ONE / 4, cfg.promote_min_heat);
	EXPECT_EQ(1000, cfg.epoch_ms);
	EXPECT_EQ(30000, cfg.half_life_ms);
	ASSERT_EQ(1, cfg.nr_classes);
	EXPECT_STREQ("default", cfg.classes[0].name);
	EXPECT_EQ(0, cfg.classes[0].priority);
	EXPECT_EQ(10000, cfg.classes[0].dram_share_bp);
	EXPECT_EQ(0, config_validate(&cfg, NULL, 0));
}

/* Every key of [tiers], [policy] and [heat] lands in its field. */
TEST(every_key)
{
	static const char text[] =
		"; a comment\n"
		"# another\n"
		"[tiers]\n"
		"dram = 0\n"
		"far = auto\n"
		"\n"
		"[policy]\n"
		"interval = 250ms\n"
		"high_watermark = 97.5%\n"
		"low_watermark = 80%\n"
		"rate_limit = 1.5GiB/s\n"
		"hysteresis = 0%\n"
		"min_residency = 2min\n"
		"promote_min_heat = 2.5\n"
		"[heat]\n"
		"epoch = 2s\n"
		"half_life = 1h\n";
	static const char zero[] = "[heat]\nhalf_life = 0\n";
	char err[CONFIG_ERR_LEN];
	struct config cfg;

	ASSERT_EQ(0, parse(&cfg, text, err)) TH_LOG("%s", err);
	EXPECT_FALSE(cfg.dram.is_auto);
	EXPECT_TRUE(config_nodes_test(&cfg.dram, 0));
	EXPECT_FALSE(config_nodes_test(&cfg.dram, 1));
	EXPECT_TRUE(cfg.far.is_auto);
	EXPECT_EQ(250, cfg.interval_ms);
	EXPECT_EQ(9750, cfg.high_watermark_bp);
	EXPECT_EQ(8000, cfg.low_watermark_bp);
	EXPECT_EQ(3ULL << 29, cfg.rate_limit_Bps);
	EXPECT_EQ(0, cfg.hysteresis_bp);
	EXPECT_EQ(120000, cfg.min_residency_ms);
	EXPECT_EQ(5 * CXLTIER_HEAT_ONE / 2, cfg.promote_min_heat);
	EXPECT_EQ(2000, cfg.epoch_ms);
	EXPECT_EQ(3600000, cfg.half_life_ms);
	EXPECT_EQ(1, cfg.nr_files);
	ASSERT_EQ(0, parse(&cfg, zero, err)) TH_LOG("%s", err);
	EXPECT_EQ(0, cfg.half_life_ms);

	/* Spellings: bare MiB/s, "unlimited", ':' as separator. */
	ASSERT_EQ(0, parse(&cfg, "[policy]\nrate_limit = 100\n", err)) TH_LOG("%s", err);
	EXPECT_EQ(100ULL << 20, cfg.rate_limit_Bps);
	ASSERT_EQ(0, parse(&cfg, "[policy]\nrate_limit: unlimited\n", err)) TH_LOG("%s", err);
	EXPECT_EQ(0, cfg.rate_limit_Bps);
	ASSERT_EQ(0, parse(&cfg, "[policy]\ninterval = 10ms\nmin_residency = 0\n", err));
	EXPECT_EQ(10, cfg.interval_ms);
	EXPECT_EQ(0, cfg.min_residency_ms);
}

/* Every key of [class "NAME"], and "default" can be tuned. */
/* A tool's -o SECTION.KEY=VALUE: applied, or refused saying why. */
TEST(set_option)
{
	char err[CONFIG_ERR_LEN], big[500];
	struct config cfg;

	config_init(&cfg);
	ASSERT_EQ(0, config_set_option(&cfg, "policy.interval=250ms", err, sizeof(err)));
	EXPECT_EQ(250, cfg.interval_ms);
	EXPECT_EQ(-EINVAL, config_set_option(&cfg, "policy.nope=1", err, sizeof(err)));
	EXPECT_STREQ("unknown key 'nope' in [policy]", err);
	EXPECT_EQ(-EINVAL, config_set_option(&cfg, "policy.interval=soon", err, sizeof(err)));
	EXPECT_EQ(NULL, strstr(err, "option:"));
	EXPECT_EQ(250, cfg.interval_ms);
	EXPECT_EQ(-EINVAL, config_set_option(&cfg, "interval=1s", err, sizeof(err)));
	EXPECT_STREQ("expected SECTION.KEY=VALUE", err);
	EXPECT_EQ(-EINVAL, config_set_option(&cfg, ".interval=1s", err, sizeof(err)));
	EXPECT_EQ(-EINVAL, config_set_option(&cfg, "policy.=1s", err, sizeof(err)));
	EXPECT_EQ(-EINVAL, config_set_option(&cfg, "policy=a.b", err, sizeof(err)));
	EXPECT_EQ(-EINVAL, config_set_option(&cfg, "policy.interval=1s\n[x]", err, sizeof(err)));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "policy.interval=", 16);
	EXPECT_EQ(-EINVAL, config_set_option(&cfg, big, err, sizeof(err)));
	EXPECT_EQ(250, cfg.interval_ms);
}

TEST(classes)
{
	static const char text[] =
		"[class \"kv-cache\"]\n"
		"label = kv-*\n"
		"priority = 10\n"
		"[class \"vllm.weights\"]\n"
		"process = vllm*\n"
		"label = weights\n"
		"priority = -5\n"
		"[class \"default\"]\n"
		"priority = -1000\n"
		"dram_share = 0%\n"
		"[class \"kv-cache\"]\n"
		"dram_share = 50%\n";
	char err[CONFIG_ERR_LEN];
	struct config cfg;

	ASSERT_EQ(0, parse(&cfg, text, err)) TH_LOG("%s", err);
	ASSERT_EQ(3, cfg.nr_classes);
	EXPECT_STREQ("default", cfg.classes[0].name);
	EXPECT_EQ(-1000, cfg.classes[0].priority);
	EXPECT_EQ(0, cfg.classes[0].dram_share_bp);
	EXPECT_STREQ("kv-cache", cfg.classes[1].name);
	EXPECT_STREQ("kv-*", cfg.classes[1].label);
	EXPECT_STREQ("", cfg.classes[1].process);
	EXPECT_EQ(10, cfg.classes[1].priority);
	EXPECT_EQ(5000, cfg.classes[1].dram_share_bp);
	EXPECT_STREQ("vllm.weights", cfg.classes[2].name);
	EXPECT_STREQ("weights", cfg.classes[2].label);
	EXPECT_STREQ("vllm*", cfg.classes[2].process);
	EXPECT_EQ(-5, cfg.classes[2].priority);
	EXPECT_EQ(10000, cfg.classes[2].dram_share_bp);
	EXPECT_EQ(0, config_validate(&cfg, err, sizeof(err))) TH_LOG("%s", err);

	/* First class (in order of definition) whose patterns all match. */
	EXPECT_EQ(1, config_match_class(&cfg, "kv-layer3", "vllm"));
	EXPECT_EQ(2, config_match_class(&cfg, "weights", "vllm-worker"));
	EXPECT_EQ(0, config_match_class(&cfg, "weights", "python3"));
	EXPECT_EQ(0, config_match_class(&cfg, "kv", NULL));
	EXPECT_EQ(0, config_match_class(&cfg, NULL, NULL));
	EXPECT_EQ(0, config_match_class(&cfg, "", "vllm"));
}

/* Node lists: auto, single nodes, ranges and lists, through libnuma. */
TEST(node_lists)
{
	char err[CONFIG_ERR_LEN];
	struct config cfg;

	ASSERT_EQ(0, parse(&cfg, "[tiers]\ndram = 0\nfar = auto\n", err)) TH_LOG("%s", err);
	EXPECT_TRUE(config_nodes_test(&cfg.dram, 0));
	EXPECT_FALSE(config_nodes_test(&cfg.far, 0));
	ASSERT_EQ(0, parse(&cfg, "[tiers]\ndram = 0-0, 0\n", err)) TH_LOG("%s", err);
	EXPECT_TRUE(config_nodes_test(&cfg.dram, 0));
	EXPECT_FALSE(config_nodes_test(&cfg.dram, 1023));
	EXPECT_FALSE(config_nodes_test(&cfg.dram, 5000));

	if (!two_possible_nodes()) {
		/* Beyond what this machine can have: libnuma says why. */
		ASSERT_EQ(-EINVAL, parse(&cfg, "[tiers]\nfar = 0-1\n", err));
		EXPECT_NE(NULL, strstr(err, "t.conf:2: far: '0-1': ")) TH_LOG("%s", err);
		EXPECT_NE(NULL, strstr(err, "out of range")) TH_LOG("%s", err);
		return;
	}
	ASSERT_EQ(0, parse(&cfg, "[tiers]\ndram = 0\nfar = 1\n", err)) TH_LOG("%s", err);
	EXPECT_TRUE(config_nodes_test(&cfg.far, 1));
	EXPECT_FALSE(config_nodes_test(&cfg.far, 0));
}

struct bad_case {
	const char *text;	/* the file */
	int err;		/* expected return */
	const char *msg;	/* expected message start, after "t.conf:" */
};

/* Each bad input is refused with its line and a message that says why. */
TEST(errors_name_file_and_line)
{
	static const struct bad_case bad[] = {
		{ "interval = 1s\n", -EINVAL, "1: interval: key outside of a section" },
		{ "[class \"kv\"]\nprocess =; vllm*\n", -EINVAL, "2: process: a pattern cannot start with ';'" },
		{ "[socket]\ngroup = -wheel\n", -EINVAL, "2: group: '-wheel' is not a group name" },
		{ "[socket]\ngroup = a b\n", -EINVAL, "2: group: 'a b' is not a group name" },
		{ "[socket]\nmode = 660x\n", -EINVAL, "2: mode: '660x' is not an octal mode" },
		{ "[socket]\nmode = 0777\n", -EINVAL, "2: mode: '0777': give read and write" },
		{ "[socket]\nmode = 0460\n", -EINVAL, "2: mode: '0460': give read and write" },
		{ "[socket]\nmode = 04660\n", -EINVAL, "2: mode: '04660' is not an octal mode" },
		{ "[socket]\nmax_clients = 257\n", -EINVAL, "2: max_clients: '257' is out of range [1, 256]" },
		{ "[socket]\nclients_per_uid = 0\n", -EINVAL, "2: clients_per_uid: '0' is out of range" },
		{ "[socket]\nhello_timeout = 50ms\n", -EINVAL, "2: hello_timeout: '50ms' is out of range" },
		{ "[policy]\n\nfoo = 1\n", -EINVAL, "3: unknown key 'foo' in [policy]" },
		{ "[tiers]\ninterval = 1s\n", -EINVAL, "2: unknown key 'interval' in [tiers]" },
		{ "[polcy]\n", -EINVAL, "1: unknown section [polcy]" },
		{ "[Policy]\ninterval = 1s\n", -EINVAL, "1: unknown section [Policy]" },
		{ "[class kv]\n", -EINVAL, "1: section [class kv]: write a class as [class \"NAME\"]" },
		{ "[class \"\"]\n", -EINVAL, "1: section [class \"\"]: write a class as" },
		{ "[class \"a b\"]\n", -EINVAL, "1: class name 'a b'" },
		{ "[class \"0123456789012345678901234567890123\"]\n", -EINVAL, "1: class name" },
		{ "[class \"kv\"]\ncolor = red\n", -EINVAL, "2: unknown key 'color' in [class \"kv\"]" },
		{ "[class \"default\"]\nlabel = x\n", -EINVAL, "2: label: the default class" },
		{ "[class \"default\"]\nprocess = x\n", -EINVAL, "2: process: the default class" },
		{ "[policy]\ninterval =\n", -EINVAL, "2: interval: empty value" },
		{ "[policy]\ninterval = soon\n", -EINVAL, "2: interval: 'soon' is not a duration" },
		{ "[policy]\ninterval = 5ms\n", -EINVAL, "2: interval: '5ms' is out of range [10ms, 3600000ms]" },
		{ "[policy]\ninterval = 2h\n", -EINVAL, "2: interval: '2h' is out of range" },
		{ "[policy]\ninterval = 99999999999999999999\n", -EINVAL, "2: interval: '99999999999999999999' is out of range" },
		{ "[policy]\nmin_residency = 2d\n", -EINVAL, "2: min_residency: '2d' is not a duration" },
		{ "[policy]\nmin_residency = 25h\n", -EINVAL, "2: min_residency: '25h' is out of range" },
		{ "[policy]\nhigh_watermark = 95\n", -EINVAL, "2: high_watermark: '95' is not a percentage" },
		{ "[policy]\nhigh_watermark = 0.95\n", -EINVAL, "2: high_watermark: '0.95' is not a percentage" },
		{ "[policy]\nhigh_watermark = 101%\n", -EINVAL, "2: high_watermark: '101%' is out of range [1%, 100%]" },
		{ "[policy]\nlow_watermark = 0.5%\n", -EINVAL, "2: low_watermark: '0.5%' is out of range [1%, 100%]" },
		{ "[policy]\nhysteresis = 1001%\n", -EINVAL, "2: hysteresis: '1001%' is out of range [0%, 1000%]" },
		{ "[policy]\nhysteresis = -1%\n", -EINVAL, "2: hysteresis: '-1%' is not a percentage" },
		{ "[policy]\nrate_limit = fast\n", -EINVAL, "2: rate_limit: 'fast' is not a rate" },
		{ "[policy]\nrate_limit = 1GiB\n", -EINVAL, "2: rate_limit: '1GiB' is not a rate" },
		{ "[policy]\nrate_limit = 0\n", -EINVAL, "2: rate_limit: '0' is out of range" },
		{ "[policy]\nrate_limit = 0B/s\n", -EINVAL, "2: rate_limit: '0B/s' is out of range" },
		{ "[policy]\nrate_limit = 16777216TiB/s\n", -EINVAL, "2: rate_limit: '16777216TiB/s' is out of range" },
		{ "[policy]\npromote_min_heat = hot\n", -EINVAL, "2: promote_min_heat: 'hot' is not a number of accesses" },
		{ "[policy]\npromote_min_heat = -1\n", -EINVAL, "2: promote_min_heat: '-1' is not a number" },
		{ "[policy]\npromote_min_heat = 1000001\n", -EINVAL, "2: promote_min_heat: '1000001' is out of range [0, 1000000]" },
		{ "[heat]\nepoch = 1ms\n", -EINVAL, "2: epoch: '1ms' is out of range [10ms, 3600000ms]" },
		{ "[heat]\nepoch = 61min\n", -EINVAL, "2: epoch: '61min' is out of range [10ms, 3600000ms]" },
		{ "[heat]\nhalf_life = 2h\n", -EINVAL, "2: half_life: '2h' is out of range [0ms, 3600000ms]" },
		{ "[heat]\nhalf_life = forever\n", -EINVAL, "2: half_life: 'forever' is not a duration" },
		{ "[class \"a\"]\npriority = high\n", -EINVAL, "2: priority: 'high' is not an integer" },
		{ "[class \"a\"]\npriority = +5\n", -EINVAL, "2: priority: '+5' is not an integer" },
		{ "[class \"a\"]\npriority = 5x\n", -EINVAL, "2: priority: '5x' is not an integer" },
		{ "[class \"a\"]\npriority = 1001\n", -EINVAL, "2: priority: '1001' is out of range [-1000, 1000]" },
		{ "[class \"a\"]\npriority = -99999999999999999999\n", -EINVAL, "2: priority: '-99999999999999999999' is out of range" },
		{ "[class \"a\"]\ndram_share = 120%\n", -EINVAL, "2: dram_share: '120%' is out of range [0%, 100%]" },
		{ "[class \"a\"]\ndram_share = half\n", -EINVAL, "2: dram_share: 'half' is not a percentage" },
		{ "[class \"a\"]\nlabel = 0123456789012345678901234567890123456789012345678901234567890123\n",
		  -EINVAL, "2: label: pattern longer than 63 characters" },
		{ "[class \"a\"]\nlabel = caf\xc3\xa9\n", -EINVAL, "2: label: pattern has a character that is not printable ASCII" },
		{ "[tiers]\ndram = all\n", -EINVAL, "2: dram: 'all' is not \"auto\" or a node list" },
		{ "[tiers]\ndram = !0\n", -EINVAL, "2: dram: '!0' is not" },
		{ "[tiers]\ndram = +0\n", -EINVAL, "2: dram: '+0' is not" },
		{ "[tiers]\ndram = eth0\n", -EINVAL, "2: dram: 'eth0' is not" },
		{ "[tiers]\ndram = 0x1\n", -EINVAL, "2: dram: '0x1' is not" },
		{ "[tiers]\ndram = 01\n", -EINVAL, "2: dram: '01' is not \"auto\" or a node list such as 0-1,4: numbers have no leading zeros" },
		{ "[tiers]\ndram = 3-1\n", -EINVAL, "2: dram: '3-1' is not \"auto\" or a node list such as 0-1,4: a range goes from low to high" },
		{ "[tiers]\ndram = 1-2-3\n", -EINVAL, "2: dram: '1-2-3' is not \"auto\" or a node list such as 0-1,4: a range has two ends" },
		{ "[tiers]\ndram = 0,\n", -EINVAL, "2: dram: '0,' is not \"auto\" or a node list such as 0-1,4: a number is missing at the end" },
		{ "[tiers]\ndram = ,0\n", -EINVAL, "2: dram: ',0' is not" },
		{ "[tiers]\ndram = 0,,1\n", -EINVAL, "2: dram: '0,,1' is not" },
		{ "[tiers]\ndram = -1\n", -EINVAL, "2: dram: '-1' is not" },
		{ "[tiers]\ndram = 1024\n", -EINVAL, "2: dram: '1024' is not \"auto\" or a node list such as 0-1,4: node ids are below 1024" },
		{ "[tiers]\ndram = 99999999999999999999999\n", -EINVAL, "2: dram: '99999999999999999999999' is not" },
		{ "[tiers]\ndram = AUTO\n", -EINVAL, "2: dram: 'AUTO' is not" },
		{ "[policy]\ninterval = 1s\ninterval = 2s\n", -EINVAL, "3: interval: already set on line 2" },
		{ "[class \"a\"]\nlabel = x\n[policy]\n[class \"a\"]\nlabel = y\n", -EINVAL, "5: label: already set on line 2" },
		{ "[policy]\n  interval = 1s\n", -EINVAL, "2: indented line" },
		{ "[policy]\ninterval = 1s\n\tms\n", -EINVAL, "3: indented line" },
		{ "[policy\n", -EINVAL, "1: section header without ']'" },
		{ "[policy] x\n", -EINVAL, "1: text after the section header" },
		{ "[policy]\ninterval 1s\n", -EINVAL, "2: expected 'key = value'" },
		{ "[policy]\n= 1s\n", -EINVAL, "2: a key name is missing before '='" },
		{ "[policy]\ninterval_interval_interval_interval_interval_interval = 1\n", -EINVAL, "2: key name too long" },
		{ "[policy_policy_policy_policy_policy_policy_policy_policy]\n", -EINVAL, "1: section name too long" },
		{ "[policy]\ninterval = 1s\x01\n", -EINVAL, "2: control character 0x01" },
		{ "[policy]\ninterval = 1s\x7f\n", -EINVAL, "2: control character 0x7f" },
		{ "[policy]\nlow_watermark = 95%\nhigh_watermark = 90%\n", -EINVAL,
		  "3: low_watermark (95%) is above high_watermark (90%)" },
		{ "[policy]\nhigh_watermark = 80%\n", -EINVAL, "2: low_watermark (90%) is above high_watermark (80%)" },
		{ "[class \"a\"]\npriority = 3\n", -EINVAL, "2: class \"a\" matches nothing" },
		{ "[class \"a\"]\nlabel = kv\n[class \"b\"]\nlabel = kv\n", -EINVAL,
		  "4: class \"b\" has the same patterns as class \"a\"" },
		{ "[tiers]\ndram = 0\nfar = 0\n", -EINVAL, "3: node 0 is in both [tiers] dram and far" },
	};
	char err[CONFIG_ERR_LEN], want[CONFIG_ERR_LEN], path[64];
	struct config cfg;
	size_t i;

	strcpy(path, "/tmp/cxltier-config-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(path));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char file[128];

		/* Through config_load(), so that the cross-key checks run. */
		put(path, "t.conf", bad[i].text);
		snprintf(file, sizeof(file), "%s/t.conf", path);
		memset(&cfg, 0x5a, sizeof(cfg));
		EXPECT_EQ(bad[i].err, config_load(&cfg, file, 0, err, sizeof(err)))
			TH_LOG("case %zu: %s", i, bad[i].text);
		snprintf(want, sizeof(want), "%s:%s", file, bad[i].msg);
		EXPECT_EQ(0, strncmp(err, want, strlen(want)))
			TH_LOG("case %zu:\n got: %s\nwant: %s", i, err, want);
	}
	rm_rf(path);
}

/* Lines too long for libinih's buffer are refused, not split. */
TEST(long_line)
{
	char text[2048], err[CONFIG_ERR_LEN];
	struct config cfg;

	/* A glob whose tail would read as "priority = 1000" if split. */
	memset(text, 0, sizeof(text));
	strcpy(text, "[class \"a\"]\nlabel = ");
	memset(text + strlen(text), 'x', 1000);
	strcat(text, "priority = 1000\n");
	EXPECT_EQ(-EINVAL, parse(&cfg, text, err));
	EXPECT_EQ(0, strncmp(err, "t.conf:2: line longer than", 26)) TH_LOG("%s", err);
}

/* Structure that is fine: BOM, CRLF, comments, ';' inline comments. */
TEST(accepted_syntax)
{
	char err[CONFIG_ERR_LEN];
	struct config cfg;

	ASSERT_EQ(0, parse(&cfg, "\xef\xbb\xbf[policy]\r\ninterval = 2s\r\n", err)) TH_LOG("%s", err);
	EXPECT_EQ(2000, cfg.interval_ms);
	ASSERT_EQ(0, parse(&cfg, "[policy] ; the policy\ninterval = 3s ; three\n", err)) TH_LOG("%s", err);
	EXPECT_EQ(3000, cfg.interval_ms);
	ASSERT_EQ(0, parse(&cfg, "[class \"a\"]\nlabel = kv#1\n", err)) TH_LOG("%s", err);
	EXPECT_STREQ("kv#1", cfg.classes[1].label);
	ASSERT_EQ(0, parse(&cfg, "", err));
	ASSERT_EQ(0, parse(&cfg, "\n\n   \n\t\n; only comments\n", err));
	ASSERT_EQ(0, parse(&cfg, "[policy]\ninterval = 2s", err)) TH_LOG("no final newline: %s", err);
	EXPECT_EQ(2000, cfg.interval_ms);
	/* A section with no keys is still checked. */
	EXPECT_EQ(-EINVAL, parse(&cfg, "[policy]\n[nope]\n", err));
}

/* A NUL byte in a file is an error with its line. */
TEST(nul_byte)
{
	char path[64], file[128], err[CONFIG_ERR_LEN];
	struct config cfg;
	int fd;

	strcpy(path, "/tmp/cxltier-config-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(path));
	snprintf(file, sizeof(file), "%s/c.conf", path);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(24, write(fd, "[policy]\ninterval = 1\0s\n", 24));
	close(fd);
	EXPECT_EQ(-EINVAL, config_load(&cfg, file, 0, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "c.conf:2: NUL byte")) TH_LOG("%s", err);
	rm_rf(path);
}

/* Drop-ins: *.conf only, byte order of names, later overrides earlier. */
TEST(dropin_order)
{
	char path[64], dir[128], file[128], err[CONFIG_ERR_LEN];
	struct config cfg;

	strcpy(path, "/tmp/cxltier-config-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(path));
	snprintf(dir, sizeof(dir), "%s/conf.d", path);
	ASSERT_EQ(0, mkdir(dir, 0700));
	snprintf(file, sizeof(file), "%s/cxltierd.conf", path);
	put(path, "cxltierd.conf",
	    "[policy]\ninterval = 1s\nhysteresis = 10%\n[class \"kv\"]\nlabel = kv\npriority = 1\n");
	put(dir, "10-a.conf", "[policy]\ninterval = 2s\n[class \"kv\"]\npriority = 2\n");
	/* "9" sorts after "10": byte order, not numeric. */
	put(dir, "9-b.conf", "[policy]\ninterval = 3s\n[class \"w\"]\nprocess = w\n");
	put(dir, "20-c.conf", "[policy]\ninterval = 4s\nmin_residency = 1s\n");
	put(dir, ".hidden.conf", "garbage\n");
	put(dir, "old.conf~", "garbage\n");
	put(dir, "README", "garbage\n");

	ASSERT_EQ(0, config_load(&cfg, file, 0, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(3000, cfg.interval_ms);
	EXPECT_EQ(1000, cfg.hysteresis_bp);
	EXPECT_EQ(1000, cfg.min_residency_ms);
	EXPECT_EQ(4, cfg.nr_files);
	ASSERT_EQ(3, cfg.nr_classes);
	EXPECT_STREQ("kv", cfg.classes[1].name);
	EXPECT_EQ(2, cfg.classes[1].priority);
	EXPECT_STREQ("kv", cfg.classes[1].label);
	EXPECT_STREQ("w", cfg.classes[2].name);

	/* The same key twice in one file is an error; across files it is not. */
	put(dir, "30-d.conf", "[policy]\ninterval = 4s\ninterval = 5s\n");
	EXPECT_EQ(-EINVAL, config_load(&cfg, file, 0, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "conf.d/30-d.conf:3: interval: already set on line 2"))
		TH_LOG("%s", err);
	unlink(strcat(strcpy(file, dir), "/30-d.conf"));
	snprintf(file, sizeof(file), "%s/cxltierd.conf", path);

	/* A check across files names the later line, in the drop-in. */
	put(dir, "40-wm.conf", "[policy]\n\nlow_watermark = 96%\n");
	EXPECT_EQ(-EINVAL, config_load(&cfg, file, 0, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "conf.d/40-wm.conf:3: low_watermark (96%) is above high_watermark (95%)"))
		TH_LOG("%s", err);
	put(path, "cxltierd.conf", "[policy]\nhigh_watermark = 97%\n[class \"kv\"]\nlabel = kv\n");
	put(dir, "50-wm.conf", "[policy]\nhigh_watermark = 98%\n");
	EXPECT_EQ(0, config_load(&cfg, file, 0, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(9800, cfg.high_watermark_bp);
	put(dir, "50-wm.conf", "[policy]\n#\nhigh_watermark = 93%\n");
	EXPECT_EQ(-EINVAL, config_load(&cfg, file, 0, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "conf.d/50-wm.conf:3: low_watermark (96%)")) TH_LOG("%s", err);

	/* A broken drop-in fails the whole load. */
	put(dir, "50-wm.conf", "[policy]\nhigh_watermark = 99%\n");
	put(dir, "60-bad.conf", "[policy]\nrate_limit = lots\n");
	EXPECT_EQ(-EINVAL, config_load(&cfg, file, 0, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "conf.d/60-bad.conf:2: rate_limit")) TH_LOG("%s", err);
	unlink(strcat(strcpy(file, dir), "/60-bad.conf"));

	/* A directory named like a drop-in is an error. */
	ASSERT_EQ(0, mkdir(strcat(strcpy(file, dir), "/70-dir.conf"), 0700));
	snprintf(file, sizeof(file), "%s/cxltierd.conf", path);
	EXPECT_EQ(-EINVAL, config_load(&cfg, file, 0, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "conf.d/70-dir.conf: not a regular file")) TH_LOG("%s", err);
	rm_rf(path);
}

/* Missing, unreadable, too large, too many: each has its errno. */
TEST(file_errors)
{
	char path[64], file[160], dir[128], err[CONFIG_ERR_LEN];
	struct config cfg;
	char *big;
	int i;

	strcpy(path, "/tmp/cxltier-config-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(path));
	snprintf(file, sizeof(file), "%s/none.conf", path);
	EXPECT_EQ(-ENOENT, config_load(&cfg, file, 0, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "none.conf: No such file or directory")) TH_LOG("%s", err);

	/* Optional: defaults, then the drop-ins. */
	snprintf(dir, sizeof(dir), "%s/conf.d", path);
	ASSERT_EQ(0, mkdir(dir, 0700));
	put(dir, "a.conf", "[policy]\ninterval = 7s\n");
	EXPECT_EQ(0, config_load(&cfg, file, CONFIG_LOAD_OPTIONAL, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(7000, cfg.interval_ms);
	EXPECT_EQ(1, cfg.nr_files);

	/* The main file is a directory. */
	EXPECT_EQ(-EINVAL, config_load(&cfg, dir, 0, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "conf.d: not a regular file")) TH_LOG("%s", err);

	/* conf.d is a file. */
	snprintf(file, sizeof(file), "%s/conf.d/sub", path);
	ASSERT_EQ(0, mkdir(file, 0700));
	put(file, "x.conf", "");
	put(file, "conf.d", "");
	snprintf(file, sizeof(file), "%s/conf.d/sub/x.conf", path);
	EXPECT_EQ(-ENOTDIR, config_load(&cfg, file, 0, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "sub/conf.d: Not a directory")) TH_LOG("%s", err);

	/* Too large. */
	big = malloc(CONFIG_MAX_FILE_SIZE + 2);
	ASSERT_NE(NULL, big);
	memset(big, '\n', CONFIG_MAX_FILE_SIZE + 1);
	big[CONFIG_MAX_FILE_SIZE + 1] = '\0';
	put(path, "big.conf", big);
	snprintf(file, sizeof(file), "%s/big.conf", path);
	EXPECT_EQ(-EFBIG, config_load(&cfg, file, 0, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "big.conf: larger than 1048576 bytes")) TH_LOG("%s", err);
	EXPECT_EQ(-EFBIG, parse(&cfg, big, err));
	big[CONFIG_MAX_FILE_SIZE] = '\0';
	EXPECT_EQ(0, parse(&cfg, big, err)) TH_LOG("%s", err);
	free(big);

	/* Too many drop-ins. */
	for (i = 0; i <= CONFIG_MAX_DROPINS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%04d.conf", i);
		put(dir, name, "");
	}
	snprintf(file, sizeof(file), "%s/none.conf", path);
	EXPECT_EQ(-E2BIG, config_load(&cfg, file, CONFIG_LOAD_OPTIONAL, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "conf.d: more than 256 drop-in files")) TH_LOG("%s", err);

	/* A path too long. */
	{
		char *longp = malloc(5000);

		ASSERT_NE(NULL, longp);
		memset(longp, 'a', 4999);
		longp[0] = '/';
		longp[4999] = '\0';
		EXPECT_EQ(-ENAMETOOLONG, config_load(&cfg, longp, 0, err, sizeof(err)));
		EXPECT_EQ(0, strncmp(err, "/aaaa", 5)) TH_LOG("%s", err);

		/*
		 * A file that opens, in a directory of 4090 characters, so
		 * that DIR/conf.d is too long; and no error buffer.
		 */
		snprintf(longp, 5000, "%s", path);
		while (strlen(longp) < 4090) {
			size_t l = strlen(longp), n = 4090 - l - 1 < 200 ? 4090 - l - 1 : 200;

			longp[l] = '/';
			memset(longp + l + 1, 'd', n);
			longp[l + 1 + n] = '\0';
			ASSERT_EQ(0, mkdir(longp, 0700)) TH_LOG("%zu", strlen(longp));
		}
		strcat(longp, "/f");
		{
			FILE *f = fopen(longp, "w");

			ASSERT_NE(NULL, f);
			fclose(f);
		}
		EXPECT_EQ(-ENAMETOOLONG, config_load(&cfg, longp, 0, NULL, 0));
		free(longp);
	}

	/* Too many classes. */
	{
		char *text = malloc(64 * 80), *p = text;

		ASSERT_NE(NULL, text);
		for (i = 0; i < CONFIG_MAX_CLASSES; i++)
			p += sprintf(p, "[class \"c%d\"]\nlabel = l%d\n", i, i);
		EXPECT_EQ(-E2BIG, parse(&cfg, text, err));
		EXPECT_EQ(0, strncmp(err, "t.conf:128: more than 63 classes", 32)) TH_LOG("%s", err);
		free(text);
	}
	rm_rf(path);
}

/* config_print() writes a file that reads back to the same settings. */
/* [socket]: values, and the checks across its keys name the later line. */
TEST(socket_section)
{
	char err[CONFIG_ERR_LEN];
	struct config cfg;

	ASSERT_EQ(0, parse(&cfg, "[socket]\ngroup = gpu-users\nmode = 0600\n"
			   "max_clients = 64\nroot_reserve = 4\nclients_per_uid = 8\n"
			   "buffers_per_uid = 10\nrequests_per_uid = 2\n"
			   "hello_timeout = 1s\n", err)) TH_LOG("%s", err);
	EXPECT_STREQ("gpu-users", cfg.socket_group);
	EXPECT_EQ(0600, cfg.socket_mode);
	EXPECT_EQ(64, cfg.max_clients);
	EXPECT_EQ(4, cfg.root_reserve);
	EXPECT_EQ(8, cfg.clients_per_uid);
	EXPECT_EQ(10, cfg.buffers_per_uid);
	EXPECT_EQ(2, cfg.requests_per_uid);
	EXPECT_EQ(1000, cfg.hello_timeout_ms);
	config_init(&cfg);
	EXPECT_STREQ("cxltier", cfg.socket_group);
	EXPECT_EQ(0660, cfg.socket_mode);
	ASSERT_EQ(0, parse(&cfg, "[socket]\nmax_clients = 8\nroot_reserve = 8\n", err));
	EXPECT_EQ(-EINVAL, config_validate(&cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "root_reserve (8) leaves no connection")) TH_LOG("%s", err);
	ASSERT_EQ(0, parse(&cfg, "[socket]\nmax_clients = 8\nroot_reserve = 2\nclients_per_uid = 9\n", err));
	EXPECT_EQ(-EINVAL, config_validate(&cfg, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "clients_per_uid (9) is above max_clients (8)")) TH_LOG("%s", err);
}

/* [heat] adaptive, adaptive_settings, adaptive_window; hostile values. */
TEST(adaptive_keys)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "adaptive = yes", "t.conf:2: adaptive: 'yes' is not \"on\" or \"off\"" },
		{ "adaptive = ON", "t.conf:2: adaptive: 'ON' is not" },
		{ "adaptive_settings = 5s", "t.conf:2: adaptive_settings: '5s' is not HALF_LIFE:WEIGHT" },
		{ "adaptive_settings = 5s:", "t.conf:2: adaptive_settings: '' is not a write weight from 0 to 16" },
		{ "adaptive_settings = :1", "t.conf:2: adaptive_settings: '' is not a half-life" },
		{ "adaptive_settings = 5s:16.001", "is not a write weight from 0 to 16" },
		{ "adaptive_settings = 5s:-1", "'-1' is not a write weight" },
		{ "adaptive_settings = 2h:1", "'2h' is not a half-life from 0 to 1h" },
		{ "adaptive_settings = 5sec:1", "'5sec' is not a half-life" },
		{ "adaptive_settings = 5s:0.25,", "setting 2 is empty" },
		{ "adaptive_settings = ,5s:1", "setting 1 is empty" },
		{ "adaptive_settings = 5s:1,,5s:1", "setting 2 is empty" },
		{ "adaptive_settings = 1s:1,2s:1,3s:1,4s:1,5s:1,6s:1,7s:1,8s:1,9s:1",
		  "more than 8 settings" },
		{ "adaptive_settings = 5s:1:2", "'2' is not a shadow kind, sum or last" },
		{ "adaptive_settings = 5s:1:", "'' is not a shadow kind" },
		{ "adaptive_settings = 5s:1:Last", "'Last' is not a shadow kind" },
		{ "adaptive_settings = 5s:1:last:sum", "'last:sum' is not a shadow kind" },
		{ "adaptive_settings = 5s:last", "'last' is not a write weight" },
		{ "adaptive_settings = 2h:1:last", "'2h' is not a half-life from 0 to 1h" },
		{ "adaptive_settings = 111111111111111111111111111111111111111111111111111111111111111111111s:1",
		  "setting 1 is too long" },
		{ "adaptive_window = 0", "t.conf:2: adaptive_window: '0' is out of range [1ms, 86400000ms]" },
		{ "adaptive_window = 25h", "out of range" },
		{ "adaptive_window = soon", "is not a duration" },
	};
	char err[CONFIG_ERR_LEN], text[256];
	struct config cfg, def;
	size_t i;

	config_init(&def);
	EXPECT_TRUE(def.adaptive);
	EXPECT_EQ(90000, def.adaptive_window_ms);
	ASSERT_EQ(7, def.nr_adaptive);
	/* The recency shadow first, then the sums. */
	EXPECT_EQ(20000, def.adaptive_set[0].half_life_ms);
	EXPECT_EQ(1000, def.adaptive_set[0].write_weight_pm);
	EXPECT_EQ(1, def.adaptive_set[0].recency);
	EXPECT_EQ(5000, def.adaptive_set[1].half_life_ms);
	EXPECT_EQ(250, def.adaptive_set[1].write_weight_pm);
	EXPECT_EQ(0, def.adaptive_set[1].recency);
	EXPECT_EQ(60000, def.adaptive_set[6].half_life_ms);
	EXPECT_EQ(1000, def.adaptive_set[6].write_weight_pm);
	EXPECT_EQ(0, def.adaptive_set[6].recency);

	ASSERT_EQ(0, parse(&cfg, "[heat]\nadaptive = off\nadaptive_settings = 0:0,1h:16:last,250ms:0.125:sum\n"
			   "adaptive_window = 2min\n", err)) TH_LOG("%s", err);
	EXPECT_FALSE(cfg.adaptive);
	EXPECT_EQ(120000, cfg.adaptive_window_ms);
	ASSERT_EQ(3, cfg.nr_adaptive);
	EXPECT_EQ(0, cfg.adaptive_set[0].half_life_ms);
	EXPECT_EQ(0, cfg.adaptive_set[0].write_weight_pm);
	EXPECT_EQ(3600000, cfg.adaptive_set[1].half_life_ms);
	EXPECT_EQ(16000, cfg.adaptive_set[1].write_weight_pm);
	EXPECT_EQ(250, cfg.adaptive_set[2].half_life_ms);
	EXPECT_EQ(125, cfg.adaptive_set[2].write_weight_pm);
	EXPECT_EQ(0, cfg.adaptive_set[0].recency);
	EXPECT_EQ(1, cfg.adaptive_set[1].recency);
	EXPECT_EQ(0, cfg.adaptive_set[2].recency);
	/* A shorter list set later: nothing of the longer one left over. */
	EXPECT_EQ(0, cfg.adaptive_set[3].half_life_ms);
	ASSERT_EQ(0, parse(&cfg, "[heat]\nadaptive = on\n", err)) TH_LOG("%s", err);
	EXPECT_TRUE(cfg.adaptive);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[heat]\n%s\n", bad[i].text);
		memset(err, 0, sizeof(err));
		EXPECT_EQ(-EINVAL, parse(&cfg, text, err)) TH_LOG("%s", bad[i].text);
		EXPECT_NE(NULL, strstr(err, bad[i].msg)) TH_LOG("%s: %s", bad[i].text, err);
	}
	/* The parser alone, as kvreplay --adaptive uses it. */
	{
		struct config_adapt set[CONFIG_MAX_ADAPT] = { { 7, 7, 0 } };
		uint32_t n = 99;

		EXPECT_EQ(-EINVAL, config_parse_adapt("5s:1,x", set, &n, NULL, 0));
		EXPECT_EQ(99, n);
		EXPECT_EQ(7, set[0].half_life_ms);
		EXPECT_EQ(0, config_parse_adapt(CONFIG_ADAPT_DEFAULT, set, &n, err, sizeof(err)));
		EXPECT_EQ(7, n);
	}
}

TEST(print_round_trip)
{
	static const char text[] =
		"[tiers]\ndram = 0\n"
		"[policy]\ninterval = 1500ms\nhigh_watermark = 92.25%\nlow_watermark = 91%\n"
		"rate_limit = 1000B/s\nhysteresis = 7.5%\nmin_residency = 0\n"
		"promote_min_heat = 1.3\n"
		"[heat]\nepoch = 100ms\nhalf_life = 30s\nadaptive = off\n"
		"adaptive_settings = 1s:0,1h:16:last,250ms:0.125\nadaptive_window = 90s\n"
		"[class \"kv\"]\nlabel = kv-[0-9]*\nprocess = vllm\npriority = -3\ndram_share = 33.33%\n";
	struct config a, b;
	char err[CONFIG_ERR_LEN], *out = NULL;
	size_t len = 0;
	FILE *f;
	uint64_t h;

	ASSERT_EQ(0, parse(&a, text, err)) TH_LOG("%s", err);
	for (h = 0; h < CXLTIER_HEAT_ONE * 3; h += 997) {
		a.promote_min_heat = h;
		f = open_memstream(&out, &len);
		ASSERT_NE(NULL, f);
		ASSERT_EQ(0, config_print(&a, f));
		fclose(f);
		config_init(&b);
		ASSERT_EQ(0, config_parse_string(&b, "printed", out, err, sizeof(err)))
			TH_LOG("%s\n%s", err, out);
		b.nr_files = a.nr_files;
		ASSERT_EQ(0, memcmp(&a, &b, sizeof(a))) TH_LOG("%s", out);
		free(out);
		out = NULL;
	}
	/* And the defaults. */
	config_init(&a);
	f = open_memstream(&out, &len);
	ASSERT_EQ(0, config_print(&a, f));
	fclose(f);
	config_init(&b);
	ASSERT_EQ(0, config_parse_string(&b, "printed", out, err, sizeof(err))) TH_LOG("%s", err);
	b.nr_files = 0;
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a))) TH_LOG("%s", out);
	free(out);
}

/*
 * The example config shipped in agent/ loads, and every "#key = value"
 * in it, uncommented, gives the default: the example tells the truth.
 */
TEST(shipped_example)
{
	char err[CONFIG_ERR_LEN], line[512], *text;
	struct config cfg, def;
	size_t len = 0, keys = 0;
	FILE *f;

	f = fopen("agent/cxltierd.conf", "r");
	if (!f)
		SKIP(return, "not applicable: run from the source tree");
	text = calloc(1, 64 * 1024);
	ASSERT_NE(NULL, text);
	config_init(&def);
	while (fgets(line, sizeof(line), f)) {
		const char *l = line;

		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strstr(line, " = ")) {
			l = line + 1;
			keys++;
		}
		ASSERT_LT(len + strlen(l), 64 * 1024);
		strcpy(text + len, l);
		len += strlen(l);
	}
	fclose(f);
	config_init(&cfg);
	ASSERT_EQ(0, config_parse_string(&cfg, "cxltierd.conf", text, err, sizeof(err)))
		TH_LOG("%s", err);
	/* Every key of [tiers], [policy], [heat], [socket] and of a class. */
	EXPECT_EQ(25, keys);
	cfg.nr_files = def.nr_files = 0;
	EXPECT_EQ(0, memcmp(&def, &cfg, sizeof(cfg)))
		TH_LOG("an uncommented value differs from the default");
	free(text);
}

/* Garbage and mutations of a good file: an error code and a message, never a crash. */
TEST(garbage)
{
	static const char seed[] =
		"[tiers]\ndram = auto\nfar = 0\n[policy]\ninterval = 1s\nhigh_watermark = 95%\n"
		"low_watermark = 90%\nrate_limit = 256MiB/s\n[heat]\nepoch = 1s\n"
		"[class \"kv\"]\nlabel = kv-*\npriority = 3\ndram_share = 50%\n";
	static const char alphabet[] = "[]=:;#\"\n\t -%.,0123456789abcdefghiklmnoprstuvwxyzMGiBs/\x01\xff";
	char text[512], err[CONFIG_ERR_LEN];
	struct config cfg;
	unsigned int seedv = 12345;
	int i, j, ok = 0, bad = 0;

	for (i = 0; i < 20000; i++) {
		size_t len;
		int rc;

		if (i % 2) {
			/* Random bytes from a syntax-heavy alphabet. */
			len = (size_t)rand_r(&seedv) % (sizeof(text) - 1);
			for (j = 0; j < (int)len; j++)
				text[j] = alphabet[rand_r(&seedv) % (sizeof(alphabet) - 1)];
			text[len] = '\0';
		} else {
			/* The good file with a few bytes changed, dropped or added. */
			strcpy(text, seed);
			len = strlen(text);
			for (j = 0; j < 1 + rand_r(&seedv) % 4; j++) {
				size_t at = (size_t)rand_r(&seedv) % len;
				int op = rand_r(&seedv) % 3;

				if (op == 0) {
					text[at] = alphabet[rand_r(&seedv) % (sizeof(alphabet) - 1)];
				} else if (op == 1 && len > 1) {
					memmove(text + at, text + at + 1, len - at);
					len--;
				} else if (len + 1 < sizeof(text)) {
					memmove(text + at + 1, text + at, len - at + 1);
					text[at] = alphabet[rand_r(&seedv) % (sizeof(alphabet) - 1)];
					len++;
				}
			}
		}
		err[0] = '\0';
		rc = parse(&cfg, text, err);
		if (!rc) {
			ok++;
			ASSERT_LE(1, cfg.nr_classes);
			ASSERT_GE(CONFIG_MAX_CLASSES, cfg.nr_classes);
			ASSERT_LE(10, cfg.interval_ms);
			ASSERT_GE(10000, cfg.high_watermark_bp);
			ASSERT_EQ(0, strcmp(cfg.classes[0].name, "default"));
			continue;
		}
		bad++;
		ASSERT_EQ(-EINVAL, rc) TH_LOG("%s", text);
		ASSERT_EQ(0, strncmp(err, "t.conf:", 7)) TH_LOG("%s -> %s", text, err);
		ASSERT_LT(strlen(err), sizeof(err));
	}
	TH_LOG("%d accepted, %d refused", ok, bad);
	EXPECT_LT(100, ok);
	EXPECT_LT(100, bad);
}

/* Node sets by hand: the host's libnuma may not know nodes 1 and 2. */
static void set_nodes(struct config_nodes *set, unsigned int mask)
{
	unsigned int n;

	memset(set, 0, sizeof(*set));
	for (n = 0; n < 8; n++)
		if (mask & (1U << n))
			set->mask[0] |= 1UL << n;
}

/* Hand-made [tiers] lists that put the CPU-less node in dram are swapped. */
TEST(tiers_swapped)
{
	/* node 0: CPUs; node 1: none; node 2: no memory */
	static const int has_cpus[3] = { 1, 0, -1 };
	char err[CONFIG_ERR_LEN] = "";
	struct config cfg;

	config_init(&cfg);
	EXPECT_EQ(0, config_check_tiers(&cfg, has_cpus, 3, err, sizeof(err)));	/* auto */
	set_nodes(&cfg.dram, 1U << 1);
	set_nodes(&cfg.far, 1U << 0);
	EXPECT_EQ(-EINVAL, config_check_tiers(&cfg, has_cpus, 3, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "dram node 1 has no CPUs while far node 0 has"));
	set_nodes(&cfg.dram, 1U << 0);
	set_nodes(&cfg.far, 1U << 1);
	EXPECT_EQ(0, config_check_tiers(&cfg, has_cpus, 3, err, sizeof(err)));
	/* A CPU-less DRAM node beside one with CPUs is fine. */
	set_nodes(&cfg.dram, 3);
	set_nodes(&cfg.far, 1U << 2);
	EXPECT_EQ(0, config_check_tiers(&cfg, has_cpus, 3, err, sizeof(err)));
}

TEST_HARNESS_MAIN
