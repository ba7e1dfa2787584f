// SPDX-License-Identifier: MIT
/*
 * lint-trace fixture: the caller before 045634ff1e86 digs the name out of the
 * file itself, at every call, whether or not the event is enabled.
 */
#include <linux/fs.h>
#include <trace/events/huge_memory.h>

static int scan_file(struct mm_struct *mm, struct file *file, struct page *page)
{
	int present = 0, result = 1;

	trace_mm_khugepaged_scan_file(mm, page, file->f_path.dentry->d_iname,
				      present, result);
	return result;
}
