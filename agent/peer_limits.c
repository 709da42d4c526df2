// SPDX-License-Identifier: GPL-2.0
/*
 * peer_limits: per-uid accounts in a small array (at most one per
 * connection, so max_clients entries; a linear search over a few dozen
 * uids costs less than the system calls around it).  See peer_limits.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "peer_limits.h"

static const char *const refusal_names[PEER_NR_REFUSALS] = {
	[PEER_REFUSED_ACCESS]	= "access",
	[PEER_REFUSED_CREDS]	= "credentials",
	[PEER_REFUSED_FULL]	= "max_clients",
	[PEER_REFUSED_RESERVED]	= "root_reserve",
	[PEER_REFUSED_UID]	= "uid_limit",
};

const char *peer_refusal_name(enum peer_refusal r)
{
	return (unsigned int)r < PEER_NR_REFUSALS ? refusal_names[r] : "?";
}

void peer_limits_defaults(struct peer_limits_cfg *cfg)
{
	cfg->max_clients = PEER_MAX_CLIENTS;
	cfg->root_reserve = PEER_ROOT_RESERVE;
	cfg->clients_per_uid = PEER_CLIENTS_PER_UID;
	cfg->buffers_per_uid = PEER_BUFFERS_PER_UID;
	cfg->requests_per_uid = PEER_REQUESTS_PER_UID;
}

int peer_limits_init(struct peer_limits *pl, const struct peer_limits_cfg *cfg)
{
	memset(pl, 0, sizeof(*pl));
	if (!cfg->max_clients || !cfg->clients_per_uid || !cfg->buffers_per_uid ||
	    !cfg->requests_per_uid || cfg->root_reserve >= cfg->max_clients)
		return -EINVAL;
	pl->cfg = *cfg;
	pl->acct = calloc(cfg->max_clients, sizeof(*pl->acct));
	return pl->acct ? 0 : -ENOMEM;
}

void peer_limits_fini(struct peer_limits *pl)
{
	free(pl->acct);
	pl->acct = NULL;
	pl->nr = 0;
}

static struct peer_account *find(const struct peer_limits *pl, uid_t uid)
{
	unsigned int i;

	for (i = 0; i < pl->nr; i++)
		if (pl->acct[i].uid == uid)
			return &pl->acct[i];
	return NULL;
}

const struct peer_account *peer_limits_account(const struct peer_limits *pl,
					       uid_t uid)
{
	return find(pl, uid);
}

int peer_limits_connect(struct peer_limits *pl, uid_t uid,
			enum peer_refusal *why)
{
	struct peer_account *a = find(pl, uid);

	if (pl->nr_clients >= pl->cfg.max_clients) {
		*why = PEER_REFUSED_FULL;
		return -EUSERS;
	}
	if (uid != 0) {
		if (pl->nr_clients >= pl->cfg.max_clients - pl->cfg.root_reserve) {
			*why = PEER_REFUSED_RESERVED;
			return -EUSERS;
		}
		if (a && a->clients >= pl->cfg.clients_per_uid) {
			*why = PEER_REFUSED_UID;
			return -EUSERS;
		}
	}
	if (!a) {
		/* nr_clients < max_clients, so there is a free entry. */
		a = &pl->acct[pl->nr++];
		memset(a, 0, sizeof(*a));
		a->uid = uid;
	}
	a->clients++;
	pl->nr_clients++;
	return 0;
}

void peer_limits_disconnect(struct peer_limits *pl, uid_t uid)
{
	struct peer_account *a = find(pl, uid);

	if (!a || !a->clients)
		return;
	a->clients--;
	pl->nr_clients--;
	if (!a->clients)
		*a = pl->acct[--pl->nr];
}

int peer_limits_buffer_get(struct peer_limits *pl, uid_t uid)
{
	struct peer_account *a = find(pl, uid);

	if (!a)
		return -ENOSPC;
	if (uid != 0 && a->buffers >= pl->cfg.buffers_per_uid)
		return -ENOSPC;
	a->buffers++;
	return 0;
}

void peer_limits_buffer_put(struct peer_limits *pl, uid_t uid)
{
	struct peer_account *a = find(pl, uid);

	if (a && a->buffers)
		a->buffers--;
}

int peer_limits_request_get(struct peer_limits *pl, uid_t uid)
{
	struct peer_account *a = find(pl, uid);

	if (!a)
		return -EBUSY;
	if (uid != 0 && a->requests >= pl->cfg.requests_per_uid)
		return -EBUSY;
	a->requests++;
	return 0;
}

void peer_limits_request_put(struct peer_limits *pl, uid_t uid)
{
	struct peer_account *a = find(pl, uid);

	if (a && a->requests)
		a->requests--;
}
