// SPDX-License-Identifier: GPL-2.0
/*
 * testbed: heat accuracy, measured for cxltier-bench heat-accuracy and the
 * heat_accuracy selftest: does the heat the module reports find the
 * chunks that are really used, by the CPU and by a device?
 *
 * A buffer of 2 MiB chunks is tracked (CPU and device sources) and
 * long-term pinned by the fake accelerator, as an accelerator runtime's
 * buffer would be.  Every chunk is 4 KiB pages or THP (one run each).
 * Chunk i belongs to:
 *
 *   i % 4 == 0   CPU set: the program writes every 4 KiB page
 *   i % 4 == 1   device set: the fake accelerator reads 64 KiB of it
 *                through kernel mappings (no Accessed bit) and reports it
 *   otherwise    cold
 *
 * (the first `hot` chunks of each class).  After warm_epochs epochs the
 * top K = 2 * hot chunks by heat are compared with the two sets:
 *
 *   recall    = |top K ∩ set| / |set|
 *   precision = |top K ∩ set ∩ attributed| / |top K ∩ attributed|
 *
 * where a top-K chunk is attributed to the CPU when its last epoch's
 * young pages are at least its device accesses times device_weight, and
 * to the device otherwise (a chunk with neither counts against both).
 * Then both sets move to the classes 2 and 3, right after an epoch ends,
 * and shift_epochs counts the epochs until the top K is exactly the new
 * sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cxltier_test_accel.h>

#include "clock.h"
#include "kdev.h"
#include "testbed.h"

#define CHUNK		(2UL << 20)
#define DMA_BYTES	(64UL << 10)

void ha_opts_default(struct ha_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = 64UL << 20;
	o->hot = 8;
	o->epoch_ms = 250;
	o->half_life_ms = 125;
	o->scan_interval_ms = 50;
	o->device_weight = 4;
	o->warm_epochs = 6;
	o->max_shift_epochs = 10;
}

/* Which set chunk @i is in for phase @shifted: 0 CPU, 1 device, -1 cold. */
static int ha_set_of(const struct ha_opts *o, unsigned int i, int shifted)
{
	unsigned int cls = i % 4, rank = i / 4;

	if (rank >= o->hot)
		return -1;
	if (cls == (shifted ? 2U : 0U))
		return 0;
	if (cls == (shifted ? 3U : 1U))
		return 1;
	return -1;
}

/* One round of accesses by the CPU and by the device. */
static int ha_tick(const struct ha_opts *o, char *buf, unsigned int nr,
		   int afd, uint32_t handle, int shifted)
{
	struct cxlta_dma d;
	unsigned int i;
	size_t off;

	for (i = 0; i < nr; i++) {
		switch (ha_set_of(o, i, shifted)) {
		case 0:
			for (off = 0; off < CHUNK; off += 4096)
				((volatile char *)buf)[i * CHUNK + off]++;
			break;
		case 1:
			memset(&d, 0, sizeof(d));
			d.argsz = sizeof(d);
			d.flags = CXLTA_DMA_REPORT;
			d.handle = handle;
			d.offset = i * CHUNK;
			d.length = DMA_BYTES;
			d.report_count = DMA_BYTES / 4096;
			if (ioctl(afd, CXLTA_IOC_DMA, &d) < 0)
				return -errno;
			if (d.report_result != 1)
				return -EPROTO;
			break;
		}
	}
	return 0;
}

static int ha_cmp_heat(const void *a, const void *b, void *arg)
{
	const struct cxltier_chunk_heat *h = arg;
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	if (h[x].heat != h[y].heat)
		return h[x].heat > h[y].heat ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Figures for the current heat; Return: 1 when the top K is the sets. */
static int ha_score(const struct ha_opts *o, const struct cxltier_chunk_heat *h,
		    unsigned int nr, int shifted, struct ha_result *res)
{
	unsigned int *order = calloc(nr, sizeof(*order));
	unsigned int k = 2 * o->hot, i, in[2] = { 0 }, attr[2] = { 0 },
		     hit[2] = { 0 };
	int set, exact = 1;

	if (!order)
		return 0;
	for (i = 0; i < nr; i++)
		order[i] = i;
	qsort_r(order, nr, sizeof(*order), ha_cmp_heat, (void *)h);
	for (i = 0; i < k && i < nr; i++) {
		const struct cxltier_chunk_heat *c = &h[order[i]];
		uint64_t dev = (uint64_t)c->dev_count * o->device_weight;
		int by_cpu = c->cpu_young >= dev;
		int by_dev = dev >= c->cpu_young;

		set = ha_set_of(o, order[i], shifted);
		if (set < 0)
			exact = 0;
		else
			in[set]++;
		attr[0] += by_cpu;
		attr[1] += by_dev;
		hit[0] += by_cpu && set == 0;
		hit[1] += by_dev && set == 1;
	}
	free(order);
	if (res) {
		res->cpu_recall = (double)in[0] / o->hot;
		res->dma_recall = (double)in[1] / o->hot;
		res->cpu_precision = attr[0] ? (double)hit[0] / attr[0] : 0;
		res->dma_precision = attr[1] ? (double)hit[1] / attr[1] : 0;
	}
	return exact;
}

/* Run ticks until the next epoch ends; Return: 0 or -errno. */
static int ha_until_epoch(const struct ha_opts *o, struct kdev *dev, char *buf,
			  unsigned int nr, int afd, uint32_t handle, int shifted)
{
	struct pollfd p = { .fd = dev->fd, .events = POLLIN };
	struct cxltier_event ev;
	uint64_t deadline = clock_now_ns() + 60ULL * 1000000000ULL;
	int ret;

	for (;;) {
		ret = ha_tick(o, buf, nr, afd, handle, shifted);
		if (ret)
			return ret;
		ret = poll(&p, 1, 5);
		if (ret < 0)
			return -errno;
		if (ret > 0)
			return kdev_read_event(dev, &ev);
		if (clock_now_ns() > deadline)
			return -ETIMEDOUT;
	}
}

int ha_run(const struct ha_opts *o, int thp, struct ha_result *res)
{
	unsigned int nr = o->size / CHUNK, e;
	struct cxltier_chunk_heat *h = NULL;
	struct tb_tunables saved;
	struct cxlta_pin pin;
	struct cxltier_event ev;
	struct kdev dev;
	uint32_t id;
	char *buf;
	int afd, ret;

	if (!o->hot || nr < 4 * o->hot || o->size % CHUNK)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	ret = kdev_open(&dev, NULL);
	if (ret)
		return ret;
	afd = tb_accel_open(TB_ACCEL_LOAD | TB_ACCEL_UNLOAD_AT_EXIT);
	if (afd < 0) {
		ret = afd;
		goto out_close_dev;
	}
	tb_tunables_save(&saved);
	if (tb_sysfs_set("epoch_ms", o->epoch_ms) ||
	    tb_sysfs_set("half_life_ms", o->half_life_ms) ||
	    tb_sysfs_set("scan_interval_ms", o->scan_interval_ms) ||
	    tb_sysfs_set("device_weight", o->device_weight) ||
	    (o->sampling && tb_sysfs_set("scan_exact_max_pages", 0))) {
		ret = -EIO;
		goto out_restore;
	}

	buf = tb_map(o->size, CHUNK, (thp ? TB_MAP_THP : TB_MAP_NOTHP) | TB_MAP_TOUCH);
	h = calloc(nr, sizeof(*h));
	if (!buf || !h) {
		ret = -ENOMEM;
		goto out_free;
	}
	res->thp_kb = tb_thp_kb(buf);
	ret = kdev_track(&dev, 0, (uintptr_t)buf, o->size, CHUNK,
			 CXLTIER_SRC_ALL, thp ? "accuracy-thp" : "accuracy-4k",
			 &id, NULL);
	if (ret)
		goto out_free;
	memset(&pin, 0, sizeof(pin));
	pin.argsz = sizeof(pin);
	pin.addr = (uintptr_t)buf;
	pin.length = o->size;
	if (ioctl(afd, CXLTA_IOC_PIN, &pin) < 0) {
		ret = -errno;
		goto out_free;
	}
	/* Events from before the run do not count. */
	fcntl(dev.fd, F_SETFL, O_NONBLOCK);
	while (!kdev_read_event(&dev, &ev))
		;
	fcntl(dev.fd, F_SETFL, 0);

	for (e = 0; e < o->warm_epochs; e++) {
		ret = ha_until_epoch(o, &dev, buf, nr, afd, pin.handle, 0);
		if (ret)
			goto out_free;
	}
	ret = kdev_get_heat(&dev, id, 0, h, nr, 0, NULL, NULL);
	if (ret)
		goto out_free;
	ha_score(o, h, nr, 0, res);
	if (o->verbose)
		fprintf(stderr, "%s: cpu %.2f/%.2f dma %.2f/%.2f\n",
			thp ? "thp" : "4k", res->cpu_recall,
			res->cpu_precision, res->dma_recall, res->dma_precision);

	/* Move both sets, right at an epoch boundary. */
	res->shift_epochs = -1;
	for (e = 1; e <= o->max_shift_epochs; e++) {
		ret = ha_until_epoch(o, &dev, buf, nr, afd, pin.handle, 1);
		if (ret)
			goto out_free;
		ret = kdev_get_heat(&dev, id, 0, h, nr, 0, NULL, NULL);
		if (ret)
			goto out_free;
		if (ha_score(o, h, nr, 1, NULL)) {
			res->shift_epochs = e;
			break;
		}
	}
	ret = 0;
out_free:
	free(h);
	if (buf)
		tb_unmap(buf, o->size);
out_restore:
	tb_tunables_restore(&saved);
	close(afd);
out_close_dev:
	kdev_close(&dev);
	return ret;
}
