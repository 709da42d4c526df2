// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * units: sizes and durations for config files and command lines.
 * Integer arithmetic only, so "1.5GiB" is exact and overflow is caught.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "units.h"

struct unit {
	const char *name;
	uint64_t mult;
};

/*
 * Parse "<int>[.<frac>]<suffix>" with the multiplier given by @units
 * (matched exactly: the table lists every accepted spelling).  A number
 * without a suffix is multiplied by @def_mult; 0 there makes the suffix
 * mandatory.
 */
static int parse_scaled(const char *s, const struct unit *units,
			uint64_t def_mult, uint64_t *out)
{
	uint64_t ip = 0, frac = 0, frac_div = 1, mult = def_mult, v;
	const char *p = s;
	char suffix[8];
	size_t n = 0;
	int digits = 0;

	while (isspace((unsigned char)*p))
		p++;
	while (isdigit((unsigned char)*p)) {
		if (ip > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		ip = ip * 10 + (uint64_t)(*p++ - '0');
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			/* Digits past 1e-9 cannot change an integer result. */
			if (frac_div < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
			p++;
			digits++;
		}
	}
	if (!digits)
		return -EINVAL;
	while (isspace((unsigned char)*p))
		p++;
	while (*p && !isspace((unsigned char)*p)) {
		if (n + 1 >= sizeof(suffix))
			return -EINVAL;
		suffix[n++] = *p++;
	}
	suffix[n] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return -EINVAL;

	if (!n && !def_mult)
		return -EINVAL;
	if (n) {
		const struct unit *u;

		for (u = units; u->name; u++)
			if (!strcmp(u->name, suffix))
				break;
		if (!u->name)
			return -EINVAL;
		mult = u->mult;
	}

	if (ip && mult > UINT64_MAX / ip)
		return -ERANGE;
	v = ip * mult;
	if (frac) {
		/* The fraction of one unit, rounded down to whole units. */
		uint64_t f = (uint64_t)((unsigned __int128)frac * mult / frac_div);

		if (v > UINT64_MAX - f)
			return -ERANGE;
		v += f;
	}
	*out = v;
	return 0;
}

static const struct unit size_units[] = {
	{ "B", 1 },
	{ "K", 1ULL << 10 }, { "KiB", 1ULL << 10 }, { "k", 1ULL << 10 },
	{ "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
	{ "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
	{ "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
	{ "kB", 1000ULL }, { "KB", 1000ULL },
	{ "MB", 1000ULL * 1000 },
	{ "GB", 1000ULL * 1000 * 1000 },
	{ "TB", 1000ULL * 1000 * 1000 * 1000 },
	{ NULL, 0 },
};

int units_parse_size(const char *s, uint64_t *bytes)
{
	return parse_scaled(s, size_units, 1, bytes);
}

/* Only the documented units: "5sec" or "5m" (minutes? ms?) are errors. */
static const struct unit time_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "min", 60000 },
	{ "h", 3600000 },
	{ NULL, 0 },
};

int units_parse_ms(const char *s, uint64_t *ms)
{
	return parse_scaled(s, time_units, 1, ms);
}

static const struct unit percent_units[] = {
	{ "%", 100 },
	{ NULL, 0 },
};

int units_parse_percent(const char *s, uint64_t *basis_points)
{
	return parse_scaled(s, percent_units, 0, basis_points);
}

static const struct unit rate_units[] = {
	{ "B/s", 1 },
	{ "K/s", 1ULL << 10 }, { "KiB/s", 1ULL << 10 },
	{ "M/s", 1ULL << 20 }, { "MiB/s", 1ULL << 20 },
	{ "G/s", 1ULL << 30 }, { "GiB/s", 1ULL << 30 },
	{ "T/s", 1ULL << 40 }, { "TiB/s", 1ULL << 40 },
	{ "kB/s", 1000ULL }, { "KB/s", 1000ULL },
	{ "MB/s", 1000ULL * 1000 },
	{ "GB/s", 1000ULL * 1000 * 1000 },
	{ "TB/s", 1000ULL * 1000 * 1000 * 1000 },
	{ NULL, 0 },
};

int units_parse_rate(const char *s, uint64_t bare_unit, uint64_t *bytes_per_s)
{
	return parse_scaled(s, rate_units, bare_unit, bytes_per_s);
}

static const struct unit no_units[] = {
	{ NULL, 0 },
};

int units_parse_decimal(const char *s, uint64_t scale, uint64_t *out)
{
	if (!scale)
		return -EINVAL;
	return parse_scaled(s, no_units, scale, out);
}

char *units_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int i = 0;
	uint64_t whole = bytes, rem = 0;

	while (whole >= 1024 && i + 1 < sizeof(names) / sizeof(names[0])) {
		rem = whole % 1024;
		whole /= 1024;
		i++;
	}
	if (!i)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu.%02llu %s", (unsigned long long)whole,
			 (unsigned long long)(rem * 100 / 1024), names[i]);
	return buf;
}
