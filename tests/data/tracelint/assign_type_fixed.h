/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (fixed twin of assign_type_mismatch.h): every field has
 * the type of the parameter it is fed from, and data_loc fields and arrays are
 * filled through their helpers.
 */
#include <linux/tracepoint.h>

TRACE_EVENT(mm_collapse_record,
	TP_PROTO(struct mm_struct *mm, unsigned long addr, bool is_shmem,
		 int nr, struct page *page, int status,
		 const char *name, int len),
	TP_ARGS(mm, addr, is_shmem, nr, page, status, name, len),
	TP_STRUCT__entry(
		__field(struct mm_struct *, mm)
		__field(unsigned long, addr)
		__field(bool, is_shmem)
		__field(int, nr)
		__field(struct page *, page)
		__field(int, status)
		__string(name, name)
		__string(label, name)
		__array(char, comm, 16)
		__field(long, len)
	),
	TP_fast_assign(
		__entry->mm = mm;
		__entry->addr = addr;
		__entry->is_shmem = is_shmem;
		__entry->nr = nr;
		__entry->page = page;
		__entry->status = status;
		__assign_str(name, name);
		__assign_str(label);
		strscpy(__entry->comm, name, sizeof(__entry->comm));
		__entry->len = len;
	),
	TP_printk("addr=%lx is_shmem=%d nr=%d status=%d name=%s label=%s comm=%s len=%ld",
		  __entry->addr, __entry->is_shmem, __entry->nr, __entry->status,
		  __get_str(name), __get_str(label), __entry->comm, __entry->len)
);
