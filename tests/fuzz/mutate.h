/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mutate: text mutations for the parser drivers: flip, insert, delete,
 * duplicate, and splice a snippet from the driver's dictionary in, at
 * random places of a seed text.
 */
#ifndef CXLTIER_FUZZ_MUTATE_H
#define CXLTIER_FUZZ_MUTATE_H

#include "fuzz.h"

/*
 * Mutate the NUL-terminated @buf (at most @room bytes with the NUL) a
 * few times; @dict holds @ndict snippets.  Returns the new length.
 */
static inline size_t fuzz_mutate(struct fuzz_run *r, char *buf, size_t len,
				 size_t room, const char *const *dict,
				 size_t ndict)
{
	static const char specials[] = "\n\r\t =[]\"#;,-.%/:{}0123456789\\";
	int rounds = 1 + (int)fuzz_below(r, 6), k;

	for (k = 0; k < rounds; k++) {
		size_t at = fuzz_below(r, (uint32_t)len + 1), n, i;
		const char *snip;

		switch (fuzz_below(r, 7)) {
		case 0:	/* flip a bit */
			if (len)
				buf[fuzz_below(r, (uint32_t)len)] ^= (char)(1 << fuzz_below(r, 8));
			break;
		case 1:	/* a special character */
			if (len + 1 < room) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = specials[fuzz_below(r, sizeof(specials) - 1)];
				len++;
			}
			break;
		case 2:	/* delete a span */
			n = fuzz_below(r, 16) + 1;
			if (at + n > len)
				n = len - at;
			memmove(buf + at, buf + at + n, len - at - n);
			len -= n;
			break;
		case 3:	/* duplicate a span */
			n = fuzz_below(r, 64) + 1;
			if (at + n > len)
				n = len - at;
			if (len + n < room) {
				memmove(buf + at + n, buf + at, len - at);
				len += n;
			}
			break;
		case 4:	/* any byte */
			if (len)
				buf[fuzz_below(r, (uint32_t)len)] = (char)fuzz_u64(r);
			break;
		case 5:	/* a long run of one byte */
			n = fuzz_below(r, 2000);
			if (len + n < room) {
				memmove(buf + at + n, buf + at, len - at);
				memset(buf + at, "a9 \n["[fuzz_below(r, 5)], n);
				len += n;
			}
			break;
		default: /* a snippet */
			snip = dict[fuzz_below(r, (uint32_t)ndict)];
			n = strlen(snip);
			if (len + n < room) {
				memmove(buf + at + n, buf + at, len - at);
				memcpy(buf + at, snip, n);
				len += n;
			}
			break;
		}
		/* No NUL inside: the parsers take C strings or files. */
		for (i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
	}
	buf[len] = '\0';
	return len;
}

#endif /* CXLTIER_FUZZ_MUTATE_H */
