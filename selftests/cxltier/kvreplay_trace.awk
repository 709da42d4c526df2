# SPDX-License-Identifier: GPL-2.0
#
# A small KV-cache trace in the Mooncake format (see kvreplay(1)), the
# same every time: 400 requests, one every 200 ms, each reading a shared
# prefix of one of 60 documents (popularity skewed towards the first
# ones: a pseudo-random u in [0, 1) picks document 60 u^2) and then 4
# blocks of its own.  kvreplay_real.sh and make demo (without a trace of
# one's own) replay it.
#
#	awk -f kvreplay_trace.awk >trace.jsonl
BEGIN {
	seed = 12345
	for (d = 0; d < 60; d++)
		len[d] = 8 + (d * 7) % 40
	own = 1000000
	for (r = 0; r < 400; r++) {
		seed = (seed * 1103515245 + 12345) % 2147483648
		u = seed / 2147483648
		d = int(60 * u * u)
		seed = (seed * 1103515245 + 12345) % 2147483648
		n = int(len[d] / 2) + int(seed / 2147483648 * (len[d] / 2)) + 1
		line = sprintf("{\"timestamp\": %d, \"hash_ids\": [", r * 200)
		for (i = 0; i < n; i++)
			line = line sprintf("%s%d", i ? ", " : "", d * 1000 + i)
		for (i = 0; i < 4; i++)
			line = line sprintf(", %d", own++)
		print line "]}"
	}
}
