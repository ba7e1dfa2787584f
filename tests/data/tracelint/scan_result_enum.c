// SPDX-License-Identifier: MIT
/*
 * lint-trace fixture: an enum scan_result in the style of mm/khugepaged.c
 * (reduced), next to an unrelated enum the linter must not pick.
 */
#include <linux/mm.h>

enum khugepaged_mode {
	KHUGEPAGED_IDLE,
	KHUGEPAGED_SCANNING,
};

enum scan_result {
	SCAN_FAIL,
	SCAN_SUCCEED,
	SCAN_PMD_NULL,
	SCAN_PMD_NONE,
	SCAN_PAGE_RO,
	SCAN_PAGE_LOCK,
	SCAN_TRUNCATED,
	SCAN_PAGE_HAS_PRIVATE,
	SCAN_STORE_FAILED,
	SCAN_COPY_MC,
	SCAN_PAGE_FILLED,
};

static int khugepaged_scan_result(void)
{
	return SCAN_SUCCEED;
}
