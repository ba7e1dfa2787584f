/* SPDX-License-Identifier: MIT */
/* lint-trace fixture (bad input): an EM() entry without its string. */
#define SCAN_STATUS				\
	EM( SCAN_FAIL,	"failed")		\
	EMe(SCAN_SUCCEED)
