/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * units: parse and print sizes, rates and durations the way config files
 * and command lines write them ("2MiB", "512M", "1.5GiB", "250ms", "2s").
 */
#ifndef CXLTIER_UNITS_H
#define CXLTIER_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a byte size: a decimal number with an optional fraction and an
 * optional suffix: B, K/KiB, M/MiB, G/GiB, T/TiB (powers of 1024) or
 * kB/MB/GB/TB (powers of 1000).  Whitespace around is allowed.
 * 0 or -EINVAL (not a size) / -ERANGE (does not fit in 64 bits).
 */
int units_parse_size(const char *s, uint64_t *bytes);

/*
 * Parse a duration in milliseconds: a number with an optional suffix
 * ms (default), s, m(in), h.  0, -EINVAL or -ERANGE.
 */
int units_parse_ms(const char *s, uint64_t *ms);

/*
 * Parse a percentage into basis points (1% = 100, 100% = 10000): a
 * number with an optional fraction and a required "%" sign ("95%",
 * "92.5%").  Digits beyond the hundredth of a percent are dropped.
 * 0, -EINVAL or -ERANGE.
 */
int units_parse_percent(const char *s, uint64_t *basis_points);

/*
 * Parse a rate in bytes per second: a size with a per-second suffix
 * (B/s, K/s, KiB/s, M/s, MiB/s, G/s, GiB/s, T/s, TiB/s; kB/s, MB/s, GB/s,
 * TB/s).  A bare number is multiplied by @bare_unit (0: the suffix is
 * required).  0, -EINVAL or -ERANGE.
 */
int units_parse_rate(const char *s, uint64_t bare_unit, uint64_t *bytes_per_s);

/*
 * Parse a plain decimal number with an optional fraction ("1.5") into
 * fixed point: the number times @scale, rounded down.  No suffix.
 * 0, -EINVAL or -ERANGE.
 */
int units_parse_decimal(const char *s, uint64_t scale, uint64_t *out);

/*
 * Print @bytes for humans, "1.50 GiB" style, into @buf.  Returns @buf.
 */
char *units_format_size(uint64_t bytes, char *buf, size_t len);

#endif /* CXLTIER_UNITS_H */
