/*
 * mm/pte.h — MMPTE: every format a page-table entry takes, and the self-map.
 *
 * A non-PAE x86 PTE is 32 bits. When bit 0 (Valid) is set the MMU reads it
 * (the hardware format); when clear, the MMU ignores the other 31 bits and
 * NT stores its own information there. mm386 uses NT's x86 formats:
 *
 *   Hard        valid: frame number and the hardware bits.
 *   Soft        not valid, not transition, not prototype: a demand-zero page
 *               (PageFileHigh == 0) or one in a paging file, with its
 *               protection in bits 5..9.
 *   Trans       a transition page: still in memory on a standby or modified
 *               list, recoverable without I/O (Transition bit 11).
 *   Proto       refers to a prototype PTE of a section (Prototype bit 10).
 *   List        a free system PTE: the link to the next free run (syspte.c).
 *
 * The self-map (PDE 0x300 points at the directory) makes the PTE of any
 * virtual address VA visible at PTE_BASE + (VA >> 12) * 4 and its PDE at
 * PDE_BASE + (VA >> 22) * 4. Every PTE access in mm/ goes through MMPTE and
 * the macros below, so a PAE build changes this header, not the logic.
 */
#ifndef MM386_MM_PTE_H
#define MM386_MM_PTE_H

#include <ntdef.h>
#include <x86.h>
#include <layout.h>

typedef struct _MMPTE_HARDWARE {
    ULONG Valid : 1;
    ULONG Write : 1;
    ULONG Owner : 1;
    ULONG WriteThrough : 1;
    ULONG CacheDisable : 1;
    ULONG Accessed : 1;
    ULONG Dirty : 1;
    ULONG LargePage : 1;
    ULONG Global : 1;
    ULONG CopyOnWrite : 1;      /* software: copy-on-write page */
    ULONG Prototype : 1;        /* software: a PTE of a section view */
    ULONG Reserved : 1;
    ULONG PageFrameNumber : 20;
} MMPTE_HARDWARE;

typedef struct _MMPTE_SOFTWARE {
    ULONG Valid : 1;
    ULONG PageFileLow : 4;
    ULONG Protection : 5;
    ULONG Prototype : 1;
    ULONG Transition : 1;
    ULONG PageFileHigh : 20;
} MMPTE_SOFTWARE;

typedef struct _MMPTE_TRANSITION {
    ULONG Valid : 1;
    ULONG Write : 1;
    ULONG Owner : 1;
    ULONG WriteThrough : 1;
    ULONG CacheDisable : 1;
    ULONG Protection : 5;
    ULONG Prototype : 1;
    ULONG Transition : 1;
    ULONG PageFrameNumber : 20;
} MMPTE_TRANSITION;

typedef struct _MMPTE_PROTOTYPE {
    ULONG Valid : 1;
    ULONG ProtoAddressLow : 7;
    ULONG ReadOnly : 1;
    ULONG WhichPool : 1;
    ULONG Prototype : 1;
    ULONG ProtoAddressHigh : 21;
} MMPTE_PROTOTYPE;

typedef struct _MMPTE_LIST {
    ULONG Valid : 1;
    ULONG OneEntry : 1;         /* a run of one PTE: no size PTE follows */
    ULONG Filler0 : 8;
    ULONG Prototype : 1;
    ULONG Filler1 : 1;
    ULONG NextEntry : 20;       /* index of the next free run, MM_EMPTY_PTE_LIST at the end */
} MMPTE_LIST;

typedef struct _MMPTE {
    union {
        ULONG Long;
        MMPTE_HARDWARE Hard;
        MMPTE_SOFTWARE Soft;
        MMPTE_TRANSITION Trans;
        MMPTE_PROTOTYPE Proto;
        MMPTE_LIST List;
    } u;
} MMPTE, *PMMPTE;

_Static_assert(sizeof(MMPTE) == 4, "a non-PAE PTE is 32 bits");

#define MM_EMPTY_PTE_LIST   0xFFFFF

/*
 * Page protections as NT encodes them in a software PTE (5 bits): the low
 * three bits pick the access, MM_NOCACHE and MM_GUARD_PAGE modify it, and
 * MM_GUARD_PAGE with no access means "decommitted".
 */
#define MM_ZERO_ACCESS          0
#define MM_READONLY             1
#define MM_EXECUTE              2
#define MM_EXECUTE_READ         3
#define MM_READWRITE            4
#define MM_WRITECOPY            5
#define MM_EXECUTE_READWRITE    6
#define MM_EXECUTE_WRITECOPY    7
#define MM_NOCACHE              0x08
#define MM_GUARD_PAGE           0x10
#define MM_DECOMMIT             0x10
#define MM_NOACCESS             0x18

/* Self-map arithmetic. */
#define MiAddressToPte(va)      ((PMMPTE)(PTE_BASE + (((ULONG)(va)) >> PAGE_SHIFT) * sizeof(MMPTE)))
#define MiAddressToPde(va)      ((PMMPTE)(PDE_BASE + (((ULONG)(va)) >> PDE_SHIFT) * sizeof(MMPTE)))
#define MiPteToAddress(pte)     ((PVOID)((((ULONG)(pte)) - PTE_BASE) << (PAGE_SHIFT - 2)))
#define MiPdeToPte(pde)         ((PMMPTE)MiPteToAddress(pde))
#define MiGetPdeIndex(va)       (((ULONG)(va)) >> PDE_SHIFT)
#define MiGetPteOffset(va)      ((((ULONG)(va)) >> PAGE_SHIFT) & (PTE_PER_PAGE - 1))
#define MiIsPteOnPdeBoundary(pte) ((((ULONG)(pte)) & (PAGE_SIZE - 1)) == 0)

#define BYTE_OFFSET(va)         ((ULONG)(va) & (PAGE_SIZE - 1))
#define PAGE_ALIGN(va)          ((PVOID)((ULONG)(va) & ~(PAGE_SIZE - 1)))
#define ROUND_TO_PAGES(n)       (((ULONG)(n) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define BYTES_TO_PAGES(n)       (((ULONG)(n) >> PAGE_SHIFT) + ((((ULONG)(n)) & (PAGE_SIZE - 1)) != 0))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, size) \
    ((((ULONG)(size) >> PAGE_SHIFT) + ((BYTE_OFFSET(va) + ((ULONG)(size) & (PAGE_SIZE - 1)) + PAGE_SIZE - 1) >> PAGE_SHIFT)))

/*
 * Making PTEs. Kernel pages carry MmPteGlobal: PTE_GLOBAL when the CPU has
 * PGE (hal/tb.c), else 0, as NT's MmPteGlobal. What differs between address
 * spaces is never global: hyperspace slots (MI_PTE_PRIVATE_READWRITE), and
 * PDEs, which the self-map also reads as PTEs of the page tables.
 */
extern ULONG MmPteGlobal;
#define MI_PTE_KERNEL_READWRITE (PTE_VALID | PTE_WRITE | PTE_ACCESSED | PTE_DIRTY | MmPteGlobal)
#define MI_PTE_KERNEL_READONLY  (PTE_VALID | PTE_ACCESSED | MmPteGlobal)
#define MI_PTE_PRIVATE_READWRITE (PTE_VALID | PTE_WRITE | PTE_ACCESSED | PTE_DIRTY)
#define MI_PDE_KERNEL           (PTE_VALID | PTE_WRITE | PTE_ACCESSED | PTE_DIRTY)

static inline MMPTE MiMakeValidPte(PFN_NUMBER Pfn, ULONG Bits)
{
    MMPTE Pte;
    Pte.u.Long = (Pfn << PAGE_SHIFT) | Bits;
    return Pte;
}

static inline MMPTE MiMakeDemandZeroPte(ULONG Protection)
{
    MMPTE Pte;
    Pte.u.Long = 0;
    Pte.u.Soft.Protection = Protection;
    return Pte;
}

static inline bool MiIsDemandZeroPte(MMPTE Pte)
{
    return !Pte.u.Soft.Valid && !Pte.u.Soft.Prototype && !Pte.u.Soft.Transition &&
           Pte.u.Soft.PageFileHigh == 0 && Pte.u.Soft.PageFileLow == 0 &&
           Pte.u.Soft.Protection != MM_ZERO_ACCESS &&
           (Pte.u.Soft.Protection & MM_GUARD_PAGE) == 0;
}

/*
 * Reads and writes of PTEs. A write never makes a torn PTE visible: the
 * 32-bit store is atomic. Callers flush the TLB themselves when they change
 * or remove a valid PTE (MiInvalidatePte does both).
 */
static inline MMPTE MiReadPte(const volatile MMPTE *Pte)
{
    MMPTE Value;
    Value.u.Long = ((const volatile MMPTE *)Pte)->u.Long;
    return Value;
}

static inline void MiWritePte(volatile MMPTE *Pte, MMPTE Value)
{
    Pte->u.Long = Value.u.Long;
}

#define MI_PFN_ELEMENT_FRAME(pte) ((PFN_NUMBER)(pte).u.Hard.PageFrameNumber)

#endif
