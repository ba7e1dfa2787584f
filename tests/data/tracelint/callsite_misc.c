// SPDX-License-Identifier: MIT
/* lint-trace fixture: call sites of the events in callsite_misc.h. */
#include <linux/mm.h>

#define TRACE_IT(v) trace_mm_vma_event(v, v->vm_start, v->vm_file->f_path.dentry->d_iname)

static void callers(struct vm_area_struct *vma, struct mm_struct *mm,
		    struct my_ops *ops, const char *name)
{
	int nr = 1;

	/* trace_mm_vma_event(vma, vma->vm_start, vma->name); is only a comment */
	trace_mm_vma_event(vma, vma->vm_start, name);
	trace_mm_vma_event(vma, start_of(vma), name_of(vma));
	trace_mm_bare_event_tp(mm, nr, 0);
	trace_mm_bare_event_rcuidle(mm, nr);
	ops->trace_mm_bare_event(mm->owner, nr);
#if 0
	trace_mm_vma_event(vma->vm_mm, vma, vma->vm_file->f_path.dentry->d_iname);
#endif
	trace_mm_vma_event(vma, 0,
			   vma->vm_file->f_path.dentry->d_iname);
}
