/* SPDX-License-Identifier: MIT */
/* lint-trace fixture (bad input): an event macro that is never closed, after a good one. */
TRACE_EVENT(widget_fine,
	TP_PROTO(int v),
	TP_ARGS(v),
	TP_STRUCT__entry(__field(int, v)),
	TP_fast_assign(__entry->v = v;),
	TP_printk("v=%d", __entry->v)
);

TRACE_EVENT(widget_cut,
	TP_PROTO(int v),
	TP_ARGS(v),
	TP_STRUCT__entry(__field(int, v)
