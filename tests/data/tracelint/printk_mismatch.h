/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (defect): TP_printk conversions that do not fit their
 * arguments (rule T3). printk_fixed.h is the corrected twin.
 */
#include <linux/tracepoint.h>

TRACE_EVENT(mm_printk_types,
	TP_PROTO(struct mm_struct *mm, unsigned long addr, bool is_shmem,
		 u64 bytes, int nr, const char *name),
	TP_ARGS(mm, addr, is_shmem, bytes, nr, name),
	TP_STRUCT__entry(
		__field(struct mm_struct *, mm)
		__field(unsigned long, addr)
		__field(bool, is_shmem)
		__field(u64, bytes)
		__field(int, nr)
		__string(name, name)
	),
	TP_fast_assign(
		__entry->mm = mm;
		__entry->addr = addr;
		__entry->is_shmem = is_shmem;
		__entry->bytes = bytes;
		__entry->nr = nr;
		__assign_str(name);
	),
	TP_printk("mm=%d "
		  "addr=%ld "
		  "is_shmem=%lx "
		  "bytes=%u "
		  "nr=%s "
		  "name=%s "
		  "tail=%p",
		  __entry->mm, __entry->addr, __entry->is_shmem, __entry->bytes,
		  __entry->nr, __entry->name, __entry->nr)
);

TRACE_EVENT(mm_printk_count,
	TP_PROTO(int nr, int result),
	TP_ARGS(nr, result),
	TP_STRUCT__entry(
		__field(int, nr)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->nr = nr;
		__entry->result = result;
	),
	TP_printk("nr=%d result=%d extra=%d", __entry->nr, __entry->result)
);

TRACE_EVENT(mm_printk_bad_conversion,
	TP_PROTO(int nr),
	TP_ARGS(nr),
	TP_STRUCT__entry(
		__field(int, nr)
	),
	TP_fast_assign(
		__entry->nr = nr;
	),
	TP_printk("ratio=%f nr=%d", __entry->nr, __entry->nr)
);

TRACE_EVENT(mm_printk_unknown_field,
	TP_PROTO(int nr),
	TP_ARGS(nr),
	TP_STRUCT__entry(
		__field(int, nr)
	),
	TP_fast_assign(
		__entry->nr = nr;
	),
	TP_printk("nr=%d nr_pages=%d", __entry->nr,
		  __entry->nr_pages)
);
