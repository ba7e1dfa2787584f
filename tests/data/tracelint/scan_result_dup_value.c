// SPDX-License-Identifier: MIT
/*
 * lint-trace fixture (defect): two members of enum scan_result share a value,
 * so __print_symbolic() can only ever show the first one's string.
 */
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
	SCAN_COPY_MC = 1 << 4,
	SCAN_PAGE_FILLED = SCAN_COPY_MC,
};
