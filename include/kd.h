/*
 * include/kd.h — the kd> prompt on COM1.
 *
 * Commands register themselves with KD_COMMAND in the .kdcmd section, the
 * same way tests do, so a subsystem adds its own extension command (!pte,
 * !pool ...) in its own file. A command gets its arguments split on blanks
 * and reads them with the KdCheck and KdParse helpers below, which report
 * every mistake. docs/KD.md describes every command with example output.
 */
#ifndef MM386_KD_H
#define MM386_KD_H

#include <ke.h>

#define KD_MAX_ARGS 64      /* words of one line: all a typed line can hold (127 characters) */

typedef struct _KD_COMMAND {
    const char *Name;
    const char *Usage;
    const char *Help;
    void (*Routine)(int Argc, char **Argv);
    ULONG Flags;                /* KD_RUNNING_ONLY, KD_STOPPED_ONLY */
} KD_COMMAND;

/*
 * Where a command may run. The prompt runs in two ways: as a thread while
 * the kernel runs (`make run` ends there), and on a stopped kernel — at a
 * breakpoint, after a step, after a bugcheck — with interrupts off. A view
 * (the default) runs in both. A command that acts on the kernel (allocates,
 * waits, runs tests) is KD_RUNNING_ONLY; one that needs a stopped context
 * (g, t, p, r) is KD_STOPPED_ONLY. The prompt refuses the other way round.
 */
#define KD_RUNNING_ONLY 0x1
#define KD_STOPPED_ONLY 0x2

#define KD_COMMAND_FLAGS(ident, name, usage, help, flags)                       \
    static void kdcmd_##ident(int Argc, char **Argv);                          \
    static const KD_COMMAND kdcmd_entry_##ident                                \
        __attribute__((section(".kdcmd"), used, aligned(4))) = {               \
            name, usage, help, kdcmd_##ident, flags                            \
        };                                                                     \
    static void kdcmd_##ident(int Argc UNUSED, char **Argv UNUSED)
#define KD_COMMAND(ident, name, usage, help) KD_COMMAND_FLAGS(ident, name, usage, help, 0)

/*
 * The kernel debugger is enabled in an interactive boot (no `ktest`, no
 * /BENCH): a breakpoint, a step or a bugcheck then stops the kernel at the
 * kd> prompt instead of reporting and going on, or halting. NT's name.
 */
extern BOOLEAN KdDebuggerEnabled;
/* Phase 0, once the boot options are read: enables the debugger for an interactive boot. */
void KdInitSystem(void);
/* True while the kernel is stopped in the debugger (the prompt polls COM1 with interrupts off). */
bool KdIsStopped(void);
/*
 * kernel/ke/bugcheck.c's two calls into the debugger. First, before
 * anything is printed: a bugcheck raised by a command run at the stopped
 * prompt ends that command, not the machine (returns only when none runs).
 * Then, after the STOP screen: an interactive boot stops at the prompt for
 * good (returns only when the debugger is not enabled).
 */
void KdBugCheckDuringCommand(ULONG Code, const ULONG_PTR Parameters[4]);
void KdEnterDebuggerAfterBugCheck(ULONG Code, const ULONG_PTR Parameters[4], const struct _KTRAP_FRAME *TrapFrame,
                                  bool EipIsReturnAddress);

/*
 * Reads lines from COM1 and runs them until `quit` or `reboot`. Backspace
 * or DEL erases, Ctrl-U clears the line, Ctrl-C cancels it.
 */
NORETURN void KdRunPrompt(void);
/* Runs one command line as if typed at the prompt. Modifies Line (splits it into words). */
void KdExecute(char *Line);

/*
 * Reading arguments (kernel/kd/args.c). Every command checks its arguments
 * with these: each reports a mistake on the console, naming the command and
 * the argument, and returns false; the command then stops without acting.
 * Argc and Argv are the command's own (Argv[0] is its name).
 */

/* Argc - 1 must be Minimum..Maximum; a missing argument is named from the command's usage. */
bool KdCheckArgumentCount(int Argc, char **Argv, int Minimum, int Maximum);
/* The same against another usage text (a subcommand's: "free VA [TAG]", words after the name). */
bool KdCheckArguments(int Argc, char **Argv, int Minimum, int Maximum, const char *Usage);
/* Prints "usage: NAME USAGE" for the running command. */
void KdPrintUsage(const char *Usage);
/* A hex number, with or without 0x, at most 32 bits; What names the argument in the message. */
bool KdParseNumber(const char *Text, const char *What, ULONG *Value);
/*
 * An address: a hex number, or the name of a kernel function from the
 * embedded symbol table with an optional +hex offset (KiSystemStartup+10).
 */
bool KdParseAddress(const char *Text, const char *What, ULONG *Value);
/* The number rules of KdParseNumber without a message: false if Text is not one. */
bool KdParseHex(const char *Text, ULONG *Value);

/*
 * A process typed at the prompt, by its address or its id, found on
 * PsActiveProcessHead (never followed blindly); NULL if none is. At the
 * running prompt it comes referenced, under the list's lock; at the
 * stopped one neither (nothing runs, and the stopped code may hold the
 * lock). KdDereferenceProcess gives it back either way
 * (kernel/kd/kdprocess.c).
 */
struct _EPROCESS;
struct _EPROCESS *KdReferenceProcess(ULONG AddressOrId);
void KdDereferenceProcess(struct _EPROCESS *Process);

#endif
