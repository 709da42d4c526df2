// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-cli-buf: a tracked buffer with known contents and a known hot
 * set, for the cxltierctl tests (cli_test.sh).
 *
 * Maps an anonymous buffer of 4 KiB pages, binds its first half to node 0
 * and its second half to --far-node, fills it with a pattern, tracks it
 * with both heat sources and, with --dma, long-term pins it through the
 * fake accelerator.  Then, until SIGTERM, every 50 ms the CPU reads every
 * page of the --touch chunks and the fake accelerator reads the start of
 * each --dma chunk and reports it (which sets no Accessed bit).  Once set
 * up it prints one JSON line:
 *
 *	{"id":1,"pid":212,"start":140..,"size":16777216,"chunk_size":2097152,"chunks":8}
 *
 * On SIGTERM it checks every byte against the pattern, and what the
 * device reads against it too, and exits 0 when all is intact.
 *
 * --handshake prints the module's "api_version features ioctls" (the
 * raw CXLTIER_IOC_HANDSHAKE answer, decimal) and exits.
 */
#include <getopt.h>
#include <numaif.h>
#include <signal.h>
#include <time.h>

#include "heat_util.h"

#define KIB 1024ULL
#define MIB (1024 * KIB)
#define PAGE 4096ULL

/* Set by SIGTERM/SIGINT: check the contents and leave. */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "cxltier-cli-buf: %s: %s\n", what, strerror(err));
	exit(2);
}

/* The byte at @off: differs from page to page and within a page. */
static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off ^ (off >> 12) * 37);
}

static uint64_t fnv_pattern(uint64_t off, uint64_t len)
{
	uint64_t h = CXLTA_FNV_OFFSET;

	while (len--) {
		h ^= pattern(off++);
		h *= CXLTA_FNV_PRIME;
	}
	return h;
}

/* "1,5,7" into a bitmap of chunks below 64; -1 on garbage. */
static int parse_list(const char *s, uint64_t *mask)
{
	char *end;

	*mask = 0;
	while (*s) {
		unsigned long c = strtoul(s, &end, 10);

		if (end == s || c >= 64)
			return -1;
		*mask |= 1ULL << c;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return 0;
}

static int handshake(void)
{
	struct cxltier_handshake hs = {
		.argsz = sizeof(hs), .api_version = CXLTIER_API_VERSION,
	};
	int fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die(CXLTIER_DEV, errno);
	if (ioctl(fd, CXLTIER_IOC_HANDSHAKE, &hs))
		die("CXLTIER_IOC_HANDSHAKE", errno);
	printf("%u %llu %llu\n", hs.api_version,
	       (unsigned long long)hs.features, (unsigned long long)hs.ioctls);
	close(fd);
	return 0;
}

static void bind_half(uint8_t *p, uint64_t len, int node)
{
	unsigned long mask = 1UL << node;

	if (node < 0 || node >= (int)(8 * sizeof(mask)))
		die("node", EINVAL);
	if (mbind(p, len, MPOL_BIND, &mask, 8 * sizeof(mask), MPOL_MF_STRICT))
		die("mbind", errno);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "label", required_argument, NULL, 'l' },
		{ "far-node", required_argument, NULL, 'n' },
		{ "touch", required_argument, NULL, 't' },
		{ "dma", required_argument, NULL, 'd' },
		{ "handshake", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t size = 16 * MIB, chunk = 2 * MIB, touch = 0, dma = 0, off;
	const char *label = "cli-test";
	struct cxltier_track t;
	struct sigaction sa = { .sa_handler = on_signal };
	uint32_t handle = 0, c, nr_chunks;
	int far = -1, fd, afd = -1, opt, bad = 0;
	volatile uint8_t sink = 0;
	uint8_t *buf;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			size = strtoull(optarg, NULL, 0) * MIB;
			break;
		case 'c':
			chunk = strtoull(optarg, NULL, 0) * KIB;
			break;
		case 'l':
			label = optarg;
			break;
		case 'n':
			far = atoi(optarg);
			break;
		case 't':
			if (parse_list(optarg, &touch))
				die("--touch", EINVAL);
			break;
		case 'd':
			if (parse_list(optarg, &dma))
				die("--dma", EINVAL);
			break;
		case 'H':
			return handshake();
		default:
			fprintf(stderr, "usage: cxltier-cli-buf [--size MIB] [--chunk KIB] [--label L] [--far-node N] [--touch LIST] [--dma LIST] | --handshake\n");
			return 2;
		}
	}
	if (!size || !chunk || size % chunk || size % (2 * PAGE) ||
	    strlen(label) >= CXLTIER_LABEL_LEN)
		die("size, chunk or label", EINVAL);
	nr_chunks = (uint32_t)(size / chunk);

	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap", errno);
	madvise(buf, size, MADV_NOHUGEPAGE);
	if (far >= 0) {
		bind_half(buf, size / 2, 0);
		bind_half(buf + size / 2, size / 2, far);
	}
	for (off = 0; off < size; off++)
		buf[off] = pattern(off);

	fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(CXLTIER_DEV, errno);
	hu_track_init(&t, buf, size, chunk, CXLTIER_SRC_ALL);
	snprintf(t.label, sizeof(t.label), "%s", label);
	if (ioctl(fd, CXLTIER_IOC_TRACK, &t))
		die("CXLTIER_IOC_TRACK", errno);
	if (dma) {
		afd = hu_accel_open();
		if (afd < 0)
			die("fake accelerator", -afd);
		if (hu_accel_pin(afd, buf, size, &handle))
			die("CXLTA_IOC_PIN", errno);
	}

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("{\"id\":%u,\"pid\":%d,\"start\":%llu,\"size\":%llu,\"chunk_size\":%llu,\"chunks\":%u}\n",
	       t.id, getpid(), (unsigned long long)(uintptr_t)buf,
	       (unsigned long long)size, (unsigned long long)chunk, t.nr_chunks);
	fflush(stdout);

	while (!stop) {
		for (c = 0; c < nr_chunks && c < 64; c++) {
			if (touch & (1ULL << c))
				for (off = 0; off < chunk; off += PAGE)
					sink += buf[c * chunk + off];
			if (dma & (1ULL << c)) {
				struct cxlta_dma d = {
					.argsz = sizeof(d), .handle = handle,
					.flags = CXLTA_DMA_REPORT,
					.report_count = 16,
					.offset = c * chunk, .length = 64 * KIB,
				};

				if (ioctl(afd, CXLTA_IOC_DMA, &d))
					die("CXLTA_IOC_DMA", errno);
				if (d.checksum != fnv_pattern(c * chunk, 64 * KIB))
					bad = 1;
			}
		}
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}

	for (off = 0; off < size; off++)
		if (buf[off] != pattern(off)) {
			fprintf(stderr, "cxltier-cli-buf: byte %llu changed\n",
				(unsigned long long)off);
			return 1;
		}
	if (bad) {
		fprintf(stderr, "cxltier-cli-buf: the device read other bytes than the CPU wrote\n");
		return 1;
	}
	if (afd >= 0)
		close(afd);
	close(fd);
	return 0;
}
