/* SPDX-License-Identifier: GPL-2.0 */
/*
 * peer_limits: what each peer uid may hold at once (connections,
 * registered buffers, outstanding MOVE requests), so that one local
 * user cannot take the agent from the others.  Root is held to the
 * global connection limit only, and the last @root_reserve connections
 * are root's: the operator and root-run runtimes always get in.
 *
 * Books: an account exists while its uid has a connection; buffers and
 * requests are charged to the uid of the connection that made them and
 * given back when they go.  peer_limits_account() lets a checker see
 * them.
 */
#ifndef CXLTIERD_PEER_LIMITS_H
#define CXLTIERD_PEER_LIMITS_H

#include <stddef.h>
#include <sys/types.h>

/* Defaults, as cxltierd.conf(5) [socket] documents them. */
#define PEER_MAX_CLIENTS		256U
#define PEER_ROOT_RESERVE		16U
#define PEER_CLIENTS_PER_UID		16U
#define PEER_BUFFERS_PER_UID		1024U
#define PEER_REQUESTS_PER_UID		16U

/* Why a connection was refused (the metrics' reason label). */
enum peer_refusal {
	PEER_REFUSED_ACCESS,	/* neither root nor in the group */
	PEER_REFUSED_CREDS,	/* no credentials */
	PEER_REFUSED_FULL,	/* max_clients reached */
	PEER_REFUSED_RESERVED,	/* only root's reserve left */
	PEER_REFUSED_UID,	/* this uid's connections reached */
	PEER_NR_REFUSALS,
};

/* The reason's name in logs and metrics ("uid_limit"). */
const char *peer_refusal_name(enum peer_refusal r);

/**
 * struct peer_limits_cfg - the limits
 * @max_clients: connections at once, all uids together
 * @root_reserve: of those, how many only root may take
 * @clients_per_uid: connections of one non-root uid
 * @buffers_per_uid: registered buffers of one non-root uid
 * @requests_per_uid: queued MOVE requests of one non-root uid
 */
struct peer_limits_cfg {
	unsigned int max_clients;
	unsigned int root_reserve;
	unsigned int clients_per_uid;
	unsigned int buffers_per_uid;
	unsigned int requests_per_uid;
};

/**
 * struct peer_account - what one uid holds
 * @uid: the uid
 * @clients: its connections
 * @buffers: buffers registered on them
 * @requests: MOVE requests they queued, not yet taken
 */
struct peer_account {
	uid_t uid;
	unsigned int clients;
	unsigned int buffers;
	unsigned int requests;
};

/**
 * struct peer_limits - the limits and the accounts
 * @cfg: limits
 * @nr_clients: connections of every uid
 * @nr: accounts in use
 * @acct: @cfg.max_clients accounts (one uid per connection at most)
 */
struct peer_limits {
	struct peer_limits_cfg cfg;
	unsigned int nr_clients;
	unsigned int nr;
	struct peer_account *acct;
};

/* Defaults into @cfg. */
void peer_limits_defaults(struct peer_limits_cfg *cfg);
/* 0, -EINVAL (a limit of 0, or a reserve that leaves no room), -ENOMEM. */
int peer_limits_init(struct peer_limits *pl, const struct peer_limits_cfg *cfg);
void peer_limits_fini(struct peer_limits *pl);

/*
 * A connection of @uid: charged and 0, or refused with -EUSERS and
 * *@why (PEER_REFUSED_FULL, _RESERVED or _UID).
 */
int peer_limits_connect(struct peer_limits *pl, uid_t uid,
			enum peer_refusal *why);
void peer_limits_disconnect(struct peer_limits *pl, uid_t uid);

/* A buffer of @uid: 0 or -ENOSPC.  _put gives it back. */
int peer_limits_buffer_get(struct peer_limits *pl, uid_t uid);
void peer_limits_buffer_put(struct peer_limits *pl, uid_t uid);

/* A queued request of @uid: 0 or -EBUSY.  _put gives it back. */
int peer_limits_request_get(struct peer_limits *pl, uid_t uid);
void peer_limits_request_put(struct peer_limits *pl, uid_t uid);

/* The account of @uid, NULL when it has no connection. */
const struct peer_account *peer_limits_account(const struct peer_limits *pl,
					       uid_t uid);

#endif /* CXLTIERD_PEER_LIMITS_H */
