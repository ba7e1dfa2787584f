/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (fixed twin of event_class_mismatch.h): every event's
 * TP_ARGS repeats its TP_PROTO, and every DEFINE_EVENT* uses its class's
 * prototype. mm_collapse_elsewhere now names a class defined here.
 */
#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(mm_collapse_class,
	TP_PROTO(struct mm_struct *mm, unsigned long addr, int result),
	TP_ARGS(mm, addr, result),
	TP_STRUCT__entry(
		__field(struct mm_struct *, mm)
		__field(unsigned long, addr)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->mm = mm;
		__entry->addr = addr;
		__entry->result = result;
	),
	TP_printk("mm=%p addr=%lx result=%d",
		  __entry->mm, __entry->addr, __entry->result)
);

DEFINE_EVENT(mm_collapse_class, mm_collapse_begin,
	TP_PROTO(struct mm_struct *mm, unsigned long addr, int result),
	TP_ARGS(mm, addr, result)
);

DEFINE_EVENT(mm_collapse_class, mm_collapse_end,
	TP_PROTO(struct mm_struct *mm, unsigned long addr, int result),
	TP_ARGS(mm, addr, result)
);

DEFINE_EVENT_CONDITION(mm_collapse_class, mm_collapse_retry,
	TP_PROTO(struct mm_struct *mm,
		 unsigned long addr,
		 int result),
	TP_ARGS(mm, addr, result),
	TP_CONDITION(result != 0)
);

DECLARE_EVENT_CLASS(mm_other_class,
	TP_PROTO(struct mm_struct *mm),
	TP_ARGS(mm),
	TP_STRUCT__entry(
		__field(struct mm_struct *, mm)
	),
	TP_fast_assign(
		__entry->mm = mm;
	),
	TP_printk("mm=%p", __entry->mm)
);

DEFINE_EVENT_FN(mm_other_class, mm_collapse_elsewhere,
	TP_PROTO(struct mm_struct *mm),
	TP_ARGS(mm),
	mm_collapse_reg, mm_collapse_unreg
);

TRACE_EVENT_CONDITION(mm_collapse_cond,
	TP_PROTO(struct mm_struct *mm, int result),
	TP_ARGS(mm, result),
	TP_CONDITION(result),
	TP_STRUCT__entry(
		__field(int, result)
	),
	TP_fast_assign(
		__entry->result = result;
	),
	TP_printk("result=%d", __entry->result)
);

TRACE_EVENT_FN(mm_collapse_fn,
	TP_PROTO(int nr),
	TP_ARGS(nr),
	TP_STRUCT__entry(
		__field(int, nr)
	),
	TP_fast_assign(
		__entry->nr = nr;
	),
	TP_printk("nr=%d", __entry->nr),
	mm_collapse_fn_reg, mm_collapse_fn_unreg
);

DEFINE_EVENT_PRINT(mm_collapse_class, mm_collapse_print,
	TP_PROTO(struct mm_struct *mm, unsigned long addr, int result),
	TP_ARGS(mm, addr, result),
	TP_printk("addr=%lx", __entry->addr)
);

DECLARE_TRACE(mm_collapse_bare,
	TP_PROTO(struct mm_struct *mm, int nr),
	TP_ARGS(mm, nr)
);

/* A DEFINE_EVENT may also name a TRACE_EVENT as its template. */
DEFINE_EVENT(mm_collapse_fn, mm_collapse_fn_again,
	TP_PROTO(int nr),
	TP_ARGS(nr)
);
