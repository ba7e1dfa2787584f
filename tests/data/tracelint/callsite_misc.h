/* SPDX-License-Identifier: MIT */
/* lint-trace fixture: events for callsite_misc.c (rule T4 corner cases). */
#include <linux/tracepoint.h>

TRACE_EVENT(mm_vma_event,
	TP_PROTO(struct vm_area_struct *vma, unsigned long start, const char *name),
	TP_ARGS(vma, start, name),
	TP_STRUCT__entry(
		__field(unsigned long, start)
		__string(name, name)
	),
	TP_fast_assign(
		__entry->start = start;
		__assign_str(name);
	),
	TP_printk("start=%lx name=%s", __entry->start, __get_str(name))
);

DECLARE_TRACE(mm_bare_event,
	TP_PROTO(struct mm_struct *mm, int nr),
	TP_ARGS(mm, nr));
