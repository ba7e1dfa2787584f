// SPDX-License-Identifier: MIT
/*
 * lint-trace fixture: a caller of trace_mm_khugepaged_collapse_file() written for the
 * fixed prototype (37f0b47c5143): it passes addr before is_shmem.
 */
#include <linux/mm.h>
#include <trace/events/huge_memory.h>

static int collapse_file(struct mm_struct *mm, unsigned long addr,
			 struct file *file, pgoff_t start, struct page *hpage)
{
	bool is_shmem = shmem_file(file);
	pgoff_t index = start;
	int nr = 0, result = 1;

	trace_mm_khugepaged_collapse_file(mm, hpage, index, addr, is_shmem,
					  file, nr, result);
	return result;
}
