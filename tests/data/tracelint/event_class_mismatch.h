/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (defect): an event class, the DEFINE_EVENT family and
 * TRACE_EVENT variants whose prototypes and argument lists disagree (rule T1).
 * event_class_fixed.h is the corrected twin.
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

/* TP_ARGS permutes the event's own TP_PROTO. */
DEFINE_EVENT(mm_collapse_class, mm_collapse_begin,
	TP_PROTO(struct mm_struct *mm, unsigned long addr, int result),
	TP_ARGS(mm, result, addr)
);

/* TP_PROTO gives addr a type the class does not have. */
DEFINE_EVENT(mm_collapse_class, mm_collapse_end,
	TP_PROTO(struct mm_struct *mm, bool addr, int result),
	TP_ARGS(mm, addr, result)
);

/* TP_PROTO has the class's names in another order. */
DEFINE_EVENT_CONDITION(mm_collapse_class, mm_collapse_retry,
	TP_PROTO(struct mm_struct *mm,
		 int result,
		 unsigned long addr),
	TP_ARGS(mm, result, addr),
	TP_CONDITION(result != 0)
);

/* The class lives elsewhere: nothing to compare with (warning only). */
DEFINE_EVENT(mm_other_class, mm_collapse_elsewhere,
	TP_PROTO(struct mm_struct *mm),
	TP_ARGS(mm)
);

/* TP_ARGS is one name short. */
TRACE_EVENT_CONDITION(mm_collapse_cond,
	TP_PROTO(struct mm_struct *mm, int result),
	TP_ARGS(mm),
	TP_CONDITION(result),
	TP_STRUCT__entry(
		__field(int, result)
	),
	TP_fast_assign(
		__entry->result = result;
	),
	TP_printk("result=%d", __entry->result)
);

/* TP_ARGS holds an expression instead of a name. */
TRACE_EVENT_FN(mm_collapse_fn,
	TP_PROTO(int nr),
	TP_ARGS(nr + 1),
	TP_STRUCT__entry(
		__field(int, nr)
	),
	TP_fast_assign(
		__entry->nr = nr;
	),
	TP_printk("nr=%d", __entry->nr),
	mm_collapse_fn_reg, mm_collapse_fn_unreg
);

/* DEFINE_EVENT_PRINT prints the class's record: %d is too narrow for addr. */
DEFINE_EVENT_PRINT(mm_collapse_class, mm_collapse_print,
	TP_PROTO(struct mm_struct *mm, unsigned long addr, int result),
	TP_ARGS(mm, addr, result),
	TP_printk("addr=%d", __entry->addr)
);

/* A bare tracepoint: TP_ARGS names a parameter twice. */
DECLARE_TRACE(mm_collapse_bare,
	TP_PROTO(struct mm_struct *mm, int nr),
	TP_ARGS(mm, mm)
);
