// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for observe's collection (obs_collect()) over a
 * scripted source: ranges untracked or replaced between the table read
 * and their heat read are left out, a table that grows is read again,
 * labels are NUL-terminated, the newest epoch is kept, and an error
 * ends the read with nothing leaked (obs_free() either way).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include "observe.h"

#define MAX_RANGES 32

/**
 * struct script - what the source answers
 * @infos: the range table
 * @nr: entries in @infos
 * @grow_to: after the first table read, the table has this many
 *	(entries past @nr copy the last one with new ids); 0: no growth
 * @ranges_err: GET_RANGES fails with this
 * @heat_err: per range index, GET_HEAT fails with this
 * @heat_n: per range index, the chunk count GET_HEAT reports (0: the
 *	table's)
 * @epoch: per range index, the epoch GET_HEAT reports
 * @range_calls: GET_RANGES calls made
 */
struct script {
	struct cxltier_range_info infos[MAX_RANGES];
	uint32_t nr;
	uint32_t grow_to;
	int ranges_err;
	int heat_err[MAX_RANGES];
	uint32_t heat_n[MAX_RANGES];
	uint64_t epoch[MAX_RANGES];
	unsigned int range_calls;
};

static int s_ranges(void *arg, struct cxltier_range_info *infos, uint32_t room,
		    uint32_t *total)
{
	struct script *s = arg;
	uint32_t i;

	if (s->ranges_err)
		return s->ranges_err;
	if (s->range_calls++ && s->grow_to > s->nr) {
		for (i = s->nr; i < s->grow_to; i++) {
			s->infos[i] = s->infos[s->nr - 1];
			s->infos[i].id = 100 + i;
		}
		s->nr = s->grow_to;
	}
	for (i = 0; i < s->nr && i < room; i++)
		infos[i] = s->infos[i];
	*total = s->nr;
	return 0;
}

static int s_index(const struct script *s, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < s->nr; i++)
		if (s->infos[i].id == id)
			return (int)i;
	return -1;
}

static int s_heat(void *arg, uint32_t id, struct cxltier_chunk_heat *chunks, uint32_t nr,
		  uint32_t *n, uint64_t *epoch)
{
	struct script *s = arg;
	int k = s_index(s, id);
	uint32_t i;

	if (k < 0)
		return -ENOENT;
	if (s->heat_err[k])
		return s->heat_err[k];
	for (i = 0; i < nr; i++) {
		memset(&chunks[i], 0, sizeof(chunks[i]));
		chunks[i].node = (int)id;
		chunks[i].heat = i;
	}
	*n = s->heat_n[k] ? s->heat_n[k] : s->infos[k].nr_chunks;
	*epoch = s->epoch[k];
	return 0;
}

static void s_comm(void *arg, pid_t pid, char *comm)
{
	(void)arg;
	snprintf(comm, 16, "p%d", (int)pid);
}

static void add(struct script *s, uint32_t id, uint32_t nr_chunks, pid_t pid)
{
	struct cxltier_range_info *r = &s->infos[s->nr++];

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->nr_chunks = nr_chunks;
	r->chunk_size = 2 << 20;
	r->length = (uint64_t)nr_chunks << 21;
	r->pid = pid;
	memset(r->label, 'x', sizeof(r->label));	/* no NUL from the module */
}

static int collect(struct script *s, struct obs_snapshot *snap)
{
	const struct obs_source src = { s_ranges, s_heat, s_comm, s };

	return obs_collect(&src, snap);
}

/* Gone, replaced and empty ranges are left out; the rest come whole. */
TEST(left_out)
{
	static struct script s;
	struct obs_snapshot snap;

	memset(&s, 0, sizeof(s));
	add(&s, 1, 4, 10);
	add(&s, 2, 4, 11);
	s.heat_err[1] = -ENOENT;	/* untracked meanwhile */
	add(&s, 3, 4, 12);
	s.heat_n[2] = 8;		/* replaced by a bigger one */
	add(&s, 4, 0, 13);		/* no chunks */
	add(&s, 5, 2, 14);
	s.epoch[0] = 9;
	s.epoch[4] = 5;

	ASSERT_EQ(0, collect(&s, &snap));
	ASSERT_EQ(2, snap.nr_ranges);
	EXPECT_EQ(1, snap.ranges[0].info.id);
	EXPECT_EQ(5, snap.ranges[1].info.id);
	EXPECT_EQ(9, snap.epoch);	/* the newest */
	EXPECT_EQ(5, snap.ranges[1].chunks[1].node);
	EXPECT_EQ(1, snap.ranges[1].chunks[1].heat);
	EXPECT_STREQ("p14", snap.ranges[1].comm);
	EXPECT_EQ('\0', snap.ranges[0].info.label[sizeof(snap.ranges[0].info.label) - 1]);
	EXPECT_FALSE(snap.ranges[0].registered);
	EXPECT_FALSE(snap.ranges[0].fixed);
	obs_free(&snap);
	EXPECT_EQ(0, snap.nr_ranges);
	EXPECT_EQ(NULL, snap.ranges);
}

/* A table that grew past the room made for it is read again. */
TEST(table_grows)
{
	static struct script s;
	struct obs_snapshot snap;

	memset(&s, 0, sizeof(s));
	add(&s, 1, 1, 10);
	s.grow_to = 20;		/* past the first room (1 + 8) */
	ASSERT_EQ(0, collect(&s, &snap));
	EXPECT_EQ(3, s.range_calls);	/* room 0, room 9, room 28 */
	ASSERT_EQ(20, snap.nr_ranges);
	EXPECT_EQ(119, snap.ranges[19].info.id);
	obs_free(&snap);

	memset(&s, 0, sizeof(s));	/* no ranges at all */
	ASSERT_EQ(0, collect(&s, &snap));
	EXPECT_EQ(0, snap.nr_ranges);
	obs_free(&snap);
}

/* An error of the module ends the read: it is returned, nothing leaks. */
TEST(errors)
{
	static struct script s;
	struct obs_snapshot snap;

	memset(&s, 0, sizeof(s));
	add(&s, 1, 1, 10);
	s.ranges_err = -EPERM;
	EXPECT_EQ(-EPERM, collect(&s, &snap));
	EXPECT_EQ(0, snap.nr_ranges);
	obs_free(&snap);

	memset(&s, 0, sizeof(s));
	add(&s, 1, 2, 10);
	add(&s, 2, 2, 11);
	add(&s, 3, 2, 12);
	s.heat_err[1] = -EIO;
	EXPECT_EQ(-EIO, collect(&s, &snap));
	EXPECT_EQ(1, snap.nr_ranges);	/* what came before, freed below */
	obs_free(&snap);
}

TEST_HARNESS_MAIN
