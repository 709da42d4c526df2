// SPDX-License-Identifier: GPL-2.0
/*
 * inspect: the moves of each decision in the log, the last plan, a short
 * history of moves per range, the pause switch, and the admin verbs that
 * show them.  See inspect.h; the verbs' answers are in cxltierd(8).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "clock.h"
#include "inspect.h"
#include "kdev.h"
#include "log.h"
#include "policy.h"
#include "server.h"

struct inspect {
	struct inspect_env env;
	struct admin *admin;
	bool paused;
	double paused_since;
	uint64_t paused_moves;
	double started;
	uint64_t started_ms;
	struct inspect_hist hist;
	/* The last decision. */
	bool decided;
	double last_time;
	uint64_t last_ms;
	uint64_t last_epoch;
	double last_seconds;
	size_t last_n;
	size_t last_done;
	struct plan_summary last_sum;
	size_t nr_plan;
	struct inspect_move *plan;
	/* The moves of the plan last logged, to log only a change. */
	size_t nr_prev;
	struct plan_move *prev;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *inspect_result_name(enum inspect_result r)
{
	static const char *const names[INSPECT_NR_RESULTS] = {
		[INSPECT_DONE] = "done",
		[INSPECT_FAILED] = "failed",
		[INSPECT_DRY_RUN] = "dry-run",
		[INSPECT_PAUSED] = "paused",
	};

	return (unsigned int)r < INSPECT_NR_RESULTS ? names[r] : "unknown";
}

/* --- history -------------------------------------------------------------- */

static struct inspect_hist_range *hist_find(const struct inspect_hist *h,
					    uint32_t id)
{
	size_t i;

	for (i = 0; i < h->nr; i++)
		if (h->ranges[i].id == id)
			return &h->ranges[i];
	return NULL;
}

const struct inspect_hist_range *inspect_hist_find(const struct inspect_hist *h,
						   uint32_t id)
{
	return hist_find(h, id);
}

const struct inspect_move *inspect_hist_at(const struct inspect_hist_range *r,
					   unsigned int i)
{
	if (!r || i >= r->nr)
		return NULL;
	return &r->moves[(r->next + INSPECT_HISTORY - 1 - i) % INSPECT_HISTORY];
}

static bool same_move(const struct inspect_move *a, const struct inspect_move *b)
{
	return a->first_chunk == b->first_chunk &&
	       a->nr_chunks == b->nr_chunks && a->from_node == b->from_node &&
	       a->to_node == b->to_node && a->reason == b->reason &&
	       a->result == b->result;
}

int inspect_hist_add(struct inspect_hist *h, const struct inspect_move *m)
{
	struct inspect_hist_range *r = hist_find(h, m->range_id), *tmp;
	struct inspect_move *newest;
	size_t i, old;

	if (!r && h->nr == INSPECT_MAX_RANGES) {
		/* Full: the range whose newest move is the oldest goes. */
		for (old = 0, i = 1; i < h->nr; i++)
			if (h->ranges[i].last_time < h->ranges[old].last_time)
				old = i;
		r = &h->ranges[old];
		memset(r, 0, sizeof(*r));
		r->id = m->range_id;
		r->seen = false;
	}
	if (!r) {
		tmp = realloc(h->ranges, (h->nr + 1) * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		h->ranges = tmp;
		r = &h->ranges[h->nr++];
		memset(r, 0, sizeof(*r));
		r->id = m->range_id;
		r->seen = false;
	}
	newest = (struct inspect_move *)inspect_hist_at(r, 0);
	if (newest && m->result != INSPECT_DONE && same_move(newest, m)) {
		newest->repeats++;
		newest->time = m->time;
		newest->epoch = m->epoch;
		newest->heat = m->heat;
		r->last_time = m->time;
		return 0;
	}
	r->moves[r->next] = *m;
	r->moves[r->next].repeats = 0;
	r->next = (r->next + 1) % INSPECT_HISTORY;
	if (r->nr < INSPECT_HISTORY)
		r->nr++;
	r->last_time = m->time;
	return 0;
}

void inspect_hist_mark(struct inspect_hist *h, uint32_t id)
{
	struct inspect_hist_range *r = hist_find(h, id);

	if (r)
		r->seen = true;
}

void inspect_hist_sweep(struct inspect_hist *h)
{
	size_t i = 0;

	while (i < h->nr) {
		if (h->ranges[i].seen) {
			h->ranges[i++].seen = false;
			continue;
		}
		h->ranges[i] = h->ranges[--h->nr];
	}
}

void inspect_hist_free(struct inspect_hist *h)
{
	free(h->ranges);
	h->ranges = NULL;
	h->nr = 0;
}

bool inspect_same_plan(const struct plan_move *a, size_t na,
		       const struct plan_move *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (a[i].range_id != b[i].range_id ||
		    a[i].first_chunk != b[i].first_chunk ||
		    a[i].nr_chunks != b[i].nr_chunks ||
		    a[i].from_node != b[i].from_node ||
		    a[i].to_node != b[i].to_node ||
		    a[i].reason != b[i].reason)
			return false;
	return true;
}

/* --- the log -------------------------------------------------------------- */

/* A label fit for a log line: printable ASCII, the rest as '?'. */
static void log_label(const char *label, char *out, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && i < CXLTIER_LABEL_LEN && label[i]; i++)
		out[i] = isprint((unsigned char)label[i]) && label[i] != '"' ?
				 label[i] : '?';
	out[i] = '\0';
}

static void node_name(int node, char *buf, size_t len)
{
	if (node == CXLTIER_NODE_MIXED || node < 0)
		snprintf(buf, len, "mixed");
	else
		snprintf(buf, len, "%d", node);
}

/* One move: "move buffer "kv" (range 3, pid 812) chunks 0-7 ...". */
static void log_move(const struct inspect_move *m, bool info)
{
	char label[CXLTIER_LABEL_LEN + 1], from[16];
	const char *pre = m->result == INSPECT_DRY_RUN ? "dry run: would move" :
			  m->result == INSPECT_PAUSED ? "paused: would move" :
							"move";
	const char *post = m->result == INSPECT_DONE ? ": done" :
			   m->result == INSPECT_FAILED ? ": not done" : "";

	log_label(m->label, label, sizeof(label));
	node_name(m->from_node, from, sizeof(from));
	if (info)
		log_info("%s buffer \"%s\" (range %u, pid %d) chunks %llu-%llu (%llu KiB) node %s -> %d: %s, heat %.2f%s",
			 pre, label, m->range_id, (int)m->pid,
			 (unsigned long long)m->first_chunk,
			 (unsigned long long)(m->first_chunk + m->nr_chunks - 1),
			 (unsigned long long)(m->bytes >> 10), from, m->to_node,
			 policy_reason_name(m->reason),
			 (double)m->heat / CXLTIER_HEAT_ONE, post);
	else
		log_debug("%s buffer \"%s\" (range %u, pid %d) chunks %llu-%llu node %s -> %d: %s, heat %.2f%s",
			  pre, label, m->range_id, (int)m->pid,
			  (unsigned long long)m->first_chunk,
			  (unsigned long long)(m->first_chunk + m->nr_chunks - 1),
			  from, m->to_node, policy_reason_name(m->reason),
			  (double)m->heat / CXLTIER_HEAT_ONE, post);
}

/* --- decisions ------------------------------------------------------------ */

static void make_move(const struct inspect *in, const struct obs_snapshot *snap,
		      const struct plan_move *pm, bool tried, double now,
		      struct inspect_move *m)
{
	const struct obs_range *r = obs_find_range(snap, pm->range_id);

	memset(m, 0, sizeof(*m));
	m->range_id = pm->range_id;
	m->first_chunk = pm->first_chunk;
	m->nr_chunks = pm->nr_chunks;
	m->from_node = pm->from_node;
	m->to_node = pm->to_node;
	m->heat = pm->heat;
	m->reason = pm->reason;
	m->time = now;
	m->epoch = snap->epoch;
	if (r) {
		uint64_t off = pm->first_chunk * r->info.chunk_size;
		uint64_t len = (uint64_t)pm->nr_chunks * r->info.chunk_size;

		m->pid = r->info.pid;
		memcpy(m->label, r->info.label, sizeof(m->label));
		m->label[sizeof(m->label) - 1] = '\0';
		if (off < r->info.length)
			m->bytes = r->info.length - off < len ?
					   r->info.length - off : len;
	}
	if (!tried)
		m->result = in->paused ? INSPECT_PAUSED : INSPECT_DRY_RUN;
	else if (pm->done)
		m->result = INSPECT_DONE;
	else
		m->result = in->env.dry_run ? INSPECT_DRY_RUN : INSPECT_FAILED;
}

void inspect_decision(struct inspect *in, const struct obs_snapshot *snap,
		      const struct plan_move *moves, size_t n, bool tried,
		      uint64_t t0_ms, uint64_t t1_ms)
{
	const struct plan_summary *ps = plan_last(in->env.plan);
	bool changed = !inspect_same_plan(in->prev, in->nr_prev, moves, n);
	double now = wall_now();
	size_t i, promote = 0, done = 0, keep;
	struct plan_move *prev;
	struct inspect_move m;

	for (i = 0; i < n; i++) {
		promote += moves[i].dir == MOVE_PROMOTE;
		done += tried && moves[i].done;
	}
	if (changed && n)
		log_info("epoch %llu: plan of %zu moves (%zu promotions, %zu demotions); DRAM %llu of %llu MiB used, tracked %llu MiB, budget %llu MiB%s",
			 (unsigned long long)snap->epoch, n, promote,
			 n - promote, (unsigned long long)(ps->dram_used >> 20),
			 (unsigned long long)(ps->dram_capacity >> 20),
			 (unsigned long long)(ps->dram_tracked >> 20),
			 (unsigned long long)(ps->dram_budget >> 20),
			 in->env.dry_run ? "; dry run, nothing moves" :
			 in->paused ? "; paused, nothing moves" : "");
	else if (changed)
		log_info("epoch %llu: plan is empty: nothing to move",
			 (unsigned long long)snap->epoch);
	else if (n)
		log_debug("epoch %llu: plan unchanged (%zu moves)",
			  (unsigned long long)snap->epoch, n);

	for (i = 0; i < snap->nr_ranges; i++)
		inspect_hist_mark(&in->hist, snap->ranges[i].info.id);
	inspect_hist_sweep(&in->hist);

	keep = n < INSPECT_PLAN_MAX ? n : INSPECT_PLAN_MAX;
	if (keep > in->nr_plan || !in->plan) {
		struct inspect_move *tmp = realloc(in->plan, (keep ? keep : 1) *
								 sizeof(*tmp));

		if (!tmp)
			keep = 0;
		else
			in->plan = tmp;
	}
	in->nr_plan = keep;
	for (i = 0; i < n; i++) {
		make_move(in, snap, &moves[i], tried, now, &m);
		/* A move is news; the same plan again, not done, is not. */
		log_move(&m, changed || m.result == INSPECT_DONE);
		if (inspect_hist_add(&in->hist, &m))
			log_warn("move history: %s", strerror(ENOMEM));
		if (i < keep)
			in->plan[i] = m;
		if (m.result == INSPECT_PAUSED) {
			in->paused_moves++;
			in->env.met->paused_moves++;
		}
	}
	if (tried && n && !in->env.dry_run && (changed || done))
		log_info("epoch %llu: %zu of %zu moves done",
			 (unsigned long long)snap->epoch, done, n);

	prev = realloc(in->prev, (n ? n : 1) * sizeof(*prev));
	if (prev) {
		memcpy(prev, moves, n * sizeof(*prev));
		in->prev = prev;
		in->nr_prev = n;
	} else {
		/* Unknown: the next plan is logged as a change. */
		in->nr_prev = (size_t)-1;
	}
	in->decided = true;
	in->last_time = now;
	in->last_ms = t0_ms;
	in->last_epoch = snap->epoch;
	in->last_seconds = (double)(t1_ms - t0_ms) / 1000.0;
	in->last_n = n;
	in->last_done = done;
	in->last_sum = *ps;
}

bool inspect_paused(const struct inspect *in)
{
	return in->paused;
}

void inspect_set_paused(struct inspect *in, bool paused)
{
	if (paused && !in->paused)
		in->paused_since = wall_now();
	in->paused = paused;
	in->env.met->paused = paused;
}

const struct inspect_hist *inspect_history(const struct inspect *in)
{
	return &in->hist;
}

/* --- verbs ---------------------------------------------------------------- */

static void json_move(struct admin_buf *b, const struct inspect_move *m)
{
	admin_buf_printf(b, "{\"range\": %u, \"label\": ", m->range_id);
	admin_buf_json_str(b, m->label, sizeof(m->label));
	admin_buf_printf(b, ", \"pid\": %d, \"first_chunk\": %llu, \"nr_chunks\": %u, \"bytes\": %llu, \"from_node\": %d, \"to_node\": %d, \"heat\": %.3f, \"reason\": \"%s\", \"result\": \"%s\", \"time\": %.3f, \"epoch\": %llu, \"repeats\": %u}",
			 (int)m->pid, (unsigned long long)m->first_chunk,
			 m->nr_chunks, (unsigned long long)m->bytes,
			 m->from_node, m->to_node,
			 (double)m->heat / CXLTIER_HEAT_ONE,
			 policy_reason_name(m->reason),
			 inspect_result_name(m->result), m->time,
			 (unsigned long long)m->epoch, m->repeats);
}

static void send_buf(struct admin *ad, int fd, struct admin_buf *b)
{
	if (b->failed)
		admin_error(ad, fd, "out of memory");
	else
		admin_send_str(ad, fd, b->s, b->len);
	admin_buf_free(b);
}

static long long next_in_ms(const struct inspect *in)
{
	uint64_t now = clock_now_ms(), due;

	if (!in->decided)
		return -1;
	due = in->last_ms + in->env.cfg->interval_ms;
	return due > now ? (long long)(due - now) : 0;
}

static enum admin_ret verb_status(void *arg, struct admin *ad, int fd,
				  const struct admin_peer *peer, int argc,
				  char **argv)
{
	struct inspect *in = arg;
	const struct metrics *met = in->env.met;
	struct admin_buf b = { 0 };
	uint64_t moves[MOVE_NR_DIRS] = { 0 };
	size_t d, k;

	if (argc > 1) {
		admin_error(ad, fd, "agent-status takes no argument");
		return ADMIN_CLOSE;
	}
	for (d = 0; d < MOVE_NR_DIRS; d++)
		for (k = 0; k < MET_NR_METHODS; k++)
			moves[d] += met->migrations[d][k];
	admin_buf_printf(&b, "{\"event\": \"agent-status\", \"pid\": %d, \"version\": \"%s\", \"started\": %.3f, \"uptime_seconds\": %.3f, \"config\": ",
			 (int)getpid(), CXLTIER_VERSION, in->started,
			 (double)(clock_now_ms() - in->started_ms) / 1000.0);
	admin_buf_json_str(&b, in->env.config_path, 4096);
	admin_buf_printf(&b, ", \"dry_run\": %s, \"paused\": %s, \"paused_since\": ",
			 in->env.dry_run ? "true" : "false",
			 in->paused ? "true" : "false");
	if (in->paused)
		admin_buf_printf(&b, "%.3f", in->paused_since);
	else
		admin_buf_printf(&b, "null");
	admin_buf_printf(&b, ", \"interval_ms\": %u, \"decisions\": %llu, \"last_decision\": ",
			 in->env.cfg->interval_ms,
			 (unsigned long long)met->cycles);
	if (in->decided)
		admin_buf_printf(&b, "{\"time\": %.3f, \"epoch\": %llu, \"seconds\": %.3f, \"moves_planned\": %zu, \"moves_done\": %zu}",
				 in->last_time,
				 (unsigned long long)in->last_epoch,
				 in->last_seconds, in->last_n, in->last_done);
	else
		admin_buf_printf(&b, "null");
	admin_buf_printf(&b, ", \"next_decision_in_ms\": %lld, \"ranges\": %u, \"buffers\": %u, \"clients\": %u",
			 next_in_ms(in), met->ranges,
			 in->env.srv ? server_nr_buffers(in->env.srv) : 0,
			 in->env.srv ? server_nr_clients(in->env.srv) : 0);
	admin_buf_printf(&b, ", \"moves\": {\"promotions\": %llu, \"demotions\": %llu, \"lateral\": %llu, \"promoted_bytes\": %llu, \"demoted_bytes\": %llu, \"planned\": %llu, \"dry_run\": %llu, \"paused\": %llu}",
			 (unsigned long long)moves[MOVE_PROMOTE],
			 (unsigned long long)moves[MOVE_DEMOTE],
			 (unsigned long long)moves[MOVE_LATERAL],
			 (unsigned long long)met->migrated_bytes[MOVE_PROMOTE],
			 (unsigned long long)met->migrated_bytes[MOVE_DEMOTE],
			 (unsigned long long)met->planned,
			 (unsigned long long)met->dry_run,
			 (unsigned long long)in->paused_moves);
	admin_buf_printf(&b, ", \"rate_limit\": {\"bytes_per_second\": %llu, \"allowance_bytes\": %llu, \"last_plan_bytes\": %llu, \"deferred_bytes\": %llu}}",
			 (unsigned long long)in->env.cfg->rate_limit_Bps,
			 (unsigned long long)in->last_sum.rate_tokens,
			 (unsigned long long)(in->last_sum.promote_bytes +
					      in->last_sum.demote_bytes),
			 (unsigned long long)in->last_sum.deferred_bytes);
	send_buf(ad, fd, &b);
	return ADMIN_CLOSE;
}

static enum admin_ret verb_plan(void *arg, struct admin *ad, int fd,
				const struct admin_peer *peer, int argc,
				char **argv)
{
	struct inspect *in = arg;
	const struct plan_summary *ps = &in->last_sum;
	struct admin_buf b = { 0 };
	size_t i;

	if (argc > 1) {
		admin_error(ad, fd, "plan takes no argument");
		return ADMIN_CLOSE;
	}
	if (!in->decided) {
		admin_buf_printf(&b, "{\"event\": \"plan\", \"decided\": false, \"next_decision_in_ms\": -1, \"moves\": [], \"next\": null}");
		send_buf(ad, fd, &b);
		return ADMIN_CLOSE;
	}
	admin_buf_printf(&b, "{\"event\": \"plan\", \"decided\": true, \"time\": %.3f, \"epoch\": %llu, \"seconds\": %.3f, \"dry_run\": %s, \"paused\": %s, \"dram_capacity_bytes\": %llu, \"dram_used_bytes\": %llu, \"dram_tracked_bytes\": %llu, \"dram_budget_bytes\": %llu, \"promote_bytes\": %llu, \"demote_bytes\": %llu, \"deferred_bytes\": %llu, \"blocked_bytes\": %llu, \"nr_moves\": %zu, \"moves_done\": %zu, \"moves\": [",
			 in->last_time, (unsigned long long)in->last_epoch,
			 in->last_seconds, in->env.dry_run ? "true" : "false",
			 in->paused ? "true" : "false",
			 (unsigned long long)ps->dram_capacity,
			 (unsigned long long)ps->dram_used,
			 (unsigned long long)ps->dram_tracked,
			 (unsigned long long)ps->dram_budget,
			 (unsigned long long)ps->promote_bytes,
			 (unsigned long long)ps->demote_bytes,
			 (unsigned long long)ps->deferred_bytes,
			 (unsigned long long)ps->blocked_bytes, in->last_n,
			 in->last_done);
	for (i = 0; i < in->nr_plan; i++) {
		if (i)
			admin_buf_printf(&b, ", ");
		json_move(&b, &in->plan[i]);
	}
	/*
	 * The next plan is made at the next decision, from the heat then:
	 * it is not computed ahead, only when it is due.
	 */
	admin_buf_printf(&b, "], \"truncated\": %s, \"next\": {\"computed\": false, \"in_ms\": %lld}}",
			 in->nr_plan < in->last_n ? "true" : "false",
			 next_in_ms(in));
	send_buf(ad, fd, &b);
	return ADMIN_CLOSE;
}

/* The real and effective uid of @pid (/proc/PID/status).  0 or -errno. */
static int pid_uids(pid_t pid, uid_t *ruid, uid_t *euid)
{
	char path[64], line[256];
	unsigned int r, e;
	FILE *f;
	int ret = -ESRCH;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u", &r, &e) == 2) {
			*ruid = r;
			*euid = e;
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

static bool owns(const struct admin_peer *peer, const struct obs_range *r)
{
	uid_t ru, eu;

	if (peer->privileged)
		return true;
	if (r->info.pid <= 0 || pid_uids(r->info.pid, &ru, &eu))
		return false;
	return peer->uid == ru || peer->uid == eu;
}

/* Does @r answer to @what (its id, or its label)? */
static bool names(const struct obs_range *r, const char *what)
{
	char *end;
	unsigned long v;

	if (!strncmp(r->info.label, what, sizeof(r->info.label)) &&
	    r->info.label[0])
		return true;
	errno = 0;
	v = strtoul(what, &end, 0);
	return !errno && !*end && end != what && isdigit((unsigned char)*what) &&
	       v == r->info.id;
}

static void json_placement(struct admin_buf *b, const struct obs_range *r)
{
	uint32_t c, start = 0, runs = 0;
	bool first = true;

	admin_buf_printf(b, "[");
	for (c = 1; c <= r->info.nr_chunks; c++) {
		uint64_t off, end;

		if (c < r->info.nr_chunks &&
		    r->chunks[c].node == r->chunks[start].node)
			continue;
		if (runs++ == INSPECT_RUNS_MAX) {
			admin_buf_printf(b, "], \"placement_truncated\": true");
			return;
		}
		off = (uint64_t)start * r->info.chunk_size;
		end = (uint64_t)c * r->info.chunk_size;
		if (end > r->info.length)
			end = r->info.length;
		admin_buf_printf(b, "%s{\"first_chunk\": %u, \"nr_chunks\": %u, \"bytes\": %llu, \"node\": %d}",
				 first ? "" : ", ", start, c - start,
				 (unsigned long long)(end > off ? end - off : 0),
				 r->chunks[start].node);
		first = false;
		start = c;
	}
	admin_buf_printf(b, "], \"placement_truncated\": false");
}

static void json_explain(struct admin_buf *b, const struct inspect *in,
			 const struct obs_range *r)
{
	const struct inspect_hist_range *h = hist_find(&in->hist, r->info.id);
	const struct inspect_move *m;
	uint64_t heat = 0;
	uid_t ru = (uid_t)-1, eu;
	unsigned int i;

	for (i = 0; i < r->info.nr_chunks; i++)
		heat = heat + r->chunks[i].heat < heat ? UINT64_MAX :
							 heat + r->chunks[i].heat;
	if (r->info.pid > 0)
		pid_uids(r->info.pid, &ru, &eu);
	admin_buf_printf(b, "{\"range\": %u, \"label\": ", r->info.id);
	admin_buf_json_str(b, r->info.label, sizeof(r->info.label));
	admin_buf_printf(b, ", \"pid\": %d, \"uid\": %lld, \"process\": ",
			 (int)r->info.pid,
			 ru == (uid_t)-1 ? -1LL : (long long)ru);
	admin_buf_json_str(b, r->comm, sizeof(r->comm));
	admin_buf_printf(b, ", \"length_bytes\": %llu, \"chunk_size_bytes\": %llu, \"nr_chunks\": %u, \"registered\": %s, \"heat\": %.3f, \"placement\": ",
			 (unsigned long long)r->info.length,
			 (unsigned long long)r->info.chunk_size,
			 r->info.nr_chunks, r->registered ? "true" : "false",
			 r->info.nr_chunks ? (double)heat / r->info.nr_chunks /
						     CXLTIER_HEAT_ONE : 0.0);
	json_placement(b, r);
	admin_buf_printf(b, ", \"moves\": [");
	for (i = 0; (m = inspect_hist_at(h, i)); i++) {
		if (i)
			admin_buf_printf(b, ", ");
		json_move(b, m);
	}
	admin_buf_printf(b, "]}");
}

static enum admin_ret verb_explain(void *arg, struct admin *ad, int fd,
				   const struct admin_peer *peer, int argc,
				   char **argv)
{
	struct inspect *in = arg;
	struct admin_buf b = { 0 };
	struct obs_snapshot snap;
	char what[CXLTIER_LABEL_LEN * 2] = "", why[CXLTIER_LABEL_LEN * 3];
	size_t i, found = 0, owned = 0, shown = 0, off = 0;
	int ret, k;

	if (argc < 2) {
		admin_error(ad, fd, "explain takes a buffer: its range id or its label");
		return ADMIN_CLOSE;
	}
	/* A label with blanks came as several words: one blank each. */
	for (k = 1; k < argc && off < sizeof(what); k++)
		off += (size_t)snprintf(what + off, sizeof(what) - off, "%s%s",
					k > 1 ? " " : "", argv[k]);
	ret = obs_read(in->env.kdev, &snap);
	if (ret) {
		snprintf(why, sizeof(why), "cannot read the tracked buffers: %s",
			 strerror(-ret));
		admin_error(ad, fd, why);
		obs_free(&snap);
		return ADMIN_CLOSE;
	}
	admin_buf_printf(&b, "{\"event\": \"explain\", \"buffer\": ");
	admin_buf_json_str(&b, what, sizeof(what));
	admin_buf_printf(&b, ", \"ranges\": [");
	for (i = 0; i < snap.nr_ranges; i++) {
		const struct obs_range *r = &snap.ranges[i];

		if (!names(r, what))
			continue;
		found++;
		if (!owns(peer, r) || owned++ >= INSPECT_EXPLAIN_MAX)
			continue;
		if (shown++)
			admin_buf_printf(&b, ", ");
		json_explain(&b, in, r);
	}
	admin_buf_printf(&b, "], \"truncated\": %s}",
			 owned > shown ? "true" : "false");
	obs_free(&snap);
	if (!shown) {
		admin_buf_free(&b);
		/* The pieces of @what in the reply are the peer's own. */
		snprintf(why, sizeof(why), found ?
			 "permission denied: buffer %s is not yours (uid %u)" :
			 "no tracked buffer %s", what,
			 (unsigned int)peer->uid);
		if (found) {
			char label[sizeof(what)];

			log_label(what, label, sizeof(label));
			log_info("admin: explain \"%s\" from uid %u (pid %d) refused: not the owner",
				 label, (unsigned int)peer->uid, (int)peer->pid);
		}
		admin_error(ad, fd, why);
		return ADMIN_CLOSE;
	}
	send_buf(ad, fd, &b);
	return ADMIN_CLOSE;
}

static enum admin_ret verb_pause(void *arg, struct admin *ad, int fd,
				 const struct admin_peer *peer, int argc,
				 char **argv)
{
	struct inspect *in = arg;
	bool pause = !strcmp(argv[0], "pause"), was = in->paused;

	if (argc > 1) {
		admin_error(ad, fd, pause ? "pause takes no argument" :
					    "resume takes no argument");
		return ADMIN_CLOSE;
	}
	inspect_set_paused(in, pause);
	if (was != pause)
		log_notice("%s by uid %u (pid %d): %s", pause ? "paused" : "resumed",
			   (unsigned int)peer->uid, (int)peer->pid,
			   pause ? "decisions go on, no move is made until resume" :
				   "moves are made again");
	admin_send(ad, fd, "{\"event\": \"done\", \"result\": \"%s\", \"was\": \"%s\"}",
		   pause ? "paused" : "resumed", was ? "paused" : "running");
	return ADMIN_CLOSE;
}

/* --- life cycle ----------------------------------------------------------- */

int inspect_new(struct inspect **ip, const struct inspect_env *env,
		struct admin *admin)
{
	struct inspect *in = calloc(1, sizeof(*in));
	int ret = 0;

	if (!in)
		return -ENOMEM;
	in->env = *env;
	in->admin = admin;
	in->started = wall_now();
	in->started_ms = clock_now_ms();
	if (admin) {
		ret = admin_register(admin, "agent-status", verb_status, in,
				     ADMIN_PRIVILEGED);
		if (!ret)
			ret = admin_register(admin, "plan", verb_plan, in,
					     ADMIN_PRIVILEGED);
		if (!ret)
			ret = admin_register(admin, "explain", verb_explain, in, 0);
		if (!ret)
			ret = admin_register(admin, "pause", verb_pause, in,
					     ADMIN_PRIVILEGED);
		if (!ret)
			ret = admin_register(admin, "resume", verb_pause, in,
					     ADMIN_PRIVILEGED);
	}
	if (ret) {
		free(in);
		return ret;
	}
	*ip = in;
	return 0;
}

void inspect_free(struct inspect *in)
{
	if (!in)
		return;
	inspect_hist_free(&in->hist);
	free(in->plan);
	free(in->prev);
	free(in);
}
