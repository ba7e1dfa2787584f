/* SPDX-License-Identifier: MIT */
/* lint-trace fixture (tree): a subsystem-local trace header, found by directory search. */
TRACE_EVENT(blobfs_read,
	TP_PROTO(struct blob *b, unsigned long pos, unsigned int len),
	TP_ARGS(b, pos, len),
	TP_STRUCT__entry(
		__field(unsigned long, pos)
		__field(unsigned int, len)
	),
	TP_fast_assign(
		__entry->pos = pos;
		__entry->len = len;
	),
	TP_printk("pos=%lu len=%u", __entry->pos, __entry->len)
);

/* An event that cannot be read (the prototype is not C): skipped with a note, not the file. */
TRACE_EVENT(blobfs_broken,
	TP_PROTO(struct blob *b unsigned long pos),
	TP_ARGS(b, pos),
	TP_STRUCT__entry(
		__field(unsigned long, pos)
	),
	TP_fast_assign(
		__entry->pos = pos;
	),
	TP_printk("pos=%lu", __entry->pos)
);

#include "blobfs_helpers.h"

/* 'size' is written by a helper from the quoted include (found without --tree); 'owner' by a
 * macro the linter never sees, which receives it as a whole argument. 'spare' is only read. */
TRACE_EVENT(blobfs_stat,
	TP_PROTO(struct blob *b),
	TP_ARGS(b),
	TP_STRUCT__entry(
		__field(unsigned long, size)
		__field(void *, owner)
		__field(u32, spare)
		__field(u32, copy)
	),
	TP_fast_assign(
		blob_store_size(b);
		blob_get_owner(__entry->owner, b);
		__entry->copy = __entry->spare + 1;
	),
	TP_printk("size=%lu owner=%p spare=%u copy=%u", __entry->size, __entry->owner,
		  __entry->spare, __entry->copy)
);
