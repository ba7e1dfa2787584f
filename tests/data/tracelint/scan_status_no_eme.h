/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (defect): the last SCAN_STATUS entry uses EM(), so the
 * __print_symbolic() expansion ends in a stray comma.
 */
#include <linux/tracepoint.h>

#define SCAN_STATUS						\
	EM( SCAN_FAIL,	"failed")	\
	EM( SCAN_SUCCEED,	"succeeded")	\
	EM( SCAN_PMD_NULL,	"pmd_null")	\
	EM( SCAN_PMD_NONE,	"pmd_none")	\
	EM( SCAN_PAGE_RO,	"no_writable_page")	\
	EM( SCAN_PAGE_LOCK,	"page_locked")	\
	EM( SCAN_TRUNCATED,	"truncated")	\
	EM( SCAN_PAGE_HAS_PRIVATE,	"page_has_private")	\
	EM( SCAN_STORE_FAILED,	"store_failed")	\
	EM( SCAN_COPY_MC,	"copy_poisoned_page")	\
	EM( SCAN_PAGE_FILLED,	"page_filled")

#undef EM
#undef EMe
#define EM(a, b)	TRACE_DEFINE_ENUM(a);
#define EMe(a, b)	TRACE_DEFINE_ENUM(a);

SCAN_STATUS

#undef EM
#undef EMe
#define EM(a, b)	{a, b},
#define EMe(a, b)	{a, b}

TRACE_EVENT(mm_collapse_status,
	TP_PROTO(struct mm_struct *mm, int status),
	TP_ARGS(mm, status),
	TP_STRUCT__entry(
		__field(struct mm_struct *, mm)
		__field(int, status)
	),
	TP_fast_assign(
		__entry->mm = mm;
		__entry->status = status;
	),
	TP_printk("mm=%p status=%s", __entry->mm,
		  __print_symbolic(__entry->status, SCAN_STATUS))
);
