"""A small model of C types, built from pycparser declarations, for comparing and printing them.

Integer widths follow the LP64 kernel ABI (x86-64, arm64): long and pointers are 64 bits. Kernel
typedefs the linter knows (``u64``, ``pgoff_t``, ``bool``...) resolve to their C base types; any
other typedef stays ``unknown`` and is only ever compared by name. This module must not decide
what counts as a finding: the checks do that from these facts.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycparser import c_ast

# Kernel typedefs of integer types, as resolved on LP64 (include/linux/types.h, asm-generic).
_INT_TYPEDEFS: dict[str, str] = {
    "bool": "_Bool",
    "u8": "unsigned char", "u16": "unsigned short", "u32": "unsigned int", "u64": "unsigned long long",
    "s8": "signed char", "s16": "short", "s32": "int", "s64": "long long",
    "__u8": "unsigned char", "__u16": "unsigned short", "__u32": "unsigned int",
    "__u64": "unsigned long long",
    "__s8": "signed char", "__s16": "short", "__s32": "int", "__s64": "long long",
    "uint8_t": "unsigned char", "uint16_t": "unsigned short", "uint32_t": "unsigned int",
    "uint64_t": "unsigned long long",
    "int8_t": "signed char", "int16_t": "short", "int32_t": "int", "int64_t": "long long",
    "__le16": "unsigned short", "__be16": "unsigned short", "__le32": "unsigned int",
    "__be32": "unsigned int", "__le64": "unsigned long long", "__be64": "unsigned long long",
    "__sum16": "unsigned short", "__wsum": "unsigned int",
    "size_t": "unsigned long", "ssize_t": "long", "ptrdiff_t": "long",
    "uintptr_t": "unsigned long", "intptr_t": "long",
    "loff_t": "long long", "off_t": "long", "pgoff_t": "unsigned long",
    "sector_t": "unsigned long long", "blkcnt_t": "unsigned long long",
    "gfp_t": "unsigned int", "slab_flags_t": "unsigned int", "fmode_t": "unsigned int",
    "vm_fault_t": "unsigned int", "vm_flags_t": "unsigned long", "isolate_mode_t": "unsigned int",
    "dev_t": "unsigned int", "umode_t": "unsigned short", "pid_t": "int", "uid_t": "unsigned int",
    "gid_t": "unsigned int", "ino_t": "unsigned long", "nlink_t": "unsigned int",
    "clockid_t": "int", "ktime_t": "long long", "time64_t": "long long",
    "phys_addr_t": "unsigned long long", "dma_addr_t": "unsigned long long",
    "resource_size_t": "unsigned long long", "irq_hw_number_t": "unsigned long",
    "blk_opf_t": "unsigned int", "blk_status_t": "unsigned char", "xa_mark_t": "unsigned int",
    "errseq_t": "unsigned int", "netdev_features_t": "unsigned long long",
    "pteval_t": "unsigned long long", "pmdval_t": "unsigned long long",
    "pudval_t": "unsigned long long", "p4dval_t": "unsigned long long",
    "pgdval_t": "unsigned long long",
}

# Kernel typedefs of structures: passing one where a scalar is expected is always wrong.
_STRUCT_TYPEDEFS = frozenset({
    "atomic_t", "atomic64_t", "atomic_long_t", "refcount_t", "spinlock_t", "raw_spinlock_t",
    "rwlock_t", "seqcount_t", "pte_t", "pmd_t", "pud_t", "p4d_t", "pgd_t", "pgprot_t",
    "cpumask_t", "nodemask_t", "swp_entry_t", "kuid_t", "kgid_t", "uuid_t", "guid_t", "local_t",
    "wait_queue_head_t",
})

KNOWN_TYPEDEFS = frozenset(_INT_TYPEDEFS) | _STRUCT_TYPEDEFS

_INT_BITS = {"char": 8, "short": 16, "int": 32, "long": 64, "long long": 64}


@dataclass(frozen=True, slots=True)
class CType:
    """One C type. ``kind`` is bool, int, enum, float, void, pointer, array, struct, union,
    func or unknown (an unresolved typedef, named by ``base``)."""

    spelling: str  # as written, e.g. "pgoff_t" or "const char *"
    kind: str
    base: str = ""  # resolved spelling: "unsigned long", "struct page", typedef name if unknown
    bits: int | None = None
    signed: bool | None = None
    target: CType | None = None  # pointee or element type
    const: bool = False

    @property
    def is_integer(self) -> bool:
        return self.kind in ("int", "enum", "bool")

    @property
    def is_char_like(self) -> bool:
        return self.kind == "int" and self.bits == 8

    @property
    def is_string(self) -> bool:
        """A pointer to, or array of, char: what %s and __string() take."""
        return self.kind in ("pointer", "array") and self.target is not None and self.target.is_char_like

    def canonical(self) -> str:
        """A spelling in which two types are equal exactly when C treats them as the same type
        (typedefs of known kernel types resolved, top-level qualifiers ignored)."""
        if self.kind in ("pointer", "array") and self.target is not None:
            inner = self.target.canonical()
            if self.target.const:
                inner = "const " + inner
            return inner + (" *" if self.kind == "pointer" else " []")
        return self.base or self.spelling


def _normalise_int(names: list[str]) -> tuple[str, int, bool | None] | None:
    """(spelling, bits, signed) for a list of C integer specifiers, None if not an integer."""
    longs = names.count("long")
    unsigned = "unsigned" in names
    rest = [n for n in names if n not in ("long", "unsigned", "signed", "int")]
    if rest == ["char"]:
        if unsigned:
            return "unsigned char", 8, False
        if "signed" in names:
            return "signed char", 8, True
        return "char", 8, None  # the kernel builds with -funsigned-char; treat as either
    if rest == ["short"]:
        core = "short"
    elif rest:
        return None
    elif longs >= 2:
        core = "long long"
    elif longs == 1:
        core = "long"
    elif "int" in names or unsigned or "signed" in names:
        core = "int"
    else:
        return None
    spelled = ("unsigned " if unsigned else "") + core
    return spelled, _INT_BITS[core], not unsigned


def from_identifier_type(names: list[str], quals: list[str]) -> CType:
    const = "const" in quals
    spelling = " ".join([*(q for q in quals if q == "const"), *names])
    if len(names) == 1 and names[0] in _INT_TYPEDEFS:
        resolved = from_identifier_type(_INT_TYPEDEFS[names[0]].split(), [])
        return CType(spelling, resolved.kind, resolved.base, resolved.bits, resolved.signed, const=const)
    if len(names) == 1 and names[0] in _STRUCT_TYPEDEFS:
        return CType(spelling, "struct", names[0], const=const)
    if names == ["_Bool"]:
        return CType(spelling, "bool", "_Bool", 8, False, const=const)
    if names == ["void"]:
        return CType(spelling, "void", "void", const=const)
    if set(names) <= {"float", "double", "long"} and ("float" in names or "double" in names):
        return CType(spelling, "float", " ".join(names), 64, True, const=const)
    integer = _normalise_int(names)
    if integer is not None:
        base, bits, signed = integer
        return CType(spelling, "int", base, bits, signed, const=const)
    return CType(spelling, "unknown", " ".join(names), const=const)


def from_ast(node: c_ast.Node) -> CType:
    """Convert a pycparser type node (TypeDecl, PtrDecl, ArrayDecl, FuncDecl, Typename...)."""
    if isinstance(node, (c_ast.Typename, c_ast.Decl)):
        return from_ast(node.type)
    if isinstance(node, c_ast.TypeDecl):
        quals = list(node.quals or [])
        inner = node.type
        const = "const" in quals
        prefix = "const " if const else ""
        if isinstance(inner, c_ast.IdentifierType):
            return from_identifier_type(list(inner.names), quals)
        if isinstance(inner, c_ast.Struct):
            base = f"struct {inner.name or '<anonymous>'}"
            return CType(prefix + base, "struct", base, const=const)
        if isinstance(inner, c_ast.Union):
            base = f"union {inner.name or '<anonymous>'}"
            return CType(prefix + base, "union", base, const=const)
        if isinstance(inner, c_ast.Enum):
            base = f"enum {inner.name or '<anonymous>'}"
            return CType(prefix + base, "enum", base, 32, None, const=const)
        return CType(prefix + "?", "unknown", "?", const=const)
    if isinstance(node, c_ast.PtrDecl):
        target = from_ast(node.type)
        const = "const" in (node.quals or [])
        if target.kind == "func":
            # A function pointer: the FuncDecl spelling already reads "ret (*)(...)".
            return CType(target.spelling, "pointer", bits=64, target=target, const=const)
        return CType(f"{target.spelling} *", "pointer", bits=64, target=target, const=const)
    if isinstance(node, c_ast.ArrayDecl):
        target = from_ast(node.type)
        return CType(f"{target.spelling} []", "array", target=target)
    if isinstance(node, c_ast.FuncDecl):
        ret = from_ast(node.type)
        return CType(f"{ret.spelling} (*)(...)", "func", f"{ret.canonical()} (*)(...)")
    return CType("?", "unknown", "?")


def describe(t: CType) -> str:
    """The spelling, plus what a typedef hides, as GCC does: 'pgoff_t {aka unsigned long}'."""
    if t.kind == "int" and t.base and t.base != t.spelling.replace("const ", ""):
        return f"{t.spelling} {{aka {t.base}}}"  # as GCC prints a typedef
    return t.spelling


def declaration(t: CType, name: str) -> str:
    """'unsigned long addr', 'struct page *page'."""
    return f"{t.spelling}{name}" if t.spelling.endswith("*") else f"{t.spelling} {name}"


def article(phrase: str) -> str:
    """'a bool', 'an unsigned long'."""
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase
