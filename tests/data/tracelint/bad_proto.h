/* SPDX-License-Identifier: MIT */
/* lint-trace fixture (bad input): a comma is missing in TP_PROTO. */
#include <linux/tracepoint.h>

DECLARE_TRACE(mm_bad_proto,
	TP_PROTO(struct mm_struct *mm,
		 unsigned long addr bool is_shmem),
	TP_ARGS(mm, addr, is_shmem));
