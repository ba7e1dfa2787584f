/* SPDX-License-Identifier: MIT */
/* lint-trace fixture (bad input): TP_PROTO is never closed. */
#include <linux/tracepoint.h>

TRACE_EVENT(mm_unbalanced,
	TP_PROTO(int nr,
	TP_ARGS(nr),
	TP_STRUCT__entry(
		__field(int, nr)
	),
	TP_fast_assign(
		__entry->nr = nr;
	),
	TP_printk("nr=%d", __entry->nr)
);
