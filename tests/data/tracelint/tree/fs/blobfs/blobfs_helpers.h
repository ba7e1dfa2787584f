/* SPDX-License-Identifier: MIT */
/* lint-trace fixture (tree): a helper header included with quotes, next to the trace header. */
#define blob_store_size(b)	__entry->size = (b)->size
