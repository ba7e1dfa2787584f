// SPDX-License-Identifier: MIT
/* lint-trace fixture (tree): call sites of blobfs and widget events. */
#include "trace.h"

static int blob_read(struct blob *b, unsigned long pos, unsigned int len)
{
	unsigned long *where = &b->where;

	trace_blobfs_read(b, pos, len);		/* right */
	trace_blobfs_read(b, len, pos);		/* swapped: the fix is certain */
	trace_blobfs_read(b, pos);		/* one argument short */
	trace_blobfs_read(b, where, len);	/* a pointer for the integer 'pos' */
	trace_blobfs_read(7, pos, len);		/* an integer for the pointer 'b' */
	trace_blobfs_read(NULL, 0, 0);		/* NULL and 0 fit anything */
	trace_blobfs_read(b, b->size, pos);	/* 'pos' (declared unsigned long) lands in 'len' */
	return 0;
}

/* The caller's own names are swapped relative to TP_PROTO, but its types say the order is right. */
static void blob_seek(struct widget *to, unsigned long w)
{
	trace_widget_seek(to, w, w);
}

#define BLOB_TRACE(b) trace_blobfs_read(b, 0)	/* inside a macro body: not a call */

/* 'len' is declared with the type of parameter 3 and named like it, but passed as argument 2. */
static void blob_tail(struct blob *b, unsigned int len, unsigned long ip)
{
	trace_blobfs_read(b, len, ip);
}

/* A file-scope 'pos' whose type the call-site check does not look up: only a warning. */
static unsigned long pos;

static void blob_hint(struct blob *b)
{
	trace_blobfs_read(b, b->size, pos);
}
