/* SPDX-License-Identifier: MIT */
#include <linux/tracepoint.h>

/* lint-trace fixture (bad input): this comment is never closed.
DECLARE_TRACE(mm_in_comment,
	TP_PROTO(int nr),
	TP_ARGS(nr));
