/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cxltier: memory tiers and buffer heat for accelerator-pinned memory.
 *
 * User-space interface of cxltier.ko through /dev/cxltier.  The full
 * contract (every errno, every field) is in
 * Documentation/userspace-api/cxltier.rst.
 *
 * Conventions, as in vfio.h and cxl_mem.h:
 *  - every argument struct starts with __u32 argsz; __u32 flags;
 *  - argsz is the size the caller knows.  A smaller argsz than the first
 *    version of the struct is -EINVAL; a larger one is accepted when the
 *    bytes the module does not know are zero, else -E2BIG;
 *  - unknown flags and non-zero reserved fields are -EINVAL;
 *  - only fixed-width types, 64-bit fields aligned, pointers as __u64;
 *  - bulk reads are "ask the count, then fill": pass a count of 0 to learn
 *    how many entries exist, then pass an array that large; the module
 *    fills min(room, available) entries and always returns the available
 *    count, so a caller can tell a short array from a complete one;
 *  - array entries carry an entry_size so the entry structs can grow;
 *  - a new behaviour is a new ioctl, never a versioned struct.
 */
#ifndef _UAPI_LINUX_CXLTIER_H
#define _UAPI_LINUX_CXLTIER_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * Version of this interface; bumped when an ioctl, a field or a flag is
 * added or the encoding changes.  2: ioctl type 0xC9 (1 used 0xCE, the
 * CXL subsystem's), CXLTIER_TRACK_PIDFD, CXLTIER_REPORT_MAX_CHUNKS.
 * 3: CXLTIER_FEAT_PLACEMENT (CXLTIER_HEAT_PLACEMENT), CXLTIER_FEAT_HOTPLUG,
 * CXLTIER_HANDSHAKE_HOTPLUG_EVENTS.
 */
#define CXLTIER_API_VERSION	3

/* ioctl type 0xC9 (free in ioctl-number.rst), numbers 0x40-0x5f. */
#define CXLTIER_TYPE		0xC9
#define CXLTIER_BASE		0x40

/* Length of a range label, including the terminating NUL. */
#define CXLTIER_LABEL_LEN	32

/* ------------------------------------------------------------------ */
/* CXLTIER_IOC_HANDSHAKE: agree on the API version, learn the features */

/* Feature bits reported in cxltier_handshake.features. */
#define CXLTIER_FEAT_TIERS	(1ULL << 0) /* node and tier table */
#define CXLTIER_FEAT_TRACK	(1ULL << 1) /* range tracking, heat readout */
#define CXLTIER_FEAT_CPU_SCAN	(1ULL << 2) /* Accessed-bit scanner */
#define CXLTIER_FEAT_DEV_REPORT	(1ULL << 3) /* device access reports */
#define CXLTIER_FEAT_POLL	(1ULL << 4) /* poll()/read() epoch events */
#define CXLTIER_FEAT_RETIER	(1ULL << 5) /* kernel memory-tier re-registration */
#define CXLTIER_FEAT_PIDFD	(1ULL << 6) /* CXLTIER_TRACK_PIDFD */
#define CXLTIER_FEAT_PLACEMENT	(1ULL << 7) /* CXLTIER_HEAT_PLACEMENT */
#define CXLTIER_FEAT_HOTPLUG	(1ULL << 8) /* memory hotplug events */

/* cxltier_handshake.flags */
/* Deliver struct cxltier_hotplug_event on read() of this file. */
#define CXLTIER_HANDSHAKE_HOTPLUG_EVENTS	(1U << 0)

/**
 * struct cxltier_handshake - CXLTIER_IOC_HANDSHAKE argument
 * @argsz: sizeof(struct cxltier_handshake)
 * @flags: CXLTIER_HANDSHAKE_* (the caller reads those events)
 * @api_version: in: CXLTIER_API_VERSION the caller was built with (not 0);
 *	out: the module's CXLTIER_API_VERSION
 * @reserved0: must be 0
 * @features: out: CXLTIER_FEAT_* the module supports
 * @ioctls: out: bit n set when ioctl number CXLTIER_BASE + n is supported
 * @reserved: must be 0
 */
struct cxltier_handshake {
	__u32 argsz;
	__u32 flags;
	__u32 api_version;
	__u32 reserved0;
	__aligned_u64 features;
	__aligned_u64 ioctls;
	__aligned_u64 reserved[2];
};

#define CXLTIER_IOC_HANDSHAKE	_IO(CXLTIER_TYPE, CXLTIER_BASE + 0)

/* ------------------------------------------------------------------ */
/* CXLTIER_IOC_GET_NODES: the node and tier table, count-then-fill     */

/* Kinds of memory a node can hold (also the sysfs "kind" keywords). */
#define CXLTIER_KIND_UNKNOWN	0 /* "unknown" */
#define CXLTIER_KIND_DRAM	1 /* "dram": local DRAM, node has CPUs */
#define CXLTIER_KIND_FAR	2 /* "far": CPU-less memory of unknown type */
#define CXLTIER_KIND_CXL	3 /* "cxl": CXL-attached memory */
#define CXLTIER_KIND_HBM	4 /* "hbm": high-bandwidth memory */
#define CXLTIER_KIND_PMEM	5 /* "pmem": persistent memory used as RAM */
#define CXLTIER_KIND_MAX	CXLTIER_KIND_PMEM

/* cxltier_node_info.flags */
#define CXLTIER_NODE_HAS_CPUS	(1U << 0) /* node has CPUs */
#define CXLTIER_NODE_MOVABLE	(1U << 1) /* some memory is ZONE_MOVABLE */
#define CXLTIER_NODE_ALL_MOVABLE (1U << 2) /* all memory is ZONE_MOVABLE */
#define CXLTIER_NODE_HMAT	(1U << 3) /* latency/bandwidth from HMAT */
#define CXLTIER_NODE_KIND_SET	(1U << 4) /* kind written by the admin */
#define CXLTIER_NODE_RETIERED	(1U << 5) /* registered with our own adistance */

/* Value of an unknown latency or bandwidth. */
#define CXLTIER_PERF_UNKNOWN	0

/**
 * struct cxltier_node_info - one memory node
 * @node: NUMA node id
 * @tier: cxltier tier, 0 = fastest
 * @kind: CXLTIER_KIND_*
 * @flags: CXLTIER_NODE_*
 * @read_latency_ns: HMAT read latency from the nearest initiator, or 0
 * @write_latency_ns: HMAT write latency, or 0
 * @read_bandwidth_MBps: HMAT read bandwidth, or 0
 * @write_bandwidth_MBps: HMAT write bandwidth, or 0
 * @capacity_kB: managed memory (the node's MemTotal)
 * @free_kB: free memory
 * @movable_kB: memory in ZONE_MOVABLE (cannot hold long-term pins)
 * @memory_tier: the kernel's memory_tier id for the node, or -1
 * @adistance: abstract distance used to order the node
 * @reserved: zero
 */
struct cxltier_node_info {
	__u32 node;
	__u32 tier;
	__u32 kind;
	__u32 flags;
	__u32 read_latency_ns;
	__u32 write_latency_ns;
	__u32 read_bandwidth_MBps;
	__u32 write_bandwidth_MBps;
	__aligned_u64 capacity_kB;
	__aligned_u64 free_kB;
	__aligned_u64 movable_kB;
	__s32 memory_tier;
	__u32 adistance;
	__aligned_u64 reserved[2];
};

/**
 * struct cxltier_get_nodes - CXLTIER_IOC_GET_NODES argument
 * @argsz: sizeof(struct cxltier_get_nodes)
 * @flags: must be 0
 * @nr_nodes: in: entries room at @nodes; out: memory nodes available
 * @entry_size: sizeof(struct cxltier_node_info) as the caller knows it
 * @nodes: user pointer to an array of @nr_nodes entries (may be 0 when
 *	@nr_nodes is 0)
 * @nr_tiers: out: number of cxltier tiers
 * @reserved0: must be 0
 * @reserved: must be 0
 */
struct cxltier_get_nodes {
	__u32 argsz;
	__u32 flags;
	__u32 nr_nodes;
	__u32 entry_size;
	__aligned_u64 nodes;
	__u32 nr_tiers;
	__u32 reserved0;
	__aligned_u64 reserved[2];
};

#define CXLTIER_IOC_GET_NODES	_IO(CXLTIER_TYPE, CXLTIER_BASE + 1)

/* ------------------------------------------------------------------ */
/* CXLTIER_IOC_TRACK / CXLTIER_IOC_UNTRACK: register buffers           */

/* Heat sources of a range. */
#define CXLTIER_SRC_CPU		(1U << 0) /* scan CPU page-table Accessed bits */
#define CXLTIER_SRC_DEVICE	(1U << 1) /* accept device access reports */
#define CXLTIER_SRC_ALL		(CXLTIER_SRC_CPU | CXLTIER_SRC_DEVICE)

#define CXLTIER_CHUNK_MIN	(64ULL << 10)	/* 64 KiB */
#define CXLTIER_CHUNK_MAX	(1ULL << 30)	/* 1 GiB */
#define CXLTIER_CHUNK_DEFAULT	(2ULL << 20)	/* 2 MiB */

/* cxltier_track.flags */
/* @pid is a pidfd (pidfd_open(2), clone(CLONE_PIDFD)), not a pid number. */
#define CXLTIER_TRACK_PIDFD	(1U << 0)

/**
 * struct cxltier_track - CXLTIER_IOC_TRACK argument
 * @argsz: sizeof(struct cxltier_track)
 * @flags: CXLTIER_TRACK_*
 * @pid: owner process: a pid number (0 = the caller) or, with
 *	CXLTIER_TRACK_PIDFD, a pidfd.  Another process needs a file opened
 *	with CAP_SYS_ADMIN and CAP_SYS_PTRACE; a pid number may be reused
 *	before the call, a pidfd cannot
 * @sources: CXLTIER_SRC_* (at least one)
 * @start: first byte, page aligned
 * @length: bytes, page aligned, not 0; [start, start + length) must be
 *	covered by VMAs of the owner
 * @chunk_size: heat granularity, a power of two in
 *	[CXLTIER_CHUNK_MIN, CXLTIER_CHUNK_MAX]; 0 = CXLTIER_CHUNK_DEFAULT
 * @id: out: range id, never 0
 * @nr_chunks: out: number of chunks (the last one may be partial)
 * @label: NUL-terminated printable name (e.g. "kv-cache"), may be empty
 * @reserved: must be 0
 */
struct cxltier_track {
	__u32 argsz;
	__u32 flags;
	__s32 pid;
	__u32 sources;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 chunk_size;
	__u32 id;
	__u32 nr_chunks;
	char label[CXLTIER_LABEL_LEN];
	__aligned_u64 reserved[2];
};

#define CXLTIER_IOC_TRACK	_IO(CXLTIER_TYPE, CXLTIER_BASE + 2)

/**
 * struct cxltier_untrack - CXLTIER_IOC_UNTRACK argument
 * @argsz: sizeof(struct cxltier_untrack)
 * @flags: must be 0
 * @id: range id returned by CXLTIER_IOC_TRACK on this file
 * @reserved0: must be 0
 * @reserved: must be 0
 */
struct cxltier_untrack {
	__u32 argsz;
	__u32 flags;
	__u32 id;
	__u32 reserved0;
	__aligned_u64 reserved[2];
};

#define CXLTIER_IOC_UNTRACK	_IO(CXLTIER_TYPE, CXLTIER_BASE + 3)

/* ------------------------------------------------------------------ */
/* CXLTIER_IOC_REPORT: batched device access reports                   */

/**
 * struct cxltier_access_record - accesses of a device to some chunks
 * @id: range id
 * @nr_chunks: number of chunks, at least 1
 * @first_chunk: first chunk index in the range
 * @count: accesses to each of those chunks (weighted by device_weight)
 */
struct cxltier_access_record {
	__u32 id;
	__u32 nr_chunks;
	__aligned_u64 first_chunk;
	__aligned_u64 count;
};

/* Most records one CXLTIER_IOC_REPORT call accepts. */
#define CXLTIER_REPORT_MAX	4096
/* Most chunks the records of one CXLTIER_IOC_REPORT call cover together. */
#define CXLTIER_REPORT_MAX_CHUNKS	65536

/**
 * struct cxltier_report - CXLTIER_IOC_REPORT argument
 * @argsz: sizeof(struct cxltier_report)
 * @flags: must be 0
 * @nr_records: records at @records, 1..CXLTIER_REPORT_MAX, whose
 *	nr_chunks add up to at most CXLTIER_REPORT_MAX_CHUNKS
 * @record_size: sizeof(struct cxltier_access_record) as the caller knows it
 * @records: user pointer to the records
 * @error_index: out: on error, index of the first bad record
 *	(all records are checked before any is applied)
 * @reserved0: must be 0
 * @reserved: must be 0
 */
struct cxltier_report {
	__u32 argsz;
	__u32 flags;
	__u32 nr_records;
	__u32 record_size;
	__aligned_u64 records;
	__u32 error_index;
	__u32 reserved0;
	__aligned_u64 reserved[2];
};

#define CXLTIER_IOC_REPORT	_IO(CXLTIER_TYPE, CXLTIER_BASE + 4)

/* ------------------------------------------------------------------ */
/* CXLTIER_IOC_GET_HEAT: per-chunk heat and placement, count-then-fill */

/* Fixed point of cxltier_chunk_heat.heat: CXLTIER_HEAT_ONE is one access. */
#define CXLTIER_HEAT_SHIFT	16
#define CXLTIER_HEAT_ONE	(1ULL << CXLTIER_HEAT_SHIFT)

/* cxltier_chunk_heat.node values besides a node id. */
#define CXLTIER_NODE_NONE	(-1) /* no page of the chunk is resident */
#define CXLTIER_NODE_MIXED	(-2) /* resident pages on several nodes */

/* cxltier_get_heat.flags */
/*
 * Walk the page tables now for node, resident and pinned counts of every
 * chunk asked for.  Accessed bits are left alone: heat comes from the
 * scanner only.
 */
#define CXLTIER_HEAT_REFRESH	(1U << 0)
/*
 * The same, bounded: at most CXLTIER_PLACEMENT_BUDGET page-table entries
 * per call (and at least one whole chunk); next_chunk says where to
 * resume.  Not with CXLTIER_HEAT_REFRESH.
 */
#define CXLTIER_HEAT_PLACEMENT	(1U << 1)

/* Page-table entries one CXLTIER_HEAT_PLACEMENT call may examine. */
#define CXLTIER_PLACEMENT_BUDGET	(1U << 18)

/**
 * struct cxltier_chunk_heat - one chunk
 * @heat: decayed access count, CXLTIER_HEAT_ONE per access
 * @last_epoch: last epoch in which an access was seen, 0 = never
 * @node: node of the resident pages, or CXLTIER_NODE_NONE/_MIXED
 * @resident_pages: resident base pages
 * @pinned_pages: base pages that may be DMA-pinned
 * @cpu_young: young base pages seen by the scanner in the last epoch
 * @dev_count: device accesses reported in the last epoch (unweighted)
 * @reserved: zero
 */
struct cxltier_chunk_heat {
	__aligned_u64 heat;
	__aligned_u64 last_epoch;
	__s32 node;
	__u32 resident_pages;
	__u32 pinned_pages;
	__u32 cpu_young;
	__u32 dev_count;
	__u32 reserved;
};

/**
 * struct cxltier_get_heat - CXLTIER_IOC_GET_HEAT argument
 * @argsz: sizeof(struct cxltier_get_heat)
 * @flags: CXLTIER_HEAT_*
 * @id: range id
 * @entry_size: sizeof(struct cxltier_chunk_heat) as the caller knows it
 * @first_chunk: first chunk to return
 * @nr_chunks: in: entries room at @chunks; out: chunks in the range
 * @reserved0: must be 0
 * @chunks: user pointer to the array
 * @epoch: out: current heat epoch
 * @next_chunk: in: must be 0; out: with CXLTIER_HEAT_PLACEMENT, the
 *	first chunk whose placement this call did not walk (the next
 *	call's @first_chunk; the range's chunk count when it is done),
 *	otherwise @first_chunk plus the entries filled
 * @reserved: must be 0
 */
struct cxltier_get_heat {
	__u32 argsz;
	__u32 flags;
	__u32 id;
	__u32 entry_size;
	__aligned_u64 first_chunk;
	__u32 nr_chunks;
	__u32 reserved0;
	__aligned_u64 chunks;
	__aligned_u64 epoch;
	__aligned_u64 next_chunk;
	__aligned_u64 reserved;
};

#define CXLTIER_IOC_GET_HEAT	_IO(CXLTIER_TYPE, CXLTIER_BASE + 5)

/* ------------------------------------------------------------------ */
/* CXLTIER_IOC_GET_RANGES: tracked ranges, count-then-fill             */

/* cxltier_get_ranges.flags */
/* Every range (CAP_SYS_ADMIN); without it, the ranges of this file. */
#define CXLTIER_RANGES_ALL	(1U << 0)
/*
 * The ranges of every file opened by this file's opener's user, except
 * files opened with CAP_SYS_ADMIN: what a runtime user may list and read
 * heat of.  Modules before it answer -EINVAL.
 */
#define CXLTIER_RANGES_USER	(1U << 1)

/**
 * struct cxltier_range_info - one tracked range
 * @id: range id
 * @pid: owner's thread-group id in the caller's pid namespace, 0 if gone
 * @start: first byte
 * @length: bytes
 * @chunk_size: chunk size
 * @nr_chunks: chunks
 * @sources: CXLTIER_SRC_*
 * @label: label given at registration
 * @reserved: zero
 */
struct cxltier_range_info {
	__u32 id;
	__s32 pid;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 chunk_size;
	__u32 nr_chunks;
	__u32 sources;
	char label[CXLTIER_LABEL_LEN];
	__aligned_u64 reserved[2];
};

/**
 * struct cxltier_get_ranges - CXLTIER_IOC_GET_RANGES argument
 * @argsz: sizeof(struct cxltier_get_ranges)
 * @flags: CXLTIER_RANGES_*
 * @nr_ranges: in: entries room at @ranges; out: ranges available
 * @entry_size: sizeof(struct cxltier_range_info) as the caller knows it
 * @ranges: user pointer to the array
 * @reserved: must be 0
 */
struct cxltier_get_ranges {
	__u32 argsz;
	__u32 flags;
	__u32 nr_ranges;
	__u32 entry_size;
	__aligned_u64 ranges;
	__aligned_u64 reserved[2];
};

#define CXLTIER_IOC_GET_RANGES	_IO(CXLTIER_TYPE, CXLTIER_BASE + 6)

/* ------------------------------------------------------------------ */
/* read() and poll() on /dev/cxltier: heat epoch events                */

/* cxltier_event.type */
#define CXLTIER_EVENT_EPOCH	1 /* a heat epoch ended */
/* struct cxltier_hotplug_event, with CXLTIER_HANDSHAKE_HOTPLUG_EVENTS: */
#define CXLTIER_EVENT_OFFLINE_START	2 /* memory of a node goes offline */
#define CXLTIER_EVENT_OFFLINE_CANCEL	3 /* that offline was given up */
#define CXLTIER_EVENT_OFFLINE_DONE	4 /* that offline completed */
#define CXLTIER_EVENT_ONLINE		5 /* memory of a node came online */

/**
 * struct cxltier_event - what one read() of /dev/cxltier returns
 * @type: CXLTIER_EVENT_EPOCH
 * @reserved0: zero
 * @epoch: epochs completed so far (cxltier_get_heat.epoch)
 * @missed: epochs that ended unread before this one
 * @reserved: zero
 *
 * read() blocks (unless O_NONBLOCK: -EAGAIN) until an epoch has ended
 * since the last event read on this file, or since it was opened; poll()
 * reports EPOLLIN while such an event is unread.  A buffer shorter than
 * this struct is -EINVAL.
 */
struct cxltier_event {
	__u32 type;
	__u32 reserved0;
	__aligned_u64 epoch;
	__aligned_u64 missed;
	__aligned_u64 reserved;
};

/**
 * struct cxltier_hotplug_event - a memory hotplug event, same size as
 *	struct cxltier_event
 * @type: CXLTIER_EVENT_OFFLINE_* or CXLTIER_EVENT_ONLINE
 * @node: NUMA node of the memory
 * @start: first physical byte of the memory block range
 * @length: its bytes
 * @missed: hotplug events dropped unread before this one
 *
 * Only files that passed CXLTIER_HANDSHAKE_HOTPLUG_EVENTS get these;
 * they are returned before a pending epoch event.
 */
struct cxltier_hotplug_event {
	__u32 type;
	__s32 node;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 missed;
};

/* One past the highest ioctl number this header defines. */
#define CXLTIER_IOC_NR_END	(CXLTIER_BASE + 7)

#endif /* _UAPI_LINUX_CXLTIER_H */
