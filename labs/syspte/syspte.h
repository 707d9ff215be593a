/*
 * mm/syspte.h — the system PTE lab's shared header (docs/labs/syspte.md).
 *
 * In the reference kernel this header holds what mm/syspte.c and
 * mm/sysptinfo.c share about the reference's own data structures. In the
 * lab you choose your own, so there is nothing here to share: put your
 * structures in mm/syspte.c. (`make lab-reset LAB=syspte` puts the
 * reference's header back.)
 */
#ifndef MM386_MM_SYSPTE_H
#define MM386_MM_SYSPTE_H

#include "mi.h"

#endif
