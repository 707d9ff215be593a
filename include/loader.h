/*
 * include/loader.h — what the boot loader handed over, and the boot options.
 *
 * KiSystemStartup copies the multiboot information into KeLoaderBlock before
 * it removes the identity map, so the memory map, the command line and the
 * boot modules stay reachable for every later phase (NT's loader hands the
 * kernel a LOADER_PARAMETER_BLOCK the same way). The command line is parsed
 * once into KeBootOptions, a table every subsystem reads.
 */
#ifndef MM386_LOADER_H
#define MM386_LOADER_H

#include <ntdef.h>

#define LOADER_MAX_MEMORY_DESCRIPTORS   64
#define LOADER_MAX_MODULES              32
#define LOADER_COMMAND_LINE_LENGTH      4096    /* switches kept, NUL included; Linux's x86 limit is 2048 */
#define LOADER_DROPPED_TEXT_LENGTH      64      /* how much of a cut-off tail is kept to report it */
#define LOADER_IMAGE_NAME_LENGTH        256
#define LOADER_NAME_LENGTH              64

/* Multiboot memory-map types. */
#define LOADER_MEMORY_AVAILABLE     1
#define LOADER_MEMORY_RESERVED      2
#define LOADER_MEMORY_ACPI          3
#define LOADER_MEMORY_NVS           4
#define LOADER_MEMORY_BAD           5

typedef struct _LOADER_MEMORY_DESCRIPTOR {
    uint64_t Base;
    uint64_t Length;
    uint32_t Type;
} LOADER_MEMORY_DESCRIPTOR;

typedef struct _LOADER_MODULE {
    uint32_t PhysicalStart;             /* first byte */
    uint32_t PhysicalEnd;               /* one past the last byte */
    PVOID VirtualBase;                  /* where mm/ mapped it, NULL until then */
    char Name[LOADER_NAME_LENGTH];      /* the module's command line */
} LOADER_MODULE;

typedef struct _LOADER_PARAMETER_BLOCK {
    char LoaderName[LOADER_NAME_LENGTH];
    char ImageName[LOADER_IMAGE_NAME_LENGTH];        /* first word of the command line */
    char CommandLine[LOADER_COMMAND_LINE_LENGTH];    /* the rest: the boot switches */
    uint32_t CommandLineLength;         /* the loader's whole line in bytes, image path included */
    uint32_t CommandLineDropped;        /* bytes of switches beyond CommandLine's capacity, not kept */
    char DroppedText[LOADER_DROPPED_TEXT_LENGTH];    /* the start of what was dropped */
    uint32_t MemoryLowerKb, MemoryUpperKb;
    uint32_t MemoryDescriptorCount;
    LOADER_MEMORY_DESCRIPTOR MemoryDescriptors[LOADER_MAX_MEMORY_DESCRIPTORS];
    uint32_t ModuleCount;
    LOADER_MODULE Modules[LOADER_MAX_MODULES];
    uint32_t KernelPhysicalStart, KernelPhysicalEnd;
    uint32_t InformationPhysical;       /* where the multiboot information was */
} LOADER_PARAMETER_BLOCK;

extern LOADER_PARAMETER_BLOCK KeLoaderBlock;

/*
 * Splits the loader's command line Line into Block's ImageName (a first word
 * that is a path) and CommandLine (the switches), and records its length and
 * anything that did not fit (CommandLineDropped, DroppedText). Pure: the
 * boot path calls it on the multiboot string, tests on their own lines.
 */
void BootSplitCommandLine(LOADER_PARAMETER_BLOCK *Block, const char *Line);

/*
 * The boot options, NT style: /3GB, /USERVA=N, /MAXMEM=N, /BENCH, /START=NAME,
 * /SPECIALPOOL=TAG, and the harness's ktest, ktest=GLOB. Switches are
 * case-insensitive. An unknown, malformed or repeated switch is reported on
 * the console and recorded here, never silently dropped.
 */
#define BOOT_OPTION_GLOB_LENGTH     128
#define BOOT_OPTION_MAX_UNKNOWN     8
#define BOOT_OPTION_TOKEN_LENGTH    48

typedef struct _KE_BOOT_OPTIONS {
    bool ThreeGb;                       /* /3GB */
    uint32_t UserVaMb;                  /* /USERVA=N, 0 if absent */
    uint32_t MaxMemMb;                  /* /MAXMEM=N, 0 if absent */
    bool Bench;                         /* /BENCH: run the benchmarks */
    char BenchGlob[BOOT_OPTION_GLOB_LENGTH];
    bool SpecialPool;                   /* /SPECIALPOOL=TAG */
    uint32_t SpecialPoolTag;
    bool KTest;                         /* ktest or ktest=GLOB */
    char KTestGlob[BOOT_OPTION_GLOB_LENGTH];
    char KTestDeath[BOOT_OPTION_GLOB_LENGTH];   /* ktest.death=NAME: one death test */
    char StartProgram[BOOT_OPTION_GLOB_LENGTH]; /* /START=NAME: a boot module started before the prompt */
    uint32_t UnknownCount;              /* switches rejected: unknown or malformed */
    char Unknown[BOOT_OPTION_MAX_UNKNOWN][BOOT_OPTION_TOKEN_LENGTH];
    uint32_t MalformedCount;            /* of those, known switches with a bad value */
    uint32_t DuplicateCount;            /* of those, a switch given again (the first one decides) */
} KE_BOOT_OPTIONS;

extern KE_BOOT_OPTIONS KeBootOptions;

/*
 * Parses CommandLine into *Options (which it clears first). Reports each
 * unknown, malformed or duplicate switch, with the reason, through DbgPrint
 * when Report is true; of a switch given twice the first occurrence decides.
 * Returns the number of switches it did not accept.
 */
ULONG KiParseBootOptions(const char *CommandLine, KE_BOOT_OPTIONS *Options, bool Report);

#endif
