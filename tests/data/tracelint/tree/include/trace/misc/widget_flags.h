/* SPDX-License-Identifier: MIT */
/* lint-trace fixture (tree): printk helpers in a header that trace headers #include. */
#define show_widget_flags(f)	__print_flags(f, "|", { 1, "OPEN" }, { 2, "BUSY" })
/* Two values for one call: "%d" alone in the format above is one conversion short. */
#define widget_first_flag(f)	(f) & 1, (f) & 2
