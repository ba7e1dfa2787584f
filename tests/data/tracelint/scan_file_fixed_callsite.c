// SPDX-License-Identifier: MIT
/* lint-trace fixture: the caller after 045634ff1e86 passes the file itself. */
#include <linux/fs.h>
#include <trace/events/huge_memory.h>

static int scan_file(struct mm_struct *mm, struct file *file, struct page *page)
{
	int present = 0, result = 1;

	trace_mm_khugepaged_scan_file(mm, page, file, present, result);
	return result;
}
