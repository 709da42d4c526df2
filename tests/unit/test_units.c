// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/lib/units.c: the size and duration syntax of
 * config files and command lines.
 */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "units.h"

/* Every documented suffix gives its multiple; fractions are exact. */
TEST(size_suffixes)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "17B", 17 },
		{ "2K", 2048 }, { "2KiB", 2048 }, { "2k", 2048 },
		{ "2M", 2 << 20 }, { "2MiB", 2 << 20 }, { " 2 MiB ", 2 << 20 },
		{ "1G", 1ULL << 30 }, { "1.5GiB", 3ULL << 29 },
		{ "1T", 1ULL << 40 }, { "1kB", 1000 }, { "2MB", 2000000 },
		{ "3GB", 3000000000ULL }, { "0.5K", 512 },
		{ "16777215T", 16777215ULL << 40 },
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		ASSERT_EQ(0, units_parse_size(ok[i].s, &v)) TH_LOG("%s", ok[i].s);
		EXPECT_EQ(ok[i].v, v) TH_LOG("%s", ok[i].s);
	}
}

/* Garbage is -EINVAL, overflow is -ERANGE, and the output is untouched. */
TEST(size_rejects)
{
	static const char *const bad[] = {
		"", " ", "M", "-1", "+1", "1x", "1 MiBs", "1.2.3", "1e3", "0x10",
		"1 M B", "1,5G", ".", "2 mib", "nan", "inf",
	};
	uint64_t v = 77;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, units_parse_size(bad[i], &v)) TH_LOG("'%s'", bad[i]);
		EXPECT_EQ(77, v);
	}
	EXPECT_EQ(-ERANGE, units_parse_size("16777216T", &v));
	EXPECT_EQ(-ERANGE, units_parse_size("99999999999999999999", &v));
	EXPECT_EQ(-ERANGE, units_parse_size("18446744073709551615.9K", &v));
	EXPECT_EQ(77, v);
}

/* Durations default to milliseconds and accept s, m, min, h. */
TEST(durations)
{
	uint64_t v;

	ASSERT_EQ(0, units_parse_ms("250", &v));
	EXPECT_EQ(250, v);
	ASSERT_EQ(0, units_parse_ms("250ms", &v));
	EXPECT_EQ(250, v);
	ASSERT_EQ(0, units_parse_ms("1.5s", &v));
	EXPECT_EQ(1500, v);
	ASSERT_EQ(0, units_parse_ms("2min", &v));
	EXPECT_EQ(120000, v);
	ASSERT_EQ(0, units_parse_ms("1h", &v));
	EXPECT_EQ(3600000, v);
	EXPECT_EQ(-EINVAL, units_parse_ms("1d", &v));
	EXPECT_EQ(-EINVAL, units_parse_ms("5sec", &v));
	EXPECT_EQ(-EINVAL, units_parse_ms("5m", &v));
	EXPECT_EQ(-EINVAL, units_parse_ms("s", &v));
}

/* Percentages need the % sign and keep two decimals, in basis points. */
TEST(percent)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0%", 0 }, { "95%", 9500 }, { " 92.5 % ", 9250 },
		{ "100%", 10000 }, { "0.01%", 1 }, { "0.019%", 1 },
		{ "250%", 25000 },
	};
	static const char *const bad[] = {
		"", "%", "95", "0.95", "95 %%", "-5%", "95pct", "1e2%", "5%5",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ASSERT_EQ(0, units_parse_percent(ok[i].s, &v)) TH_LOG("%s", ok[i].s);
		EXPECT_EQ(ok[i].v, v) TH_LOG("%s", ok[i].s);
	}
	v = 77;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, units_parse_percent(bad[i], &v)) TH_LOG("'%s'", bad[i]);
	}
	EXPECT_EQ(-ERANGE, units_parse_percent("999999999999999999%", &v));
	EXPECT_EQ(77, v);
}

/* Rates take a per-second suffix; a bare number uses the caller's unit. */
TEST(rate)
{
	uint64_t v = 0;

	ASSERT_EQ(0, units_parse_rate("256MiB/s", 0, &v));
	EXPECT_EQ(256ULL << 20, v);
	ASSERT_EQ(0, units_parse_rate("1.5 GiB/s", 0, &v));
	EXPECT_EQ(3ULL << 29, v);
	ASSERT_EQ(0, units_parse_rate("10MB/s", 0, &v));
	EXPECT_EQ(10000000, v);
	ASSERT_EQ(0, units_parse_rate("100", 1 << 20, &v));
	EXPECT_EQ(100ULL << 20, v);
	v = 5;
	EXPECT_EQ(-EINVAL, units_parse_rate("100", 0, &v));
	EXPECT_EQ(-EINVAL, units_parse_rate("100MiB", 1 << 20, &v));
	EXPECT_EQ(-EINVAL, units_parse_rate("100MiB/h", 1 << 20, &v));
	EXPECT_EQ(-EINVAL, units_parse_rate("/s", 1 << 20, &v));
	EXPECT_EQ(-ERANGE, units_parse_rate("16777216TiB/s", 0, &v));
	EXPECT_EQ(-ERANGE, units_parse_rate("17592186044416", 1 << 20, &v));
	EXPECT_EQ(5, v);
}

/* Decimals become fixed point, rounded down; no suffix is allowed. */
TEST(decimal)
{
	uint64_t v = 0;

	ASSERT_EQ(0, units_parse_decimal("1.5", 1 << 16, &v));
	EXPECT_EQ(3 << 15, v);
	ASSERT_EQ(0, units_parse_decimal("0", 1 << 16, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, units_parse_decimal("0.00001", 1 << 16, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, units_parse_decimal("281474976710655", 1 << 16, &v));
	EXPECT_EQ(0xffffffffffff0000ULL, v);
	v = 9;
	EXPECT_EQ(-ERANGE, units_parse_decimal("281474976710656", 1 << 16, &v));
	EXPECT_EQ(-EINVAL, units_parse_decimal("1.5x", 1 << 16, &v));
	EXPECT_EQ(-EINVAL, units_parse_decimal("1.5B", 1 << 16, &v));
	EXPECT_EQ(-EINVAL, units_parse_decimal("", 1 << 16, &v));
	EXPECT_EQ(-EINVAL, units_parse_decimal("1", 0, &v));
	EXPECT_EQ(9, v);
}

/* Human sizes pick the largest unit and truncate to two decimals. */
TEST(format)
{
	char buf[32];

	EXPECT_STREQ("0 B", units_format_size(0, buf, sizeof(buf)));
	EXPECT_STREQ("1023 B", units_format_size(1023, buf, sizeof(buf)));
	EXPECT_STREQ("1.00 KiB", units_format_size(1024, buf, sizeof(buf)));
	EXPECT_STREQ("1.50 GiB", units_format_size(3ULL << 29, buf, sizeof(buf)));
	EXPECT_STREQ("15.99 EiB", units_format_size(UINT64_MAX, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
