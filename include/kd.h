/*
 * include/kd.h — the kd> prompt on COM1.
 *
 * Commands register themselves with KD_COMMAND in the .kdcmd section, the
 * same way tests do, so a subsystem adds its own extension command (!pte,
 * !pool ...) in its own file. A command gets its arguments split on blanks.
 * docs/KD.md describes every command with example output.
 */
#ifndef MM386_KD_H
#define MM386_KD_H

#include <ke.h>

#define KD_MAX_ARGS 8

typedef struct _KD_COMMAND {
    const char *Name;
    const char *Usage;
    const char *Help;
    void (*Routine)(int Argc, char **Argv);
} KD_COMMAND;

#define KD_COMMAND(ident, name, usage, help)                                    \
    static void kdcmd_##ident(int Argc, char **Argv);                          \
    static const KD_COMMAND kdcmd_entry_##ident                                \
        __attribute__((section(".kdcmd"), used, aligned(4))) = {               \
            name, usage, help, kdcmd_##ident                                   \
        };                                                                     \
    static void kdcmd_##ident(int Argc UNUSED, char **Argv UNUSED)

/* Reads lines from COM1 and runs them until `quit` or `reboot`. */
NORETURN void KdRunPrompt(void);
/* Runs one command line as if typed at the prompt. */
void KdExecute(char *Line);
/* Parses a number argument (hex with or without 0x, as WinDbg reads it); false if malformed. */
bool KdParseHex(const char *Text, ULONG *Value);
/*
 * Parses an address argument: a hex number, or the name of a kernel function
 * from the embedded symbol table with an optional +hex offset
 * (KiSystemStartup+0x10). False, after saying why, if it is neither.
 */
bool KdParseAddress(const char *Text, ULONG *Value);

#endif
