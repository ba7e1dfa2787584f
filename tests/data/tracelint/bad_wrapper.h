/* SPDX-License-Identifier: MIT */
/* lint-trace fixture (bad input): the arguments are not wrapped in TP_ARGS(). */
#include <linux/tracepoint.h>

DECLARE_TRACE(mm_bad_wrapper,
	TP_PROTO(struct mm_struct *mm, int nr),
	(mm, nr));
