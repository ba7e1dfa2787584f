/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (defect): a reduced mm_khugepaged_collapse_file as added by
 * 4c9473e87e75. The record and TP_ARGS were reordered to (addr, is_shmem) for
 * packing but TP_PROTO kept (is_shmem, addr), and addr is printed with %ld.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM lint_fixture

#if !defined(_LINT_FIXTURE_COLLAPSE_FILE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _LINT_FIXTURE_COLLAPSE_FILE_H

#include <linux/tracepoint.h>

TRACE_EVENT(mm_khugepaged_collapse_file,
	TP_PROTO(struct mm_struct *mm, struct page *hpage, pgoff_t index,
		 bool is_shmem, unsigned long addr, struct file *file,
		 int nr, int result),
	TP_ARGS(mm, hpage, index, addr, is_shmem, file, nr, result),
	TP_STRUCT__entry(
		__field(struct mm_struct *, mm)
		__field(unsigned long, hpfn)
		__field(pgoff_t, index)
		__field(unsigned long, addr)
		__field(bool, is_shmem)
		__string(filename, file->f_path.dentry->d_iname)
		__field(int, nr)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->mm = mm;
		__entry->hpfn = hpage ? page_to_pfn(hpage) : -1;
		__entry->index = index;
		__entry->addr = addr;
		__entry->is_shmem = is_shmem;
		__assign_str(filename, file->f_path.dentry->d_iname);
		__entry->nr = nr;
		__entry->result = result;
	),
	TP_printk("mm=%p hpage_pfn=0x%lx index=%ld addr=%ld is_shmem=%d file=%s nr=%d result=%d",
		  __entry->mm, __entry->hpfn, __entry->index, __entry->addr,
		  __entry->is_shmem, __get_str(filename), __entry->nr, __entry->result)
);

#endif /* _LINT_FIXTURE_COLLAPSE_FILE_H */
#include <trace/define_trace.h>
