/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (tree): ways a record field gets written and printed. Each clean event
 * has a defect twin of the same shape.
 */
typedef void *widget_cookie_t;

TRACE_EVENT(widget_record,
	TP_PROTO(struct widget *w, bool busy, bool ready, void *buf, widget_cookie_t cookie),
	TP_ARGS(w, busy, ready, buf, cookie),
	TP_STRUCT__entry(
		__field(u8, busy)			/* a bool stored in a u8: fine */
		__field(int, ready)			/* and in an int: fine */
		__array(u8, addr, 4)			/* filled through a cast pointer */
		__array(char, label, 8)			/* filled by a helper function */
		__array(char, tag, 8)			/* filled through "entry" */
		__field(u32, unit)			/* written through a parenthesised lvalue */
		__field(bool, has_buf)			/* a flag from a pointer: a warning only */
		__dynamic_array(u8, has_buf, 4)		/* same name as the flag: another member */
		__field(widget_cookie_t, cookie)	/* a pointer typedef printed with %p */
	),
	TP_fast_assign(
		u32 *p = (u32 *)__entry->addr;

		*p = w->addr;
		widget_fill_label(__entry->label, w);
		memcpy(entry->tag, w->tag, 8);
		(__entry->unit) = w->unit;
		__entry->busy = busy;
		__entry->ready = ready;
		__entry->has_buf = buf;
		memcpy(__get_dynamic_array(has_buf), buf, 4);
		__entry->cookie = cookie;
	),
	TP_printk("busy=%d ready=%d addr=%pI4 label=%s tag=%s unit=%u buf=%d cookie=%p",
		  __entry->busy, __entry->ready, __entry->addr, __entry->label,
		  __entry->tag, __entry->unit, __entry->has_buf, __entry->cookie)
);

/* Defects of the same shapes. */
TRACE_EVENT(widget_record_bad,
	TP_PROTO(struct widget *w, bool addr, unsigned int cookie),
	TP_ARGS(w, addr, cookie),
	TP_STRUCT__entry(
		__field(unsigned long, addr)		/* a 64-bit address fed from a bool */
		__field(u32, unit)			/* printed but never written */
		__field(u32, spare)			/* never written, never printed: warning */
		__field(unsigned int, cookie)		/* a known integer printed with %p */
	),
	TP_fast_assign(
		__entry->addr = addr;
		__entry->cookie = cookie;
	),
	TP_printk("addr=%lx unit=%u cookie=%p", __entry->addr, __entry->unit, __entry->cookie)
);

/* Configuration-dependent format: both sides of the #ifdef cannot be paired at once. */
TRACE_EVENT(widget_stats,
	TP_PROTO(struct widget *w),
	TP_ARGS(w),
	TP_STRUCT__entry(
		__field(u64, hits)
		__field(u32, depth)
	),
	TP_fast_assign(
		__entry->hits = w->hits;
		__entry->depth = w->depth;
	),
	TP_printk(
#ifdef WIDGET_DEBUG
		"hits %llu depth %u",
		__entry->hits,
#else
		"depth %u",
#endif
		__entry->depth)
);

/* A statement that is a macro from a header the linter did not read: writes are unknown. */
TRACE_EVENT(widget_remote,
	TP_PROTO(struct widget *w),
	TP_ARGS(w),
	TP_STRUCT__entry(
		__field(u32, unit)
		__field(u32, depth)
	),
	TP_fast_assign(
		WIDGET_REMOTE_STORE(w);
		__entry->depth = w->depth;
	),
	TP_printk("unit=%u depth=%u", __entry->unit, __entry->depth)
);
