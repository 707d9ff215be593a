/*
 * user/programs/vmwalk.c — a program walks its own address space.
 *
 * From address 0 up to the top of the user range it asks NtQueryVirtualMemory
 * for each region in turn (one call per region: RegionSize says where the
 * next begins) and prints what Windows' VirtualQuery shows: base, size,
 * state, protection and type, and the reservation each region belongs to.
 * Among the regions: its own image at 0x00400000 (headers read-only, code
 * execute-read, data read/write), its stack with the guard page below the
 * committed top, the PEB, the process parameters and its TEB near the top,
 * and KUSER_SHARED_DATA at 0x7FFE0000.
 */
#include <ntdll.h>

static const char *StateName(ULONG State)
{
    return State == MEM_COMMIT ? "commit " : State == MEM_RESERVE ? "reserve" : "free   ";
}

static const char *TypeName(ULONG Type)
{
    return Type == MEM_PRIVATE ? "private" : Type == MEM_MAPPED ? "mapped" : Type == MEM_IMAGE ? "image" : "";
}

static void ProtectName(ULONG Protect, char *Out, ULONG Size)
{
    static const struct { ULONG Bit; const char *Name; } Names[] = {
        { PAGE_NOACCESS, "NOACCESS" }, { PAGE_READONLY, "READONLY" }, { PAGE_READWRITE, "READWRITE" },
        { PAGE_WRITECOPY, "WRITECOPY" }, { PAGE_EXECUTE, "EXECUTE" }, { PAGE_EXECUTE_READ, "EXECUTE_READ" },
        { PAGE_EXECUTE_READWRITE, "EXECUTE_READWRITE" }, { PAGE_EXECUTE_WRITECOPY, "EXECUTE_WRITECOPY" },
    };
    Out[0] = 0;
    for (ULONG i = 0; i < ARRAY_SIZE(Names); i++) {
        if ((Protect & 0xFF) == Names[i].Bit)
            snprintf(Out, Size, "%s", Names[i].Name);
    }
    if (Protect & PAGE_GUARD)
        snprintf(Out + strlen(Out), Size - strlen(Out), "+GUARD");
}

int main(int argc, char **argv)
{
    MEMORY_BASIC_INFORMATION Info;
    ULONG Address = 0, Regions = 0;
    char Protect[40];

    printf("%-8s  %-8s  %-7s  %-22s %-7s  %s\n", "base", "size", "state", "protection", "type", "reservation");
    for (;;) {
        SIZE_T Returned;
        NTSTATUS Status = NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)Address, MemoryBasicInformation, &Info,
                                               sizeof(Info), &Returned);
        if (!NT_SUCCESS(Status)) {
            printf("%08x: %s (0x%08x): the end of the user range\n", Address, RtlNtStatusName(Status),
                   (ULONG)Status);
            break;
        }
        ProtectName(Info.Protect, Protect, sizeof(Protect));
        printf("%08x  %08x  %s  %-22s %-7s  %p\n", (ULONG)Info.BaseAddress, Info.RegionSize, StateName(Info.State),
               Protect, TypeName(Info.Type), Info.AllocationBase);
        Regions++;
        if ((ULONG)Info.BaseAddress + Info.RegionSize <= Address)
            break;
        Address = (ULONG)Info.BaseAddress + Info.RegionSize;
        if (Address == 0)
            break;
    }
    printf("%u regions\n", Regions);
    return 0;
}
