// SPDX-License-Identifier: MIT
/*
 * lint-trace fixture: the caller as it was before 37f0b47c5143, passing the TP_PROTO
 * order of the time (is_shmem before addr).
 */
#include <linux/mm.h>
#include <trace/events/huge_memory.h>

static int collapse_file(struct mm_struct *mm, unsigned long addr,
			 struct file *file, pgoff_t start, struct page *hpage)
{
	bool is_shmem = shmem_file(file);
	pgoff_t index = start;
	int nr = 0, result = 1;

	trace_mm_khugepaged_collapse_file(mm, hpage, index, is_shmem, addr,
					  file, nr, result);
	return result;
}
