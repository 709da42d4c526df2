// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-config: cxltierd.conf's reader (agent/conffile.c, the INI lines;
 * agent/config.c, the schema) on mutated configurations.  Every input
 * must give 0 or a documented error with a "NAME:LINE:" message; every
 * accepted one must pass config_validate() and print (config_print())
 * to a text that reads back to the same settings.
 */
#include <errno.h>

#include "config.h"
#include "mutate.h"

#define NAME	"fuzz-config"
#define ROOM	(64 * 1024)

static const char seed_text[] =
	"# a configuration with every section\n"
	"[tiers]\n"
	"dram = auto\n"
	"far = auto\n"
	"\n"
	"[policy]\n"
	"interval = 2s\n"
	"high_watermark = 90%\n"
	"low_watermark = 80.5%\n"
	"rate_limit = 512MiB/s\n"
	"hysteresis = 25%\n"
	"min_residency = 10s\n"
	"promote_min_heat = 0.5\n"
	"\n"
	"[heat]\n"
	"epoch = 500ms\n"
	"half_life = 30s\n"
	"\n"
	"[socket]\n"
	"group = cxltier\n"
	"mode = 0660\n"
	"max_clients = 128\n"
	"root_reserve = 8\n"
	"clients_per_uid = 4\n"
	"buffers_per_uid = 64\n"
	"requests_per_uid = 8\n"
	"hello_timeout = 2s\n"
	"\n"
	"[class \"kv-cache\"]\n"
	"label = kv-*\n"
	"process = vllm*\n"
	"priority = 10\n"
	"dram_share = 60%\n"
	"\n"
	"[class \"default\"]\n"
	"priority = 0\n";

static const char *const dict[] = {
	"\n[tiers]\n", "\n[policy]\n", "\n[heat]\n", "\n[socket]\n",
	"\n[class \"x\"]\n", "\n[class \"default\"]\n", "\n[class]\n",
	"\ndram = 0\n", "\nfar = 1-3,5\n", "\ndram = 0-1023\n", "\nfar = 1024\n",
	"\ninterval = 10ms\n", "\ninterval = 1h\n", "\nhigh_watermark = 100%\n",
	"\nlow_watermark = 1%\n", "\nrate_limit = unlimited\n",
	"\nrate_limit = 18446744073709551615GiB/s\n", "\npromote_min_heat = 1000000\n",
	"\ngroup = root\n", "\ngroup = -x\n", "\nmode = 0666\n", "\nmode = 4777\n",
	"\nmax_clients = 1\n", "\nroot_reserve = 255\n", "\nclients_per_uid = 256\n",
	"\nhello_timeout = 10min\n", "\nlabel = *\n", "\nprocess = [\n",
	"\npriority = -1000\n", "\ndram_share = 0%\n", "\n; comment\n", "\n# x = y\n",
	" = ", "==", "\"", "[", "]", "ms", "s", "%", "MiB/s", "auto", "99999999999999999999",
	"-", ",", "0x10", "1e3", "\t", "\r\n", "\xc3\xa9", "\\\n",
};

static void one(struct fuzz_run *r, char *text, char *out)
{
	char err[CONFIG_ERR_LEN], err2[CONFIG_ERR_LEN];
	struct config cfg, back;
	size_t len = sizeof(seed_text) - 1, olen = 0;
	FILE *f;
	int rc;

	memcpy(text, seed_text, len + 1);
	len = fuzz_mutate(r, text, len, ROOM, dict, sizeof(dict) / sizeof(dict[0]));
	config_init(&cfg);
	err[0] = '\0';
	rc = config_parse_string(&cfg, "fuzz.conf", text, err, sizeof(err));
	if (!rc)
		rc = config_validate(&cfg, err, sizeof(err));
	if (rc) {
		if (rc != -EINVAL && rc != -EFBIG && rc != -E2BIG)
			fuzz_fail(r, NAME, "unexpected error %d (%s)", rc, err);
		if (!err[0])
			fuzz_fail(r, NAME, "error %d without a message", rc);
		return;
	}
	/* Accepted: what it prints must read back to the same settings. */
	f = fmemopen(out, ROOM, "w");
	if (!f)
		fuzz_fail(r, NAME, "fmemopen: %s", strerror(errno));
	if (config_print(&cfg, f))
		fuzz_fail(r, NAME, "config_print failed");
	olen = (size_t)ftell(f);
	fclose(f);
	out[olen < ROOM ? olen : ROOM - 1] = '\0';
	config_init(&back);
	if (config_parse_string(&back, "printed.conf", out, err2, sizeof(err2)))
		fuzz_fail(r, NAME, "printed settings do not read back: %s\n--- input\n%s\n--- printed\n%s",
			  err2, text, out);
	cfg.nr_files = back.nr_files = 0;
	if (memcmp(&cfg, &back, sizeof(cfg)))
		fuzz_fail(r, NAME, "printed settings read back differently:\n--- input\n%s\n--- printed\n%s",
			  text, out);
}

int main(int argc, char **argv)
{
	struct fuzz_run r;
	char *text, *out;

	if (fuzz_args(&r, argc, argv, 50000))
		return 2;
	text = malloc(ROOM);
	out = malloc(ROOM);
	if (!text || !out)
		return 2;
	while (fuzz_more(&r))
		one(&r, text, out);
	free(text);
	free(out);
	fuzz_pass(&r, NAME, "");
	return 0;
}
