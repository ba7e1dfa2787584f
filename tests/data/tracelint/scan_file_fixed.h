/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (fixed twin of scan_file_filename_deref.h): after
 * 045634ff1e86 the event takes the struct file and dereferences it in
 * TP_fast_assign, so the work happens only when the event fires.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM lint_fixture

#if !defined(_LINT_FIXTURE_SCAN_FILE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _LINT_FIXTURE_SCAN_FILE_H

#include <linux/tracepoint.h>

TRACE_EVENT(mm_khugepaged_scan_file,
	TP_PROTO(struct mm_struct *mm, struct page *page, struct file *file,
		 int present, int result),
	TP_ARGS(mm, page, file, present, result),
	TP_STRUCT__entry(
		__field(struct mm_struct *, mm)
		__field(unsigned long, pfn)
		__string(filename, file->f_path.dentry->d_iname)
		__field(int, present)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->mm = mm;
		__entry->pfn = page ? page_to_pfn(page) : -1;
		__assign_str(filename, file->f_path.dentry->d_iname);
		__entry->present = present;
		__entry->result = result;
	),
	TP_printk("mm=%p scan_pfn=0x%lx filename=%s present=%d result=%d",
		  __entry->mm, __entry->pfn, __get_str(filename),
		  __entry->present, __entry->result)
);

#endif /* _LINT_FIXTURE_SCAN_FILE_H */
#include <trace/define_trace.h>
