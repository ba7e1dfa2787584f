/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (defect): TP_STRUCT__entry and TP_fast_assign disagree
 * (rule T2), one defect per line. assign_type_fixed.h is the corrected twin.
 */
#include <linux/tracepoint.h>

TRACE_EVENT(mm_collapse_record,
	TP_PROTO(struct mm_struct *mm, bool addr, unsigned long is_shmem,
		 unsigned long nr, struct folio *folio, int status,
		 const char *name, int len),
	TP_ARGS(mm, addr, is_shmem, nr, folio, status, name, len),
	TP_STRUCT__entry(
		__field(struct mm_struct *, mm)
		__field(unsigned long, addr)
		__field(bool, is_shmem)
		__field(int, nr)
		__field(struct page *, page)
		__field(int, status)
		__string(name, len)
		__string(label, name)
		__array(char, comm, 16)
	),
	TP_fast_assign(
		__entry->mm = mm;
		__entry->addr = addr;
		__entry->is_shmem = is_shmem;
		__entry->nr = nr;
		__entry->page = folio;
		__assign_str(name, name);
		__entry->label = name;
		__entry->comm = name;
		__assign_str(comm, name);
		__entry->result = status;
	),
	TP_printk("addr=%lx is_shmem=%d nr=%d name=%s label=%s comm=%s",
		  __entry->addr, __entry->is_shmem, __entry->nr,
		  __get_str(name), __get_str(label), __entry->comm)
);
