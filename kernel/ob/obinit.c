/*
 * kernel/ob/obinit.c — starting the object manager (NT's ObInitSystem).
 *
 * NT's phase 0 creates the type "Type" first (every type is an object of it),
 * then the directory and symbolic-link types and the namespace, and gives
 * the system process the kernel handle table. mm386 has no namespace; it
 * creates "Type", makes the kernel handle table the system process's
 * ObjectTable (so a kernel handle and a handle the system process holds are
 * entries of the same table, as in NT), and registers the test harness's
 * object and handle leak guard. The types of the objects others own
 * (Process, Thread, Event ...) are created by their owners.
 */
#include "obp.h"

void ObInitSystem(void)
{
    ObpCreateTypeObjectType();
    ObpKernelHandleTable = ExCreateHandleTable(PsInitialSystemProcess);
    if (!ObpKernelHandleTable)
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0x4F62, 1, 0, 0);   /* 'Ob' */
    PsInitialSystemProcess->ObjectTable = ObpKernelHandleTable;
    ObpRegisterLeakGuard();
}
