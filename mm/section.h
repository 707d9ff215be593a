/*
 * mm/section.h — sections: what mm/section.c (objects, segments, control
 * areas), mm/mapview.c (views in processes), mm/viewprot.c (a view's
 * pages: protection, commit, query), mm/sysview.c (views in system space),
 * mm/protofault.c (faults through prototype PTEs) and the debugger's views
 * share.
 *
 * NT's four structures, one chain:
 *
 *   SECTION        the object a handle names (type "Section"): its size, its
 *                  SEC_* attributes, the protection it was made with, and
 *                  the segment. Many sections may share one control area
 *                  (every data section over one file does).
 *   SEGMENT        the prototype PTEs, one per page of what is mapped, in
 *                  paged pool as NT keeps them: the one place that says
 *                  where each page of the section is (nowhere yet, in
 *                  memory, on a standby or modified list, in the file).
 *   CONTROL_AREA   the counts that decide the segment's life: section
 *                  objects, mapped views, user references; its flags (file,
 *                  image, SEC_RESERVE ...) and the file, if any. Nonpaged,
 *                  with its SUBSECTION(s) right after it.
 *   SUBSECTION     a run of prototype PTEs with where their bytes are in the
 *                  file (a starting 512-byte sector and a length) and the
 *                  protection of their pages: one for a data file or a
 *                  pagefile-backed section, one per PE section for an image.
 *
 * What a prototype PTE holds (NT's formats; mm/pte.h):
 *
 *   zero              not committed (a SEC_RESERVE section's page before
 *                     NtAllocateVirtualMemory commits it in a view)
 *   demand zero       Soft, Protection P: committed, never touched
 *                     (the segment's SegmentPteTemplate)
 *   subsection        Soft.Prototype set, Protection P: the page is in the
 *                     file, not in memory. NT encodes the subsection's
 *                     address in the remaining bits; mm386's nonpaged pool
 *                     can lie beyond what those bits reach, so the
 *                     subsection is found from the control area, which
 *                     every fault knows (the VAD's, the system view's).
 *   transition        the page is on the standby or modified list: no PTE
 *                     maps it, its data is kept
 *   valid             the page is in memory and mapped: its PFN entry's
 *                     PteAddress is this prototype PTE, PrototypePte is set,
 *                     ShareCount counts the hardware PTEs mapping it.
 *
 * A process's view is a VAD (MMVAD, 'Vad ') with the control area, the
 * view's first prototype PTE and its protection. Its PTEs start zero: a
 * fault finds the prototype PTE through the VAD (NT's way). A view in
 * system space gets its PTEs in prototype format (Prototype set, the
 * prototype PTE's offset from MmPagedPoolStart in the other bits) when it
 * is mapped, as NT's MiAddMappedPtes writes them.
 *
 * Locks, in order: the process's address creation lock, its working set
 * mutex, MiSystemViewLock (the system view table, mm/sysview.c),
 * MiSectionMutex (control-area counts, SECTION_OBJECT_POINTERS,
 * MiControlAreaList, committing prototype PTEs), the PFN lock (prototype
 * PTEs and the pages behind them). Nothing takes a working set mutex while
 * holding MiSectionMutex. A fault takes the working set mutex and the PFN
 * lock only.
 */
#ifndef MM386_MM_SECTION_H
#define MM386_MM_SECTION_H

#include <io.h>
#include "virtual.h"

#define MM_SEGMENT_TAG              MAKE_TAG('M', 'm', 'S', 't')    /* NT's: the prototype PTEs */
#define MM_CONTROL_AREA_TAG         MAKE_TAG('M', 'm', 'C', 'a')    /* NT's: a data control area and its subsection */
#define MM_IMAGE_CONTROL_AREA_TAG   MAKE_TAG('M', 'm', 'C', 'i')    /* NT's: an image's control area and subsections */
#define MM_VIEW_PROTECTION_TAG      MAKE_TAG('M', 'm', 'V', 'p')    /* mm386's: a view's per-page protections */

/* The allocation granularity of views in system space: NT's 64 KB buckets. */
#define MI_SYSTEM_VIEW_BUCKET_SIZE  0x10000
#define MI_SECTOR_SIZE              512         /* a subsection's file offsets are in sectors, as NT's */

/* MEMORY_MANAGEMENT (0x1A) parameter 1 values of sections: mm386's own. */
#define MM_BUGCHECK_SEGMENT_PAGE_MAPPED     0x4180  /* a segment deleted under a mapped page: p2 proto PTE, p3 value */
#define MM_BUGCHECK_CONTROL_AREA_COUNTS     0x4181  /* a control-area count below zero: p2 control area, p3 which */
#define MM_BUGCHECK_NO_SUBSECTION           0x4182  /* a prototype PTE in no subsection: p2 control area, p3 PTE */

/* MMSECTION_FLAGS: a section's, and its control area's (NT's names, the ones mm386 uses). */
typedef struct _MMSECTION_FLAGS {
    ULONG BeingDeleted : 1;     /* the control area is going: no new section may use it */
    ULONG BeingCreated : 1;
    ULONG Image : 1;            /* an image's: a subsection per PE section, views are VadImageMap */
    ULONG File : 1;             /* backed by a file (FilePointer) */
    ULONG NoCache : 1;          /* SEC_NOCACHE: views map uncached */
    ULONG Reserve : 1;          /* SEC_RESERVE: prototype PTEs committed on demand */
    ULONG Commit : 1;           /* SEC_COMMIT */
    ULONG NoChange : 1;         /* SEC_NO_CHANGE: a view's protection cannot change */
    ULONG Spare : 24;
} MMSECTION_FLAGS;

typedef struct _MMSUBSECTION_FLAGS {
    ULONG ReadOnly : 1;
    ULONG ReadWrite : 1;
    ULONG Protection : 5;       /* MM_* protection of the subsection's pages */
    ULONG SectorEndOffset : 12; /* bytes of data after the last full sector */
    ULONG Spare : 13;
} MMSUBSECTION_FLAGS;

struct _CONTROL_AREA;

typedef struct _SUBSECTION {
    struct _CONTROL_AREA *ControlArea;
    union {
        ULONG LongFlags;
        MMSUBSECTION_FLAGS SubsectionFlags;
    } u;
    ULONG StartingSector;       /* where its data starts in the file, in 512-byte sectors */
    ULONG NumberOfFullSectors;  /* its data: this many sectors, then SectorEndOffset bytes; the rest reads zero */
    PMMPTE SubsectionBase;      /* its first prototype PTE */
    ULONG UnusedPtes;
    ULONG PtesInSubsection;
    struct _SUBSECTION *NextSubsection;
} SUBSECTION, *PSUBSECTION;

typedef struct _SEGMENT {
    struct _CONTROL_AREA *ControlArea;
    ULONG TotalNumberOfPtes;    /* pages the segment describes */
    ULONG NonExtendedPtes;
    ULONGLONG SizeOfSegment;    /* bytes */
    MMPTE SegmentPteTemplate;   /* what a committed, untouched prototype PTE holds (demand zero with the protection) */
    SIZE_T NumberOfCommittedPages;  /* charged to the system's commit for this segment */
    PVOID BasedAddress;         /* an image's preferred base; NULL for data */
    ULONG ImageCommitment;      /* an image's: pages a view may copy on write, charged to each view's process */
    MM_IMAGE_INFORMATION *ImageInformation;     /* an image's headers, in the same block after the PTEs; NULL for data */
    PMMPTE PrototypePte;        /* &ThePtes[0] */
    MMPTE ThePtes[1];           /* TotalNumberOfPtes of them */
} SEGMENT, *PSEGMENT;

typedef struct _CONTROL_AREA {
    PSEGMENT Segment;
    LIST_ENTRY ControlAreaLinks;    /* mm386's: on MiControlAreaList, for !memusage and the debuggers */
    ULONG NumberOfSectionReferences;    /* section objects using it */
    ULONG NumberOfMappedViews;          /* views in processes and in system space */
    ULONG NumberOfUserReferences;       /* section objects + views */
    union {
        ULONG LongFlags;
        MMSECTION_FLAGS Flags;
    } u;
    PFILE_OBJECT FilePointer;       /* referenced while the control area lives; NULL for the pagefile's */
    /* The first SUBSECTION follows (MiFirstSubsection). */
} CONTROL_AREA, *PCONTROL_AREA;

/* The section object's body (NT's SECTION). */
typedef struct _SECTION {
    MMADDRESS_NODE Address;         /* a based section's place in NT's tree; unused (no SEC_BASED) */
    PSEGMENT Segment;
    LARGE_INTEGER SizeOfSection;    /* bytes: pages for the pagefile's, the exact size for a file's */
    union {
        ULONG LongFlags;
        MMSECTION_FLAGS Flags;
    } u;
    ULONG InitialPageProtection;    /* the PAGE_* it was created with: views must be compatible */
} SECTION, *PSECTION;

static inline PSUBSECTION MiFirstSubsection(PCONTROL_AREA ControlArea)
{
    return (PSUBSECTION)(ControlArea + 1);
}

/* Bytes of file data a subsection has, and where they start. */
static inline ULONG MiSubsectionDataBytes(const SUBSECTION *Subsection)
{
    return Subsection->NumberOfFullSectors * MI_SECTOR_SIZE + Subsection->u.SubsectionFlags.SectorEndOffset;
}

static inline ULONG MiSubsectionFileOffset(const SUBSECTION *Subsection)
{
    return Subsection->StartingSector * MI_SECTOR_SIZE;
}

/* ------------------------------------------------------- prototype PTEs */

/* A PTE in prototype format pointing at ProtoPte (NT's x86 encoding: the offset from MmPagedPoolStart). */
static inline MMPTE MiMakePrototypePte(PMMPTE ProtoPte, bool ReadOnly)
{
    ULONG Offset = (ULONG)ProtoPte - (ULONG)MmPagedPoolStart;
    MMPTE Pte;
    Pte.u.Long = 0;
    Pte.u.Proto.Prototype = 1;
    Pte.u.Proto.ProtoAddressLow = (Offset >> 2) & 0x7F;
    Pte.u.Proto.ProtoAddressHigh = Offset >> 9;
    Pte.u.Proto.ReadOnly = ReadOnly;
    return Pte;
}

static inline PMMPTE MiPteToProto(MMPTE Pte)
{
    return (PMMPTE)((ULONG)MmPagedPoolStart + (Pte.u.Proto.ProtoAddressHigh << 9) + (Pte.u.Proto.ProtoAddressLow << 2));
}

/* A prototype PTE in subsection format: the page is in the file. */
static inline MMPTE MiMakeSubsectionPte(ULONG Protection)
{
    MMPTE Pte;
    Pte.u.Long = 0;
    Pte.u.Soft.Prototype = 1;
    Pte.u.Soft.Protection = Protection;
    return Pte;
}

/* NT's MM_COPY_ON_WRITE_MASK test: write-copy and execute-write-copy. */
static inline bool MiIsCopyOnWriteProtection(ULONG Protection)
{
    return (Protection & 5) == 5;
}

/* A private copy's protection: write-copy becomes read/write (NT's MI_MAKE_PROTECT_NOT_WRITE_COPY). */
static inline ULONG MiMakeProtectNotWriteCopy(ULONG Protection)
{
    if ((Protection & MM_PROTECTION_ACCESS_MASK) == MM_WRITECOPY)
        return (Protection & ~MM_PROTECTION_ACCESS_MASK) | MM_READWRITE;
    if ((Protection & MM_PROTECTION_ACCESS_MASK) == MM_EXECUTE_WRITECOPY)
        return (Protection & ~MM_PROTECTION_ACCESS_MASK) | MM_EXECUTE_READWRITE;
    return Protection;
}

/*
 * A valid user PTE for a shared page seen with Protection: writable only if
 * the protection writes and does not copy on write; a write-copy page is
 * read-only with the CopyOnWrite bit, so the first write faults and copies.
 */
static inline MMPTE MiMakeSharedValidPte(PFN_NUMBER Pfn, ULONG Protection)
{
    MMPTE Pte = MiMakeUserValidPte(Pfn, Protection, false);
    if (MiIsCopyOnWriteProtection(Protection)) {
        Pte.u.Hard.Write = 0;
        Pte.u.Hard.CopyOnWrite = 1;
    }
    return Pte;
}

/* The valid form of a prototype PTE whose page is Pfn: a record, never used by the MMU. */
static inline MMPTE MiMakeValidProtoPte(PFN_NUMBER Pfn, ULONG Protection)
{
    MMPTE Pte = MiMakeValidPte(Pfn, PTE_VALID | PTE_OWNER | PTE_ACCESSED);
    if (MiIsWritableProtection(Protection) && !MiIsCopyOnWriteProtection(Protection))
        Pte.u.Hard.Write = 1;
    return Pte;
}

/* A view's prototype PTE for the page at Vpn (NT's MiGetProtoPteAddress: mm386's are contiguous). */
static inline PMMPTE MiGetProtoPteAddress(PMMVAD Vad, ULONG_PTR Vpn)
{
    return Vad->FirstPrototypePte + (Vpn - Vad->StartingVpn);
}

static inline bool MiIsViewVad(const MMVAD *Vad)
{
    return !Vad->u.VadFlags.PrivateMemory && Vad->u.VadFlags.LongVad && Vad->ControlArea != NULL;
}

/* ------------------------------------------------------------ section.c */

extern FAST_MUTEX MiSectionMutex;
extern LIST_ENTRY MiControlAreaList;

/* Phase 2 (after the object manager): the Section type, the mutex, system view space. */
void MiInitializeSections(void);

/*
 * A view is made or goes: the control area's NumberOfMappedViews and
 * NumberOfUserReferences change. The last reference of any kind deletes the
 * segment, its pages and the control area (MiSegmentDelete). Take and
 * release MiSectionMutex themselves; PASSIVE_LEVEL or APC_LEVEL (a working
 * set mutex may be held).
 */
void MiReferenceControlAreaForView(PCONTROL_AREA ControlArea);
void MiDereferenceControlAreaForView(PCONTROL_AREA ControlArea);

/*
 * Commits the prototype PTEs [First, Last] of a pagefile-backed segment:
 * the zero ones get the segment's template, their pages are charged to the
 * system's commit (NT's MmSharedCommit) and counted in the segment.
 * STATUS_COMMITMENT_LIMIT with nothing changed. Takes the PFN lock.
 */
NTSTATUS MiCommitPrototypePtes(PSEGMENT Segment, PMMPTE First, PMMPTE Last);

/* The subsection holding ProtoPte; MEMORY_MANAGEMENT 0x4182 if none does. */
PSUBSECTION MiLocateSubsection(PCONTROL_AREA ControlArea, PMMPTE ProtoPte);

/* Whether a view may ask NewProtect of a section made SectionProtect (NT's MmCompatibleProtectionMask). */
bool MiIsProtectionCompatible(ULONG SectionProtect, ULONG NewProtect);

/* ----------------------------------------------------------- imagesec.c */

/*
 * The image control area of File (NT's MiCreateImageFileMap): the one
 * File->SectionObjectPointer->ImageSectionObject names, or a new one made
 * from the file's headers — a segment of SizeOfImage's pages, a subsection
 * for the headers and one per PE section with its protection — on
 * MiControlAreaList, referencing the file, with no section or view counted
 * yet. MiSectionMutex held. The header check's statuses (mm/imagehdr.c,
 * STATUS_IMAGE_MACHINE_TYPE_MISMATCH included, which makes the control area
 * all the same), STATUS_INVALID_FILE_FOR_SECTION for an empty file,
 * STATUS_INVALID_IMAGE_FORMAT for sections NT would not map,
 * STATUS_COMMITMENT_LIMIT, STATUS_INSUFFICIENT_RESOURCES.
 */
NTSTATUS MiCreateImageFileMap(PFILE_OBJECT File, PCONTROL_AREA *Result);
/* NtQuerySection(SectionImageInformation)'s answer for an image segment. */
void MiQueryImageInformation(PSEGMENT Segment, PSECTION_IMAGE_INFORMATION Information);

/* ---------------------------------------------------------- protofault.c */

/*
 * A fault on Address, a page of the view Vad in Process (current, working
 * set mutex held), whose PTE is zero (Pte NULL: no page table yet): the
 * prototype PTE decides, with the page's protection in the view. Resolved
 * (STATUS_SUCCESS), a guard page cleared (STATUS_GUARD_PAGE_VIOLATION), or
 * STATUS_ACCESS_VIOLATION (not committed, no access, a write to a
 * read-only page).
 */
NTSTATUS MiResolveViewFault(PEPROCESS Process, PMMVAD Vad, ULONG Address, PMMPTE Pte, bool Write);
/*
 * A write to Address whose valid PTE is read-only with the CopyOnWrite bit:
 * NT's MiCopyOnWrite. The process gets a private copy, read/write (its
 * commit was charged when the view became copy-on-write); the shared page
 * loses this PTE's share. Working set mutex held.
 */
NTSTATUS MiCopyOnWrite(PEPROCESS Process, ULONG Address, PMMPTE Pte);
/*
 * A fault on a system view's page (Address, PTE in prototype format),
 * IRQL <= APC_LEVEL: the page made resident through its prototype PTE and
 * mapped. STATUS_ACCESS_VIOLATION for a page not committed or a write to
 * a read-only view.
 */
NTSTATUS MiResolveSystemViewFault(ULONG Address, bool Write);
/*
 * Fills page Pfn with the file's bytes for ProtoPte of Subsection (NT's
 * page read, here a copy from the boot module): the subsection's data from
 * its starting sector, zero past its end. Counted as a hard fault
 * (MmInfoCounters.PageReadCount, PageReadIoCount). Any IRQL <= DISPATCH_LEVEL.
 */
void MiReadSubsectionPage(PSUBSECTION Subsection, PMMPTE ProtoPte, PFN_NUMBER Pfn);
/* Phase 2: the per-protection tables the view faults read. */
void MiInitializeViewFaults(void);

/* ----------------------------------------------------------- viewprot.c */

/* A view page's protection map entry: 0 is the view's own; else this bit and the MM_* protection. */
#define MI_VIEW_PROTECTION_SET      0x80
#define MI_VIEW_COW_CHARGED         0x40    /* this page's copy-on-write commit is charged (in Vad->CommitCharge) */
#define MI_VIEW_PROTECTION_MASK     0x1F

/*
 * What protection the page at Index of the view has now, for a page not
 * privately copied: its own if NtProtectVirtualMemory or a commit set one,
 * else the view's (for an image view: its prototype PTE's, the subsection's
 * protection). ProtoPte is read without a lock (a debugger's view).
 */
ULONG MiViewPageProtection(PMMVAD Vad, ULONG Index);
/* Sets the page's own protection (the map exists); its copy-on-write charge bit is kept. */
void MiSetViewPageProtection(PMMVAD Vad, ULONG Index, ULONG Protection);
/*
 * What a page of a view is for NtQueryVirtualMemory: MEM_COMMIT with
 * *Protection, or MEM_RESERVE (a SEC_RESERVE page not committed).
 * Working set mutex held.
 */
ULONG MiQueryViewPage(PEPROCESS Process, PMMVAD Vad, ULONG Va, ULONG *Protection);
/*
 * NtProtectVirtualMemory on [StartVa, EndVa] inside the view Vad
 * (address creation lock held): NT's checks — SEC_NO_CHANGE
 * (STATUS_INVALID_PAGE_PROTECTION), a protection the view's does not allow
 * (STATUS_SECTION_PROTECTION), a page not committed (STATUS_NOT_COMMITTED),
 * the commit a new copy-on-write page needs (STATUS_COMMITMENT_LIMIT) — then
 * every page gets ProtectionMask. *OldProtect: the first page's before.
 */
NTSTATUS MiProtectViewPages(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa, ULONG NewProtect,
                            ULONG ProtectionMask, ULONG *OldProtect);
/*
 * NtAllocateVirtualMemory(MEM_COMMIT) inside the view Vad (address creation
 * lock held): NT's rules — PAGE_NOCACHE is STATUS_INVALID_PAGE_PROTECTION,
 * a file's or an image's pages are STATUS_ALREADY_COMMITTED; the section's
 * prototype PTEs are committed (charged to the system), then the pages get
 * ProtectionMask in this view.
 */
NTSTATUS MiCommitViewPages(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa, ULONG Protect,
                           ULONG ProtectionMask);
/*
 * Takes the view's PTE at Va off a shared page (the page keeps its data
 * through its prototype PTE): the dirty bit goes to the PFN, the share and
 * the page table's share drop. The caller flushes the TLB entry. Working
 * set mutex held; returns the change in the page table's used count.
 */
LONG MiUnmapSharedPte(PEPROCESS Process, PMMPTE Pte, ULONG Va);

/* ------------------------------------------------------------ mapview.c */

/*
 * What a view VAD holds beyond its PTEs, given back when it goes: the
 * control area's references and its protection map. Working set mutex may
 * be held.
 */
void MiReleaseViewVad(PMMVAD Vad);

/* ------------------------------------------------------------ sysview.c */

/* The system view region, 64 KB buckets (NT's MMSESSION for system space). */
static inline bool MiIsSystemViewAddress(ULONG Va)
{
    return MmSystemViewSize != 0 && Va - (ULONG)MiSystemViewStart < MmSystemViewSize;
}
void MiInitializeSystemViewSpace(void);
/* The control area of the system view holding Va, or NULL. MiSectionMutex held, or none may change (the debugger). */
PCONTROL_AREA MiSystemViewControlArea(ULONG Va, ULONG *Base, ULONG *Size);
/* Views in system space now (for !memusage and tests). */
ULONG MiSystemViewCount(void);

/* --------------------------------------------------------- sectionkd.c */

/* The control area whose segment holds ProtoPte, and its index there; NULL if none (the debugger's !pfn, !pte). */
PCONTROL_AREA MiKdControlAreaOfPrototypePte(PMMPTE ProtoPte, ULONG *Index);

#endif
