/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture: the tokenizer's corners. TRACE_EVENT(in_a_comment, ...)
 * must not be read, nor the inside of strings, nor #if 0 blocks; spliced
 * lines keep their own line numbers.
 */
#include <linux/tracepoint.h>
#define NOT_AN_EVENT "TRACE_EVENT(in_a_string,"
// TRACE_EVENT(in_a_line_comment,

#if 0
TRACE_EVENT(dead_code, this is ( not even balanced
#endif

#if 1
#else
TRACE_EVENT(dead_else, ( neither
#endif

#ifdef CONFIG_LINT_FIXTURE
TRACE_EVENT(spliced_event,					\
	TP_PROTO(int first,					\
		 long second),					\
	TP_ARGS(second, first),					\
	TP_STRUCT__entry(					\
		__field(int, first)				\
		__field(long, second)				\
	),							\
	TP_fast_assign(						\
		__entry->first = first;				\
		__entry->second = second;			\
	),							\
	TP_printk("first=%d /* not a comment */ paren=) second=%ld",	\
		  __entry->first, __entry->second)		\
);
#else
TRACE_EVENT(spliced_event,
	TP_PROTO(int first, long second),
	TP_ARGS(first, second),
	TP_STRUCT__entry(
		__field(int, first)
		__field(long, second)
	),
	TP_fast_assign(
		__entry->first = first; /* ; ) } */
		__entry->second = second;
	),
	TP_printk("first=%s second=%ld", __entry->first, __entry->second)
);
#endif
