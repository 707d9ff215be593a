/*
 * kernel/io/iofile.c — File objects and NtOpenFile, over the boot modules.
 *
 * In NT a handle to a file is a handle to a FILE_OBJECT: the I/O manager
 * makes one for each open, the file system fills in what it keeps per file
 * (its control block, and in it the SECTION_OBJECT_POINTERS through which
 * the memory manager finds the sections over the file), and the handle's
 * granted access says what the opener may do — read, write, execute — which
 * NtCreateSection checks against the protection it is asked for.
 *
 * mm386 has no file systems: its files are the boot modules, read-only
 * (kernel/io/bootfile.c). NtOpenFile finds the module by its path
 * \Boot\NAME and makes a File object whose body records the module's bytes
 * and size and points at the module's one SECTION_OBJECT_POINTERS; so two
 * opens of a file, and every section over it, reach the same control area
 * (mm/section.c). An access that would write is refused, as a read-only
 * medium refuses it. The object manager has no namespace yet, so the path
 * is taken from the OBJECT_ATTRIBUTES here and the object itself is made
 * nameless.
 */
#include <ex.h>
#include <io.h>
#include <pool.h>
#include <rtl.h>

POBJECT_TYPE IoFileObjectType;

#define IOP_MAXIMUM_PATH    255     /* characters of a path NtOpenFile reads */

/* What a read-only file can never give: any right that writes or deletes. */
#define IOP_WRITE_RIGHTS    (FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES | DELETE | \
                             WRITE_DAC | WRITE_OWNER)

static const OBJECT_TYPE_INITIALIZER IopFileTypeInfo = {
    .Length = sizeof(OBJECT_TYPE_INITIALIZER),
    .InvalidAttributes = OBJ_OPENLINK,
    .GenericMapping = { FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS },
    .ValidAccessMask = FILE_ALL_ACCESS,
    .PoolType = NonPagedPool,
};

void IoInitSystem(void)
{
    if (!NT_SUCCESS(ObCreateObjectType("File", &IopFileTypeInfo, NULL, &IoFileObjectType)))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0x496F, 1, 0, 0);     /* 'Io' */
}

/*
 * The caller's attributes and path, read once: from a UserMode caller under
 * a handler, after probing. *Attributes keeps only the handle attributes
 * (the object is made without a name); Path is copied into Buffer.
 */
static NTSTATUS IopCaptureOpenArguments(KPROCESSOR_MODE PreviousMode, POBJECT_ATTRIBUTES ObjectAttributes,
                                        ULONG *Attributes, PWCHAR Buffer, PUNICODE_STRING Path)
{
    OBJECT_ATTRIBUTES Captured;
    UNICODE_STRING Name;
    NTSTATUS Status;

    if (!ObjectAttributes)
        return STATUS_OBJECT_NAME_INVALID;
    EX_TRY {
        if (PreviousMode != KernelMode)
            ProbeForRead(ObjectAttributes, sizeof(OBJECT_ATTRIBUTES), sizeof(ULONG));
        Captured = *ObjectAttributes;
        Name.Length = 0;
        if (Captured.Length == sizeof(OBJECT_ATTRIBUTES) && Captured.ObjectName && !Captured.RootDirectory) {
            if (PreviousMode != KernelMode)
                ProbeForRead(Captured.ObjectName, sizeof(UNICODE_STRING), sizeof(ULONG));
            Name = *Captured.ObjectName;
            if (!(Name.Length & 1) && Name.Length / sizeof(WCHAR) <= IOP_MAXIMUM_PATH) {
                if (PreviousMode != KernelMode)
                    ProbeForRead(Name.Buffer, Name.Length, sizeof(WCHAR));
                memcpy(Buffer, Name.Buffer, Name.Length);
            }
        }
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    if (!NT_SUCCESS(Status))
        return Status;
    if (Captured.Length != sizeof(OBJECT_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    if (!Captured.ObjectName || Captured.RootDirectory || (Name.Length & 1) ||
        Name.Length / sizeof(WCHAR) > IOP_MAXIMUM_PATH)
        return STATUS_OBJECT_NAME_INVALID;
    *Attributes = Captured.Attributes;
    Path->Buffer = Buffer;
    Path->Length = Path->MaximumLength = Name.Length;
    return STATUS_SUCCESS;
}

NTSTATUS NtOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                    PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    WCHAR Buffer[IOP_MAXIMUM_PATH];
    UNICODE_STRING Path;
    OBJECT_ATTRIBUTES Nameless;
    PSECTION_OBJECT_POINTERS Pointers;
    PFILE_OBJECT File;
    const void *Data;
    SIZE_T Size;
    ULONG Attributes;
    HANDLE Handle;
    char Name[IO_FILE_NAME_LENGTH];
    NTSTATUS Status;

    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteHandle(FileHandle);
            ProbeForWrite(IoStatusBlock, sizeof(IO_STATUS_BLOCK), sizeof(ULONG));
            Status = STATUS_SUCCESS;
        } EX_EXCEPT(Status) {
        } EX_END;
        if (!NT_SUCCESS(Status))
            return Status;
    }
    Status = IopCaptureOpenArguments(PreviousMode, ObjectAttributes, &Attributes, Buffer, &Path);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = IoLookupBootFile(&Path, &Data, &Size, &Pointers, Name, sizeof(Name));
    if (!NT_SUCCESS(Status))
        return Status;

    /* What the opener gets: MAXIMUM_ALLOWED is what a read-only file allows. */
    ACCESS_MASK Access = DesiredAccess;
    if (Access & MAXIMUM_ALLOWED)
        Access = (Access & ~MAXIMUM_ALLOWED) | FILE_GENERIC_READ | FILE_GENERIC_EXECUTE;
    RtlMapGenericMask(&Access, &IopFileTypeInfo.GenericMapping);
    if (Access & IOP_WRITE_RIGHTS)
        return STATUS_ACCESS_DENIED;

    InitializeObjectAttributes(&Nameless, NULL, Attributes & (OBJ_INHERIT | OBJ_KERNEL_HANDLE), NULL, NULL);
    Status = ObCreateObject(KernelMode, IoFileObjectType, &Nameless, PreviousMode, NULL, sizeof(FILE_OBJECT), 0, 0,
                            (PVOID *)&File);
    if (!NT_SUCCESS(Status))
        return Status;
    memset(File, 0, sizeof(*File));
    File->Type = IO_TYPE_FILE;
    File->Size = sizeof(FILE_OBJECT);
    File->SectionObjectPointer = Pointers;
    File->ReadAccess = (Access & (FILE_READ_DATA | FILE_EXECUTE)) != 0;
    File->SharedRead = (ShareAccess & FILE_SHARE_READ) != 0;
    File->SharedWrite = (ShareAccess & FILE_SHARE_WRITE) != 0;
    File->SharedDelete = (ShareAccess & FILE_SHARE_DELETE) != 0;
    strlcpy(File->FileName, Name, sizeof(File->FileName));
    File->BootData = Data;
    File->FileSize = Size;
    Status = ObInsertObject(File, NULL, Access, 0, NULL, &Handle);
    if (!NT_SUCCESS(Status))
        return Status;
    if (PreviousMode == KernelMode) {
        *FileHandle = Handle;
        IoStatusBlock->Status = STATUS_SUCCESS;
        IoStatusBlock->Information = FILE_OPENED;
        return STATUS_SUCCESS;
    }
    NTSTATUS Ignored;
    EX_TRY {
        *FileHandle = Handle;
        IoStatusBlock->Status = STATUS_SUCCESS;
        IoStatusBlock->Information = FILE_OPENED;
    } EX_EXCEPT(Ignored) {
        (void)Ignored;      /* probed above: only a buffer unmapped meanwhile faults, and NT ignores that */
    } EX_END;
    return STATUS_SUCCESS;
}

NTSTATUS ZwOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                    PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions)
{
    return EX_CALL_AS_KERNEL_MODE(
        NtOpenFile(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, ShareAccess, OpenOptions));
}
