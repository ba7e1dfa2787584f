/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (defect, visible with a call site): a reduced
 * mm_khugepaged_scan_file as added by d41fd2016ed0. The event takes a
 * ready-made "const char *filename", so every caller dereferences the file.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM lint_fixture

#if !defined(_LINT_FIXTURE_SCAN_FILE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _LINT_FIXTURE_SCAN_FILE_H

#include <linux/tracepoint.h>

TRACE_EVENT(mm_khugepaged_scan_file,
	TP_PROTO(struct mm_struct *mm, struct page *page, const char *filename,
		 int present, int result),
	TP_ARGS(mm, page, filename, present, result),
	TP_STRUCT__entry(
		__field(struct mm_struct *, mm)
		__field(unsigned long, pfn)
		__string(filename, filename)
		__field(int, present)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->mm = mm;
		__entry->pfn = page ? page_to_pfn(page) : -1;
		__assign_str(filename, filename);
		__entry->present = present;
		__entry->result = result;
	),
	TP_printk("mm=%p scan_pfn=0x%lx filename=%s present=%d result=%d",
		  __entry->mm, __entry->pfn, __get_str(filename),
		  __entry->present, __entry->result)
);

#endif /* _LINT_FIXTURE_SCAN_FILE_H */
#include <trace/define_trace.h>
