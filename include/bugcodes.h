/*
 * include/bugcodes.h — NT's bugcheck codes that mm386 raises.
 *
 * KeBugCheckEx prints the code with its name (KiBugCheckName in
* kernel/ke/bugcheck.c keeps the table). The values are NT's; a learner can look
 * each one up in Microsoft's bugcheck reference and read the same parameters.
 * Every code listed here is one mm386 raises somewhere.
 */
#ifndef MM386_BUGCODES_H
#define MM386_BUGCODES_H

#define APC_INDEX_MISMATCH                      0x00000001
#define INVALID_PROCESS_ATTACH_ATTEMPT          0x00000005
#define INVALID_PROCESS_DETACH_ATTEMPT          0x00000006
#define IRQL_NOT_GREATER_OR_EQUAL               0x00000009
#define IRQL_NOT_LESS_OR_EQUAL                  0x0000000A
#define MAXIMUM_WAIT_OBJECTS_EXCEEDED           0x0000000C
#define SPIN_LOCK_ALREADY_OWNED                 0x0000000F
#define SPIN_LOCK_NOT_OWNED                     0x00000010
#define THREAD_NOT_MUTEX_OWNER                  0x00000011
#define TRAP_CAUSE_UNKNOWN                      0x00000012
#define REFERENCE_BY_POINTER                    0x00000018
#define BAD_POOL_HEADER                         0x00000019
#define MEMORY_MANAGEMENT                       0x0000001A
#define KMODE_EXCEPTION_NOT_HANDLED             0x0000001E
#define KERNEL_APC_PENDING_DURING_EXIT          0x00000020
#define PHASE0_INITIALIZATION_FAILED            0x00000031
#define PHASE1_INITIALIZATION_FAILED            0x00000032
#define NO_MORE_SYSTEM_PTES                     0x0000003F
#define THREAD_TERMINATE_HELD_MUTEX             0x00000046
#define IRQL_GT_ZERO_AT_SYSTEM_SERVICE          0x0000004A
#define NO_PAGES_AVAILABLE                      0x0000004D
#define PFN_LIST_CORRUPT                        0x0000004E
#define PAGE_FAULT_IN_NONPAGED_AREA             0x00000050
#define UNSUPPORTED_PROCESSOR                   0x0000005D   /* raised by boot/cpucheck.asm */
#define INSTALL_MORE_MEMORY                     0x0000007D
#define PROCESS_HAS_LOCKED_PAGES                0x00000076
#define UNEXPECTED_KERNEL_MODE_TRAP             0x0000007F
#define NMI_HARDWARE_FAILURE                    0x00000080
#define DRIVER_UNMAPPING_INVALID_VIEW           0x00000081
#define ATTEMPTED_SWITCH_FROM_DPC               0x000000B8
#define ATTEMPTED_WRITE_TO_READONLY_MEMORY      0x000000BE
#define SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION 0x000000C1
#define BAD_POOL_CALLER                         0x000000C2
#define PAGE_FAULT_IN_FREED_SPECIAL_POOL        0x000000CC
#define PAGE_FAULT_BEYOND_END_OF_ALLOCATION     0x000000CD
#define SYSTEM_PTE_MISUSE                       0x000000DA
#define MANUALLY_INITIATED_CRASH                0x000000E2

#endif
