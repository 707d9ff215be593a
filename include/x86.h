/*
 * include/x86.h — architectural facts of the 32-bit x86 CPU (Intel SDM vol. 3).
 *
 * Names for control-register bits, EFLAGS bits, hardware page-table bits,
 * exception vectors and the kernel's segment selectors. Everything here is
 * either fixed by the processor or, for the selectors, by NT's GDT layout
 * (KGDT_*). This header holds only #defines of integer expressions so that
 * tools/h2inc.py can turn it into NASM for boot/ and hal/ assembly.
 */
#ifndef MM386_X86_H
#define MM386_X86_H

#define PAGE_SIZE               0x1000
#define PAGE_SHIFT              12
#define PDE_SHIFT               22
#define PTE_PER_PAGE            1024

/* CR0 */
#define CR0_PE                  0x00000001
#define CR0_MP                  0x00000002
#define CR0_EM                  0x00000004
#define CR0_TS                  0x00000008
#define CR0_NE                  0x00000020
#define CR0_WP                  0x00010000
#define CR0_PG                  0x80000000

/* CR4 */
#define CR4_PSE                 0x00000010
#define CR4_PAE                 0x00000020
#define CR4_PGE                 0x00000080

/* EFLAGS */
#define EFLAGS_CF               0x00000001
#define EFLAGS_RESERVED1        0x00000002
#define EFLAGS_TF               0x00000100
#define EFLAGS_IF               0x00000200
#define EFLAGS_NT               0x00004000
#define EFLAGS_ID               0x00200000  /* writable exactly when the CPU has CPUID */
#define EFLAGS_PF               0x00000004
#define EFLAGS_AF               0x00000010
#define EFLAGS_ZF               0x00000040
#define EFLAGS_SF               0x00000080
#define EFLAGS_DF               0x00000400
#define EFLAGS_OF               0x00000800
#define EFLAGS_IOPL_SHIFT       12
#define EFLAGS_RF               0x00010000  /* resume: no instruction breakpoint on the next instruction */

/*
 * Debug registers (Intel SDM vol. 3B, 17.2). DR0-DR3 hold linear addresses;
 * DR7 enables each globally (G0 = bit 1, two bits per register) and gives
 * its access type (R/W: 00 execute, 01 write, 11 read or write) and length
 * (LEN: 00 one byte, 01 two, 11 four) in bits 16 + 4n; DR6 says which
 * condition fired: B0-B3 a breakpoint register, BS a single step (TF).
 */
#define DR6_B0                  0x00000001
#define DR6_BS                  0x00004000
#define DR7_GLOBAL_ENABLE(n)    (2u << ((n) * 2))
#define DR7_RW_SHIFT(n)         (16 + (n) * 4)
#define DR7_LEN_SHIFT(n)        (18 + (n) * 4)
#define DR7_RW_EXECUTE          0
#define DR7_RW_WRITE            1
#define DR7_RW_READ_WRITE       3
#define DR7_GE                  0x00000200  /* exact data breakpoints, as the SDM recommends */
#define DR_BREAKPOINTS          4

/*
 * CPUID leaf 1, EDX: the features mm386 asks about (Intel SDM vol. 2A,
 * CPUID). boot/cpucheck.asm requires PSE, TSC, CX8 and CMOV; PGE is used
 * when present (hal/tb.c); SEP will be, once sysenter exists.
 */
#define CPUID1_EDX_PSE          0x00000008  /* 4 MB pages: the boot identity map */
#define CPUID1_EDX_TSC          0x00000010  /* rdtsc: boot timing, benchmarks */
#define CPUID1_EDX_CX8          0x00000100  /* cmpxchg8b: the pool's lookaside lists */
#define CPUID1_EDX_SEP          0x00000800  /* sysenter/sysexit */
#define CPUID1_EDX_PGE          0x00002000  /* global pages (CR4.PGE) */
#define CPUID1_EDX_CMOV         0x00008000  /* cmovcc: gcc emits it for -march=i686 */

/* Hardware bits of a non-PAE page-table or page-directory entry. */
#define PTE_VALID               0x001
#define PTE_WRITE               0x002
#define PTE_OWNER               0x004   /* user-accessible */
#define PTE_WRITE_THROUGH       0x008
#define PTE_CACHE_DISABLE       0x010
#define PTE_ACCESSED            0x020
#define PTE_DIRTY               0x040
#define PDE_LARGE               0x080   /* PDE maps a 4 MB page (CR4.PSE) */
#define PTE_PAT                 0x080   /* in a PTE: the PAT index bit */
#define PTE_GLOBAL              0x100
#define PTE_FRAME_MASK          0xFFFFF000
#define LARGE_PAGE_FRAME_MASK   0xFFC00000  /* a 4 MB page's frame in its PDE */
#define LARGE_PAGE_OFFSET_MASK  0x003FFFFF

/* Page-fault error code bits pushed by the CPU. */
#define PF_PRESENT              0x01    /* protection violation, page present */
#define PF_WRITE                0x02
#define PF_USER                 0x04
#define PF_RESERVED             0x08
#define PF_FETCH                0x10

/* Exception vectors. */
#define TRAP_DIVIDE_ERROR       0x00
#define TRAP_DEBUG              0x01
#define TRAP_NMI                0x02
#define TRAP_BREAKPOINT         0x03
#define TRAP_OVERFLOW           0x04
#define TRAP_BOUND              0x05
#define TRAP_INVALID_OPCODE     0x06
#define TRAP_NO_FPU             0x07
#define TRAP_DOUBLE_FAULT       0x08
#define TRAP_FPU_OVERRUN        0x09
#define TRAP_INVALID_TSS        0x0A
#define TRAP_SEGMENT_NOT_PRESENT 0x0B
#define TRAP_STACK_FAULT        0x0C
#define TRAP_GENERAL_PROTECTION 0x0D
#define TRAP_PAGE_FAULT         0x0E
#define TRAP_FPU_ERROR          0x10
#define TRAP_ALIGNMENT_CHECK    0x11
#define TRAP_MACHINE_CHECK      0x12
#define TRAP_SIMD_ERROR         0x13
#define TRAP_EXCEPTION_COUNT    32

/* Software interrupt vectors NT assigns (KiGetTickCount, KiSystemService). */
#define VECTOR_GET_TICK_COUNT   0x2A
#define VECTOR_SYSTEM_SERVICE   0x2E

/* The SYSENTER model-specific registers (CPUID1_EDX_SEP). */
#define MSR_SYSENTER_CS         0x174
#define MSR_SYSENTER_ESP        0x175
#define MSR_SYSENTER_EIP        0x176
/* The 8259 PICs are remapped to NT's PRIMARY_VECTOR_BASE. */
#define PRIMARY_VECTOR_BASE     0x30
#define PIC_IRQ_COUNT           16

/* GDT selectors, NT's layout (KGDT_*); user selectors carry RPL 3 when loaded. */
#define KGDT_NULL               0x00
#define KGDT_R0_CODE            0x08
#define KGDT_R0_DATA            0x10
#define KGDT_R3_CODE            0x18
#define KGDT_R3_DATA            0x20
#define KGDT_TSS                0x28
#define KGDT_R0_PCR             0x30
#define KGDT_R3_TEB             0x38
#define KGDT_DF_TSS             0x50
#define KGDT_NMI_TSS            0x58
#define KGDT_ENTRIES            12
#define RPL_USER                3

#endif
