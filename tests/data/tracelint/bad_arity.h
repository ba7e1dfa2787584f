/* SPDX-License-Identifier: MIT */
/* lint-trace fixture (bad input): TRACE_EVENT without its TP_printk. */
#include <linux/tracepoint.h>

TRACE_EVENT(mm_short,
	TP_PROTO(int nr),
	TP_ARGS(nr),
	TP_STRUCT__entry(
		__field(int, nr)
	),
	TP_fast_assign(
		__entry->nr = nr;
	)
);
