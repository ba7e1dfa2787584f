/* SPDX-License-Identifier: MIT */
/*
 * lint-trace fixture (tree): EM lists. Some lists end with a terminator macro the header
 * defines itself (E_), some lists give only the code and print its name (EM(a)).
 */
#define widget_states				\
	EM(WIDGET_IDLE,		"idle")		\
	EM(WIDGET_BUSY,		"busy")		\
	E_(WIDGET_GONE,		"gone")

/* Defect: the last entry leaves a trailing comma. */
#define widget_modes				\
	EM(WIDGET_MODE_A,	"a")		\
	EM(WIDGET_MODE_B,	"b")

#define widget_families				\
	EM(WIDGET_FAMILY_X)			\
	EMe(WIDGET_FAMILY_Y)

#undef EM
#undef EMe
#undef E_
#define EM(a, b)	TRACE_DEFINE_ENUM(a);
#define E_(a, b)	TRACE_DEFINE_ENUM(a);
widget_states
widget_modes

#undef EM
#undef E_
#define EM(a, b)	{ a, b },
#define E_(a, b)	{ a, b }

TRACE_EVENT(widget_state,
	TP_PROTO(int state),
	TP_ARGS(state),
	TP_STRUCT__entry(
		__field(int, state)
	),
	TP_fast_assign(
		__entry->state = state;
	),
	TP_printk("state=%s", __print_symbolic(__entry->state, widget_states))
);

/* Entries present only in some configurations, wrapped in a macro: the wrapper is no entry. */
#ifdef CONFIG_WIDGET_TURBO
#define IF_WIDGET_TURBO(x) x
#else
#define IF_WIDGET_TURBO(x)
#endif

#define widget_speeds					\
	EM(WIDGET_SLOW,		"slow")			\
	IF_WIDGET_TURBO(EM(WIDGET_TURBO, "turbo"))	\
	EMe(WIDGET_FAST,	"fast")
